"""The app's object store, built once from ``KDC_STORAGE_URL``, and the local-URL routes.

With the local backend the app itself plays the object store's part: it serves signed
download URLs (``GET /storage/get/<key>``, with Range) and accepts signed uploads
(``PUT /storage/put/<key>`` for a whole file, ``PUT /storage/put-part/<key>`` for one
part of a multipart upload). Signatures never reach the logs (``catalog.logs``).
"""

from __future__ import annotations

from flask import Flask, abort, current_app, jsonify, request, send_file
from werkzeug.exceptions import HTTPException

from catalog import logs, policy
from storage import ObjectStore, get_store
from storage.base import MAX_PART_SIZE, MAX_SINGLE_PUT, ObjectNotFound
from storage.local import LocalStore

# The local backend's URLs carry their own right: an HMAC signature and an expiry.
SIGNED_URL = "authorized by the signature and expiry in the URL"


def init_app(app: Flask) -> None:
    app.extensions["kdc_store"] = get_store(
        app.config["STORAGE_URL"],
        secret_key=app.config["SECRET_KEY"],
        public_base=app.config.get("PUBLIC_BASE_URL", ""),
        short_timeout=app.config.get("S3_TIMEOUT"),
        transfer_timeout=app.config.get("S3_READ_TIMEOUT"),
    )
    app.add_url_rule("/storage/get/<path:key>", "storage_get", serve_local_object)
    app.add_url_rule(
        "/storage/put/<path:key>", "storage_put", receive_local_object, methods=["PUT"]
    )
    app.add_url_rule(
        "/storage/put-part/<path:key>", "storage_put_part", receive_local_part, methods=["PUT"]
    )
    logs.init_app(app)


def get_object_store() -> ObjectStore:
    return current_app.extensions["kdc_store"]


def _local_store() -> LocalStore:
    store = get_object_store()
    if not isinstance(store, LocalStore):
        abort(404)
    return store


@policy.public(SIGNED_URL)
def serve_local_object(key: str):
    """Serve a signed local-storage URL, with Range support (werkzeug's conditional send)."""
    store = _local_store()
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
    resp = send_file(
        path,
        as_attachment=bool(filename),
        download_name=filename or None,
        conditional=True,
        etag=True,
        max_age=0,
    )
    # Stored files come from providers: never let one run as a page of this origin.
    resp.headers["Content-Security-Policy"] = "sandbox"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def _body_stream(limit: int):
    # Dataset files are far larger than MAX_CONTENT_LENGTH, which guards form posts.
    request.max_content_length = None
    length = request.content_length
    if length is not None and length > limit:
        raise _UploadRefused(413, "payload_too_large", f"At most {limit} bytes per request.")
    if length is None and not request.environ.get("wsgi.input_terminated"):
        raise _UploadRefused(411, "length_required", "Send a Content-Length header.")
    return request.stream


@policy.public(SIGNED_URL)
def receive_local_object(key: str):
    """Accept a signed single-PUT upload (``LocalStore.presign_put``)."""
    store = _local_store()
    why = store.check_signature(
        "PUT", key, request.args.get("expires", ""), request.args.get("signature", "")
    )
    if why:
        raise _SignedUrlRefused(why)
    try:
        info = store.put(key, _body_stream(MAX_SINGLE_PUT))
    except ValueError:
        abort(404)
    resp = jsonify({"key": key, "size": info.size})
    resp.headers["ETag"] = f'"{info.etag}"'
    return resp


@policy.public(SIGNED_URL)
def receive_local_part(key: str):
    """Accept one signed part of a multipart upload (``LocalStore.presign_upload_parts``)."""
    store = _local_store()
    upload_id = request.args.get("upload_id", "")
    part = request.args.get("part", "")
    why = store.check_signature(
        "PUT-PART",
        key,
        request.args.get("expires", ""),
        request.args.get("signature", ""),
        f"{upload_id}:{part}",
    )
    if why:
        raise _SignedUrlRefused(why)
    try:
        received = store.write_part(key, upload_id, int(part), _body_stream(MAX_PART_SIZE))
    except ObjectNotFound:
        raise _UploadRefused(
            404, "upload_not_found", "No such multipart upload (completed or aborted?)."
        ) from None
    except ValueError:
        abort(404)
    resp = jsonify({"part": received.number, "size": received.size})
    resp.headers["ETag"] = f'"{received.etag}"'
    return resp


class _SignedUrlRefused(HTTPException):
    code = 403

    def __init__(self, why: str):
        super().__init__(
            description={
                "expired": "This link has expired; ask the catalog for a fresh one.",
                "bad_signature": "This link is not valid (its signature does not match).",
                "malformed": "This link is malformed.",
            }[why]
        )
        self.problem_code = f"url_{why}"


class _UploadRefused(HTTPException):
    def __init__(self, status: int, code: str, description: str):
        self.code = status
        super().__init__(description=description)
        self.problem_code = code
