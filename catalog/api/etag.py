"""``ETag`` and ``If-None-Match`` on the catalogue's public reads.

The tag is a hash of the response body, so it changes exactly when what a client would
see changes, and needs no bookkeeping. A matching ``If-None-Match`` turns the 200 into a
body-less 304; ``Cache-Control: no-cache`` makes clients revalidate every time.
"""

from __future__ import annotations

from flask import Flask, request

# Endpoints whose 200 responses depend only on the URL (no token, no user).
CONDITIONAL_ENDPOINTS = frozenset(
    {
        "datasets.DatasetList",
        "datasets.DatasetDetail",
        "institutions.InstitutionList",
    }
)
IF_NONE_MATCH_DOC = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "An `ETag` from an earlier response: 304 without a body if unchanged.",
}


def add_etag(resp):
    if (
        request.method in ("GET", "HEAD")
        and resp.status_code == 200
        and request.endpoint in CONDITIONAL_ENDPOINTS
        and not resp.direct_passthrough
    ):
        resp.add_etag()
        resp.headers["Cache-Control"] = "no-cache"
        resp.make_conditional(request)
    return resp


def init_app(app: Flask) -> None:
    app.after_request(add_etag)
