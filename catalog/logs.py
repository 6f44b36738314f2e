"""Logging without secrets: URL signatures, credentials, bearer tokens, session cookies and
upload ids never reach a log line.

gunicorn hands its access-log fields to filters as a mapping in ``record.args`` (every
request header as ``{name}i``, every response header as ``{name}o``, the WSGI environ as
``{key}e``) and formats the line with ``%(name)s``. The filter therefore edits that
mapping in place, keeping its type: a mapping turned into anything else makes every
access line fail to format, and Python then prints the raw arguments to stderr.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, MutableMapping

from flask import Flask

_SECRET_PARAMS = re.compile(
    r"((?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|signature|upload_id)=)[^&\s\"]*",
    re.IGNORECASE,
)
# Bearer credentials and our API tokens, wherever they appear in free text.
_SECRET_TEXT = re.compile(
    r"(\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+|\bkdc_[A-Za-z0-9_-]{16,}", re.IGNORECASE
)
# gunicorn's header and environ fields that carry credentials: dropped, not redacted.
_SECRET_FIELDS = re.compile(r"authorization|cookie|csrf|security-token|api-key", re.IGNORECASE)
# Loggers whose lines carry request lines or headers.
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    """``text`` with URL signatures, credentials, tokens and upload ids replaced by ``…``."""
    text = _SECRET_PARAMS.sub(r"\1…", text)
    return _SECRET_TEXT.sub(lambda m: (m.group(1) or "kdc_") + "…", text)


def _clean(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


def is_secret_field(name: str) -> bool:
    """A log field (e.g. gunicorn's ``{authorization}i``) that must not be logged at all."""
    return bool(_SECRET_FIELDS.search(name))


class RedactSignatures(logging.Filter):
    """Removes secrets from log records (werkzeug's and gunicorn's request lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        args = record.args
        if isinstance(args, MutableMapping):
            # In place: the mapping's own type decides how missing fields format (gunicorn
            # prints "-" for a dropped header).
            for name in list(args):
                if isinstance(name, str) and is_secret_field(name):
                    del args[name]
                else:
                    args[name] = _clean(args[name])
        elif isinstance(args, Mapping):
            record.args = {
                k: _clean(v)
                for k, v in args.items()
                if not (isinstance(k, str) and is_secret_field(k))
            }
        elif isinstance(args, tuple):
            record.args = tuple(_clean(a) for a in args)
        return True


_FILTER = RedactSignatures()


def init_app(app: Flask) -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
