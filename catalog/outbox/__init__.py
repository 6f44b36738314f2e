"""Sending what the outbox holds, and the words of each notice.

``text`` renders a notice in the reader's language (the inbox page and e-mails share it),
``mail`` sends e-mail over SMTP, ``webhooks`` posts signed webhooks (Standard Webhooks).
The database side (claiming, retries, outcomes) is ``catalog.services.delivery``.
"""
