"""Audit schemas: chain events, checkpoints, verification results, and the filters of the
auditor's console (purchase ledger, access log, event log)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from auditchain import PROBLEM_KINDS
from catalog.models.offers import OfferMode
from catalog.models.purchases import PurchaseStatus


class AuditEventSchema(ma.Schema):
    """An event exactly as hashed (``ts`` is the hashed string, not a re-formatted date)."""

    seq = ma.fields.Integer()
    ts = ma.fields.String(metadata={"description": "UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ"})
    actor = ma.fields.String(metadata={"description": "e-mail, or 'system'/'cli'"})
    actor_id = ma.fields.Integer(allow_none=True)
    token_id = ma.fields.Integer(allow_none=True)
    action = ma.fields.String(metadata={"description": "subject:verb, e.g. purchase:approve"})
    subject_type = ma.fields.String()
    subject_id = ma.fields.String()
    data = ma.fields.Dict()
    client_addr = ma.fields.String()
    prev_hash = ma.fields.String()
    hash = ma.fields.String()


class AuditEventArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    after = ma.fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=2**53 - 1),
        metadata={"description": "Events with a larger seq"},
    )
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class AuditEventPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AuditEventSchema))
    after = ma.fields.Integer()
    limit = ma.fields.Integer()
    head_seq = ma.fields.Integer()
    next = ma.fields.String(allow_none=True, metadata={"description": "The next page's URL"})


class CheckpointSchema(ma.Schema):
    seq = ma.fields.Integer()
    hash = ma.fields.String()
    signed_at = ma.fields.String()
    key_id = ma.fields.String()
    signature = ma.fields.String(metadata={"description": "Ed25519, base64"})


class CheckpointPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CheckpointSchema))
    after = ma.fields.Integer()
    limit = ma.fields.Integer()
    next = ma.fields.String(allow_none=True)


class CheckpointArgsSchema(AuditEventArgsSchema):
    pass


class ProblemDetailSchema(ma.Schema):
    seq = ma.fields.Integer(allow_none=True)
    kind = ma.fields.String(validate=validate.OneOf(PROBLEM_KINDS))
    detail = ma.fields.String()
    until = ma.fields.Integer()


class VerifyResultSchema(ma.Schema):
    ok = ma.fields.Boolean()
    valid_events = ma.fields.Integer()
    total_events = ma.fields.Integer()
    first_seq = ma.fields.Integer(allow_none=True)
    last_seq = ma.fields.Integer(allow_none=True)
    last_hash = ma.fields.String(allow_none=True)
    checkpoints_checked = ma.fields.Integer()
    checkpoints_valid = ma.fields.Integer()
    last_checkpoint_seq = ma.fields.Integer(allow_none=True)
    problem = ma.fields.Nested(ProblemDetailSchema, allow_none=True)
    notes = ma.fields.List(ma.fields.String())
    recorded_seq = ma.fields.Integer(metadata={"description": "The audit:verify event written"})


class PublicKeySchema(ma.Schema):
    key_id = ma.fields.String()
    algorithm = ma.fields.String()
    public_key_pem = ma.fields.String()
    public_key_b64 = ma.fields.String(metadata={"description": "The 32 raw key bytes, base64"})


class ExportArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    after = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**53 - 1))


# --------------------------------------------------------------------------- console filters


def _blank_to_none(data: dict) -> dict:
    return {k: v for k, v in data.items() if v not in ("", None)}


class _ConsoleFilterSchema(ma.Schema):
    """Filters arrive from HTML forms: empty fields mean 'any'."""

    class Meta:
        unknown = ma.RAISE

    date_from = ma.fields.Date(load_default=None, metadata={"description": "YYYY-MM-DD (UTC)"})
    date_to = ma.fields.Date(load_default=None, metadata={"description": "YYYY-MM-DD, inclusive"})
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))

    @ma.pre_load
    def _drop_blank(self, data, **_kw):
        return _blank_to_none(dict(data))

    @ma.validates_schema
    def _range(self, data, **_kw):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ma.ValidationError("must not be before date_from", "date_to")


class PurchaseLedgerFilterSchema(_ConsoleFilterSchema):
    team = ma.fields.String(load_default=None, validate=validate.Length(max=32))
    institution = ma.fields.String(load_default=None, validate=validate.Length(max=16))
    dataset = ma.fields.String(load_default=None, validate=validate.Length(max=100))
    mode = ma.fields.String(
        load_default=None, validate=validate.OneOf([m.value for m in OfferMode])
    )
    status = ma.fields.String(
        load_default=None, validate=validate.OneOf([s.value for s in PurchaseStatus])
    )


class AccessLogFilterSchema(_ConsoleFilterSchema):
    team = ma.fields.String(load_default=None, validate=validate.Length(max=32))
    institution = ma.fields.String(load_default=None, validate=validate.Length(max=16))
    dataset = ma.fields.String(load_default=None, validate=validate.Length(max=100))
    user = ma.fields.String(load_default=None, validate=validate.Length(max=254))


class LedgerFilterSchema(_ConsoleFilterSchema):
    account = ma.fields.String(load_default=None, validate=validate.Length(max=64))
    kind = ma.fields.String(
        load_default=None,
        validate=validate.OneOf(["grant", "clawback", "purchase", "renewal", "reversal"]),
    )


class EventLogFilterSchema(_ConsoleFilterSchema):
    action = ma.fields.String(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={"description": "exact, or a prefix ending in ':'"},
    )
    actor = ma.fields.String(load_default=None, validate=validate.Length(max=254))
    subject_type = ma.fields.String(load_default=None, validate=validate.Length(max=32))
    subject_id = ma.fields.String(load_default=None, validate=validate.Length(max=64))


class _PlainFilterSchema(ma.Schema):
    """Filters of the licence reports (no dates, no paging: every licence is one row)."""

    class Meta:
        unknown = ma.RAISE

    team = ma.fields.String(load_default=None, validate=validate.Length(max=32))
    institution = ma.fields.String(load_default=None, validate=validate.Length(max=16))
    dataset = ma.fields.String(load_default=None, validate=validate.Length(max=100))

    @ma.pre_load
    def _drop_blank(self, data, **_kw):
        return _blank_to_none(dict(data))


class UsageFilterSchema(_PlainFilterSchema):
    over_quota = ma.fields.Boolean(
        load_default=False, metadata={"description": "Only licences whose quota is used up"}
    )


class AttestationFilterSchema(_PlainFilterSchema):
    state = ma.fields.String(
        load_default=None, validate=validate.OneOf(["outstanding", "attested", "partial"])
    )
