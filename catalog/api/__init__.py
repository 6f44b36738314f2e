"""The JSON API under ``/api/v1``: flask-smorest blueprints, one module per resource.

Every error leaves as ``application/problem+json`` (RFC 9457) with a stable ``code``.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, json, request
from flask_smorest import Api
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from catalog.errors import DomainError
from schemas.common import ProblemSchema
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
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
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
    status: int, title: str, detail: str, code: str, headers: dict | None = None, **extra
):
    body = {
        "type": f"https://kdc.example/problems/{code}",
        "title": title,
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


class CatalogApi(Api):
    """flask-smorest's Api, with problem+json errors and the web UI's HTML errors kept apart."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException):
        if not is_api_request():
            from catalog.web import render_http_error

            return render_http_error(error)
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        detail = data.get("message") or error.description or error.name
        code = getattr(error, "problem_code", None) or HTTP_CODES.get(error.code, "error")
        from catalog.web import passthrough_headers

        headers = {**passthrough_headers(error), **dict(data.get("headers") or {})}
        if error.code == 422 and errors:
            # webargs nests messages by location ("query", "json"): name the parameters.
            flat = {}
            for location, fields in errors.items():
                if isinstance(fields, dict):
                    flat.update(fields)
                else:
                    flat[location] = fields
            errors = flat
            detail = (
                "Invalid "
                + ", ".join(sorted(flat))
                + ": "
                + "; ".join(
                    f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                    for k, v in sorted(flat.items())
                )
            )
        if isinstance(error, InternalServerError):
            detail = "An unexpected error occurred; it has been logged."
        return problem_response(
            error.code or 500, error.name, str(detail), code, headers, errors=errors
        )


def init_api(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "K-Data Catalog API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "Licensed Korean public datasets for the foundation-model teams. "
                "Authenticate with `Authorization: Bearer <token>`; errors are "
                "RFC 9457 problems with a stable `code`."
            },
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                }
            },
            "servers": [{"url": "/"}],
        },
    )
    api = CatalogApi(app)
    app.extensions["kdc_api"] = api

    from catalog.api import modules

    for blp in modules.blueprints():
        api.register_blueprint(blp)
    from catalog.api.openapi import finish_api  # issue 6: problem docs, ETag, rate limits

    finish_api(app, api)  # issue 6

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        if not is_api_request():
            from catalog.web import render_domain_error

            return render_domain_error(exc)
        return problem_response(
            exc.status, exc.title, exc.detail, exc.code, exc.headers, **exc.extra
        )

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def _database_down(exc):
        log.error("database error: %s", exc.__class__.__name__, exc_info=exc)
        if (
            isinstance(exc, DBAPIError)
            and not isinstance(exc, OperationalError)
            and not getattr(exc, "connection_invalidated", False)
        ):
            raise exc
        err = DomainError(
            "The database is unavailable; retry shortly.",
            code="database_unavailable",
            status=503,
            headers={"Retry-After": "5"},
        )
        err.title = "Service unavailable"
        return _domain_error(err)

    @app.errorhandler(StorageUnavailable)
    def _storage_down(exc):
        log.error("object store unavailable: %s", exc)
        err = DomainError(
            "The object store is unavailable; retry shortly.",
            code="storage_unavailable",
            status=503,
            headers={"Retry-After": "10"},
        )
        err.title = "Service unavailable"
        return _domain_error(err)
