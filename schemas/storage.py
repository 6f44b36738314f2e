"""Schemas of the storage broker: manifests, file redirects, versions and uploads."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from catalog.config import MAX_URL_TTL
from catalog.models.datasets import VersionStatus
from catalog.services.access import CURSOR_PATTERN
from schemas.common import StrictBoolean, enum_field

LABEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$"


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


# --- manifest and files ---------------------------------------------------------------------


class ManifestArgsSchema(_Strict):
    version = ma.fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "Version label; default the newest published version"},
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "From the previous page's `next`", "pattern": CURSOR_PATTERN},
    )
    limit = ma.fields.Integer(load_default=1000, validate=validate.Range(min=1, max=5000))
    ttl = ma.fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=MAX_URL_TTL),
        metadata={
            "description": "Seconds the URLs live (default the "
            "server's URL_TTL, never past the licence's end)"
        },
    )


class ManifestObjectSchema(ma.Schema):
    key = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    url = ma.fields.String(metadata={"description": "Presigned GET URL"})
    expires_at = ma.fields.DateTime(metadata={"description": "When `url` stops working"})


class ManifestPageSchema(ma.Schema):
    dataset = ma.fields.String()
    version = ma.fields.String()
    object_count = ma.fields.Integer(metadata={"description": "Objects in the whole version"})
    total_bytes = ma.fields.Integer()
    ttl = ma.fields.Integer()
    expires_at = ma.fields.DateTime()
    objects = ma.fields.List(ma.fields.Nested(ManifestObjectSchema))
    next = ma.fields.String(
        allow_none=True, metadata={"description": "URL of the next page, or null"}
    )


class FileArgsSchema(_Strict):
    version = ma.fields.String(load_default=None, validate=validate.Length(min=1, max=50))
    ttl = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_URL_TTL))


# --- versions and uploads (providers) -------------------------------------------------------


class VersionSchema(ma.Schema):
    label = ma.fields.String()
    status = enum_field(VersionStatus)
    object_count = ma.fields.Integer()
    total_bytes = ma.fields.Integer()
    release_notes = ma.fields.String()
    storage_backend = ma.fields.String()
    prefix = ma.fields.String()
    created_at = ma.fields.DateTime()
    published_at = ma.fields.DateTime(allow_none=True)


class VersionListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(VersionSchema))


class VersionCreateSchema(_Strict):
    label = ma.fields.String(
        required=True,
        validate=validate.Regexp(
            LABEL_PATTERN, error="1–50 letters, digits, '.', '_' or '-' (e.g. 2025.1)"
        ),
    )
    release_notes = ma.fields.String(load_default="", validate=validate.Length(max=20_000))


class UploadRequestSchema(_Strict):
    key = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=1024),
        metadata={"description": "Path of the file within the version"},
    )
    size = ma.fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=5 * 1024**4)
    )
    sha256 = ma.fields.String(
        required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$", error="64 hexadecimal digits")
    )
    content_type = ma.fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    multipart = StrictBoolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "Force (true) or forbid (false) multipart; default: above 64 MiB"},
    )
    part_size = ma.fields.Integer(
        load_default=None, strict=True, validate=validate.Range(min=5 * 1024**2, max=5 * 1024**3)
    )


class UploadPartSchema(ma.Schema):
    number = ma.fields.Integer()
    size = ma.fields.Integer()
    url = ma.fields.String()


class ReceivedPartSchema(ma.Schema):
    number = ma.fields.Integer()
    size = ma.fields.Integer()


class UploadPlanSchema(ma.Schema):
    upload_id = ma.fields.String(metadata={"description": "Names this upload in later calls"})
    key = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    content_type = ma.fields.String()
    multipart = ma.fields.Boolean()
    part_size = ma.fields.Integer(allow_none=True)
    url = ma.fields.String(
        allow_none=True, metadata={"description": "Single upload: PUT the whole file here"}
    )
    parts = ma.fields.List(
        ma.fields.Nested(UploadPartSchema),
        metadata={"description": "Multipart: PUT each part's bytes to its URL"},
    )
    received = ma.fields.List(ma.fields.Nested(ReceivedPartSchema), allow_none=True)
    expires_at = ma.fields.DateTime()


class ObjectSchema(ma.Schema):
    key = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    content_type = ma.fields.String()
    preview = ma.fields.Boolean()
    created_at = ma.fields.DateTime()


class ObjectPatchSchema(_Strict):
    """What a provider may change on a file of a version: whether it is a preview file."""

    preview = ma.fields.Boolean(required=True)
