"""The JSON API under ``/api/v1``: flask-smorest blueprints, one module per resource.

Every error leaves as ``application/problem+json`` (RFC 9457) with a stable ``code``
(``catalog.error_handlers``).
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from catalog.error_handlers import API_PREFIX, handle_http_exception
from schemas.common import ProblemSchema


class CatalogApi(Api):
    """flask-smorest's Api, with problem+json errors and the web UI's HTML errors kept apart."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException):
        return handle_http_exception(error)


def blueprints() -> list:
    """The API's blueprints, in the order they appear in the OpenAPI document."""
    from catalog.api import (
        audit,
        datasets,
        events,
        institutions,
        licenses,
        manifest,
        me,
        purchases,
        renewals,
        teams,
        tokens,
        webhooks,
    )

    return [
        datasets.blp,
        institutions.blp,
        teams.blp,
        purchases.blp,
        licenses.blp,
        renewals.blp,
        tokens.blp,
        webhooks.blp,
        audit.blp,
        manifest.blp,
        me.blp,
        events.blp,
    ]


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
    for blp in blueprints():
        api.register_blueprint(blp)
    from catalog.api.openapi import finish_api

    finish_api(app, api)
