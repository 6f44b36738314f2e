"""Logging without secrets: URL signatures, credentials, bearer tokens, session cookies and
upload ids never reach a log line.

gunicorn hands its access-log fields to filters as a mapping in ``record.args`` (every
request header as ``{name}i``, every response header as ``{name}o``, the WSGI environ as
``{key}e``) and formats the line with ``%(name)s``. The filter therefore edits that
mapping in place, keeping its type: a mapping turned into anything else makes every
access line fail to format, and Python then prints the raw arguments to stderr.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime

from flask import Flask, Response, current_app, g, request

from catalog.config import REQUEST_ID_PATTERN

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


# --------------------------------------------------------------------------- request log
#
# Every response carries ``X-Request-Id``: a fresh id, or the one a trusted reverse proxy
# sent in ``KDC_REQUEST_ID_HEADER``. With ``KDC_LOG_FORMAT=json`` each request also leaves
# one JSON line on standard error (``kdc.request`` logger): time, request id, method, path
# without its query string, status, duration, endpoint, client address and user id. Never
# a header, a cookie, a body or a query string, so no token, session or URL signature.

REQUEST_LOG = logging.getLogger("kdc.request")
# Route arguments that are credentials of a kind: shown as "…" in logged paths.
_SECRET_ROUTE_ARGS = ("upload_id",)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (gunicorn's, or a test's capture)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


_REQUEST_HANDLER = _StderrHandler()
_REQUEST_HANDLER.setFormatter(logging.Formatter("%(message)s"))


def request_id() -> str:
    """This request's id (made on first use)."""
    rid = g.get("request_id")
    if rid is None:
        rid = g.request_id = _incoming_request_id() or uuid.uuid4().hex
    return rid


def _incoming_request_id() -> str | None:
    header = current_app.config.get("REQUEST_ID_HEADER")
    if not header:
        return None
    value = request.headers.get(header, "")
    return value if REQUEST_ID_PATTERN.fullmatch(value) else None


def _logged_path() -> str:
    path = request.path
    for name in _SECRET_ROUTE_ARGS:
        value = (request.view_args or {}).get(name)
        if isinstance(value, str) and value:
            path = path.replace(value, "…")
    return path


def _user_id() -> int | None:
    """The acting user, as far as the request already knows it (no extra query)."""
    actor = g.get("actor")
    if actor is not None and getattr(actor, "user_id", None):
        return actor.user_id
    user = g.get("_login_user")  # Flask-Login's, once a page has looked at it
    if user is not None and getattr(user, "is_authenticated", False):
        return int(user.id)
    return None


def request_record(response: Response, duration: float) -> dict:
    """The fields of one request's log line."""
    return {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": "info",
        "request_id": request_id(),
        "method": request.method,
        "path": _logged_path(),
        "endpoint": request.endpoint,
        "status": response.status_code,
        "duration_ms": round(duration * 1000, 2),
        "client": request.remote_addr,
        "user_id": _user_id(),
    }


def init_request_log(app: Flask) -> None:
    """Request ids on every response; one JSON line per request with ``KDC_LOG_FORMAT=json``."""
    as_json = app.config.get("LOG_FORMAT") == "json"
    if as_json:
        REQUEST_LOG.setLevel(logging.INFO)
        REQUEST_LOG.propagate = False
        if _REQUEST_HANDLER not in REQUEST_LOG.handlers:
            REQUEST_LOG.addHandler(_REQUEST_HANDLER)
        # The JSON line replaces the development server's own request line.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    @app.before_request
    def _start_request_clock() -> None:
        g.request_started = time.perf_counter()
        request_id()

    @app.after_request
    def _finish_request(response: Response) -> Response:
        response.headers["X-Request-Id"] = request_id()
        if as_json:
            started = g.get("request_started") or time.perf_counter()
            record = request_record(response, time.perf_counter() - started)
            REQUEST_LOG.info(json.dumps(record, ensure_ascii=False))
        return response
