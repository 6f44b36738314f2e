"""Schemas shared by every resource: problems and paging."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document (``application/problem+json``)."""

    type = ma.fields.String(metadata={"description": "URI naming the problem kind"})
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    code = ma.fields.String(metadata={"description": "Stable machine-readable problem code"})
    errors = ma.fields.Dict(metadata={"description": "Per-parameter validation messages"})


class PageArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PageMetaSchema(ma.Schema):
    page = ma.fields.Integer()
    limit = ma.fields.Integer()
    total = ma.fields.Integer()
    pages = ma.fields.Integer()
    next = ma.fields.String(allow_none=True)
    prev = ma.fields.String(allow_none=True)
