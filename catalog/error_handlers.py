"""Every error leaves through here: a problem+json body on the API, an HTML page on the web UI.

The request path decides (``/api/v1/…`` is the API). Problems follow RFC 9457 with a stable
machine ``code``; pages show a translated sentence chosen by the same code. Outages of the
database or the object store become 503 with ``Retry-After`` on both.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, json, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from catalog.errors import DomainError
from catalog.messages import MESSAGES
from storage.base import StorageUnavailable

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"
PROBLEM_MIME = "application/problem+json"

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "invalid_input",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX + "/") or request.path == API_PREFIX


def problem_response(
    status: int,
    title: str,
    detail: str,
    code: str,
    headers: dict | None = None,
    **extra: Any,
):
    # One title per status, whatever raised it; the type names a page on this service.
    body = {
        "type": f"{request.host_url}problems/{code}",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    resp = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIME
    )
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def passthrough_headers(error: HTTPException) -> dict:
    """Headers an HTTP error carries for the client (Allow, Content-Range, Retry-After …)."""
    try:
        headers = error.get_headers()
    except Exception:  # noqa: BLE001 - a custom exception without a request environment
        return {}
    return {k: v for k, v in headers if k.lower() != "content-type"}


def _flat_errors(errors: dict) -> dict:
    """webargs nests messages by location ("query", "json"): name the parameters instead."""
    flat: dict = {}
    for location, fields in errors.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def handle_http_exception(error: HTTPException) -> ResponseReturnValue:
    """An HTTP error (404, 405, 413, a webargs 422 …) as a problem or as the error page."""
    if not is_api_request():
        code = error.code or 500
        return (
            render_template("error.html", status=code, title=error.name, detail=error.description),
            code,
            passthrough_headers(error),
        )
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    detail = data.get("message") or error.description or error.name
    code = getattr(error, "problem_code", None) or HTTP_CODES.get(error.code or 500, "error")
    headers = {**passthrough_headers(error), **dict(data.get("headers") or {})}
    if error.code == 422 and errors:
        errors = _flat_errors(errors)
        detail = (
            "Invalid "
            + ", ".join(sorted(errors))
            + ": "
            + "; ".join(
                f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                for k, v in sorted(errors.items())
            )
        )
    if isinstance(error, InternalServerError):
        detail = "An unexpected error occurred; it has been logged."
    return problem_response(
        error.code or 500, error.name, str(detail), code, headers, errors=errors
    )


def handle_domain_error(exc: DomainError) -> ResponseReturnValue:
    if not is_api_request():
        return (
            render_template(
                "error.html",
                status=exc.status,
                title=exc.title,
                detail=exc.detail,
                hint=MESSAGES.get(exc.code),
            ),
            exc.status,
            exc.headers,
        )
    return problem_response(exc.status, exc.title, exc.detail, exc.code, exc.headers, **exc.extra)


def _unavailable(detail: str, code: str, retry_after: int) -> ResponseReturnValue:
    err = DomainError(detail, code=code, status=503, headers={"Retry-After": str(retry_after)})
    err.title = "Service unavailable"
    return handle_domain_error(err)


def handle_database_error(exc: DBAPIError) -> ResponseReturnValue:
    log.error("database error: %s", exc.__class__.__name__, exc_info=exc)
    if not isinstance(exc, OperationalError) and not getattr(exc, "connection_invalidated", False):
        raise exc
    return _unavailable("The database is unavailable; retry shortly.", "database_unavailable", 5)


def handle_storage_down(exc: StorageUnavailable) -> ResponseReturnValue:
    log.error("object store unavailable: %s", exc)
    return _unavailable(
        "The object store is unavailable; retry shortly.", "storage_unavailable", 10
    )


def handle_csrf_error(exc: CSRFError) -> ResponseReturnValue:
    from flask_babel import gettext as _

    return (
        render_template(
            "error.html",
            status=400,
            title=_("Form expired"),
            detail=_(
                "The form has expired or was not sent from this site; "
                "reload the page and try again."
            ),
        ),
        400,
    )


def init_app(app: Flask) -> None:
    """Register the handlers (flask-smorest's HTTP errors come through ``CatalogApi``)."""
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(OperationalError, handle_database_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(StorageUnavailable, handle_storage_down)
    app.register_error_handler(CSRFError, handle_csrf_error)
