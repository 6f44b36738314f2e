"""Marshmallow schemas: validation of what comes in, per-audience views of what goes out.

No schema writes to the database.
"""
