"""Business rules. Each public function is one transaction and writes its audit events inside it.

Services take a SQLAlchemy ``Session`` and an ``Actor``; they never touch ``flask.request``,
so the web UI, the API and the CLI share them.
"""
