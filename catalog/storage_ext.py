"""The app's object store, built once from ``KDC_STORAGE_URL``, and the local-URL routes."""

from __future__ import annotations

from flask import Flask, abort, current_app, request, send_file
from werkzeug.exceptions import HTTPException

from storage import ObjectStore, get_store
from storage.local import LocalStore


def init_app(app: Flask) -> None:
    app.extensions["kdc_store"] = get_store(
        app.config["STORAGE_URL"], secret_key=app.config["SECRET_KEY"],
        public_base=app.config.get("PUBLIC_BASE_URL", ""),
    )
    app.add_url_rule("/storage/get/<path:key>", "storage_get", serve_local_object)


def get_object_store() -> ObjectStore:
    return current_app.extensions["kdc_store"]


def serve_local_object(key: str):
    """Serve a signed local-storage URL, with Range support (werkzeug's conditional send)."""
    store = get_object_store()
    if not isinstance(store, LocalStore):
        abort(404)
    filename = request.args.get("filename", "")
    why = store.check_signature(
        "GET", key, request.args.get("expires", ""), request.args.get("signature", ""), filename
    )
    if why:
        raise _SignedUrlRefused(why)
    try:
        path = store.local_path(key)
    except (FileNotFoundError, ValueError):
        abort(404)
    return send_file(
        path,
        as_attachment=bool(filename),
        download_name=filename or None,
        conditional=True,
        etag=True,
        max_age=0,
    )


class _SignedUrlRefused(HTTPException):
    code = 403

    def __init__(self, why: str):
        super().__init__(
            description={
                "expired": "This download link has expired; ask the catalog for a fresh one.",
                "bad_signature": "This download link is not valid (its signature does not match).",
                "malformed": "This download link is malformed.",
            }[why]
        )
        self.problem_code = f"url_{why}"
