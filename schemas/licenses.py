"""Licence schemas: a team's right to a dataset with the frozen terms of its offer."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from catalog.models.licenses import LicenseStatus
from catalog.services.licensing import effective_status
from schemas.common import PageMetaSchema


class LicenseSchema(ma.Schema):
    id = ma.fields.Integer()
    team = ma.fields.Function(lambda lic: lic.team.code)
    dataset = ma.fields.Function(lambda lic: lic.dataset.slug)
    purchase = ma.fields.Integer(attribute="purchase_id")
    status = ma.fields.Function(
        lambda lic: effective_status(lic).value,
        metadata={"description": "active, suspended, revoked or expired (as of now)"},
    )
    valid_from = ma.fields.DateTime()
    valid_until = ma.fields.DateTime()
    terms = ma.fields.Dict(metadata={"description": "Frozen copy of the offer's terms"})
    status_reason = ma.fields.String()
    terms_accepted_at = ma.fields.DateTime(
        allow_none=True,
        metadata={"description": "When someone of the team accepted the terms; downloads need it"},
    )


class LicenseListArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    status = ma.fields.String(
        load_default=None, validate=validate.OneOf([s.value for s in LicenseStatus])
    )
    team = ma.fields.String(load_default=None, validate=validate.Length(max=32))
    dataset = ma.fields.String(load_default=None, validate=validate.Length(max=100))
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class LicensePageSchema(PageMetaSchema):
    items = ma.fields.List(ma.fields.Nested(LicenseSchema))


class LicenseActionSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    reason = ma.fields.String(load_default="", validate=validate.Length(max=500))
