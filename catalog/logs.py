"""Logging without secrets: URL signatures, credentials and upload ids never reach a log line."""

from __future__ import annotations

import logging
import re

from flask import Flask

_SECRET_PARAMS = re.compile(
    r"((?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|signature|upload_id)=)[^&\s\"]*",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with URL signatures, credentials and upload ids replaced by ``…``."""
    return _SECRET_PARAMS.sub(r"\1…", text)


class RedactSignatures(logging.Filter):
    """Removes signatures from log records (werkzeug's and gunicorn's request lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        return True


_FILTER = RedactSignatures()


def init_app(app: Flask) -> None:
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
