"""Licence schemas: a team's right to a dataset with the frozen terms of its offer, its
usage and quotas, the acceptance of its text, renewals and destruction attestations."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from catalog.models.licenses import LicenseStatus, RenewalStatus
from catalog.models.offers import OfferMode, Use
from catalog.services.licensing import effective_status
from catalog.services.usage import MAX_QUOTA_BYTES, MAX_QUOTA_OBJECTS, current_usage
from schemas.common import PageMetaSchema, StrictBoolean, computed, enum_field, string_enum
from schemas.paging import cursor_field


class UsageSchema(ma.Schema):
    term_started_at = ma.fields.DateTime(
        metadata={"description": "Start of the current term (a renewal starts a new one)"}
    )
    objects_issued = ma.fields.Integer(
        metadata={"description": "Objects whose download URLs were issued this term"}
    )
    objects_allowed = ma.fields.Integer(allow_none=True, metadata={"description": "null: no cap"})
    objects_left = ma.fields.Integer(allow_none=True)
    bytes_issued = ma.fields.Integer(
        metadata={"description": "Bytes of those objects (a URL issued is a download permitted)"}
    )
    bytes_allowed = ma.fields.Integer(allow_none=True, metadata={"description": "null: no cap"})
    bytes_left = ma.fields.Integer(allow_none=True)


def _attestation_state(lic) -> str | None:
    if lic.attested_at is not None:
        return "attested"
    if lic.attestation_due_at is not None:
        return "due"
    return None


class LicenceDocumentRefSchema(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    sha256 = ma.fields.String()


class LicenceTermsSchema(ma.Schema):
    """The frozen copy of the offer's terms that a licence keeps (older licences may lack
    the newer members)."""

    offer_id = ma.fields.Integer()
    mode = enum_field(OfferMode)
    price_krw = ma.fields.Integer()
    term_months = ma.fields.Integer()
    uses = ma.fields.List(enum_field(Use))
    attribution = ma.fields.String()
    survives_elimination = ma.fields.Boolean()
    download_quota = ma.fields.Integer(allow_none=True)
    download_quota_bytes = ma.fields.Integer(allow_none=True)
    kogl_type = ma.fields.Integer(allow_none=True)
    min_teams = ma.fields.Integer(allow_none=True)
    max_teams = ma.fields.Integer(allow_none=True)
    licence_document = ma.fields.Nested(LicenceDocumentRefSchema, allow_none=True)


class LicenseSchema(ma.Schema):
    id = ma.fields.Integer()
    team = ma.fields.String(attribute="team.code", metadata={"description": "The team's code"})
    dataset = ma.fields.String(attribute="dataset.slug", metadata={"description": "Dataset slug"})
    purchase = ma.fields.Integer(attribute="purchase_id")
    status = computed(
        enum_field(LicenseStatus, metadata={"description": "As of now"}), effective_status
    )
    valid_from = ma.fields.DateTime()
    valid_until = ma.fields.DateTime()
    terms = ma.fields.Nested(
        LicenceTermsSchema, metadata={"description": "Frozen copy of the offer's terms"}
    )
    status_reason = ma.fields.String()
    terms_accepted_at = ma.fields.DateTime(
        allow_none=True,
        metadata={"description": "When someone of the team accepted the terms; downloads need it"},
    )
    usage = computed(
        ma.fields.Nested(
            UsageSchema, metadata={"description": "Usage of the current term against the quotas"}
        ),
        lambda lic: current_usage(lic).as_dict(),
    )
    attestation = computed(
        string_enum(
            "AttestationState",
            ["due", "attested"],
            allow_none=True,
            metadata={
                "description": "Destruction attestation: `due` (the licence ended), `attested`, "
                "or null (none owed)"
            },
        ),
        _attestation_state,
    )


class AcceptanceSchema(ma.Schema):
    accepted_at = ma.fields.DateTime(allow_none=True)
    accepted_by = ma.fields.String(allow_none=True, metadata={"description": "E-mail"})
    text_sha256 = ma.fields.String(
        allow_none=True, metadata={"description": "SHA-256 of the exact licence text accepted"}
    )
    document_version = ma.fields.Integer(allow_none=True)


class UsageLineSchema(ma.Schema):
    user = ma.fields.String()
    token = ma.fields.String(
        allow_none=True, metadata={"description": "Token prefix; null for the web UI"}
    )
    grants = ma.fields.Integer()
    objects = ma.fields.Integer()
    bytes = ma.fields.Integer()
    last_at = ma.fields.DateTime(allow_none=True)


class ActionDecisionSchema(ma.Schema):
    permitted = ma.fields.Boolean()
    code = ma.fields.String(allow_none=True, metadata={"description": "Why not"})


class RenewalPartSchema(ma.Schema):
    team = ma.fields.String(attribute="team.code")
    license = ma.fields.Integer(attribute="license_id")
    confirmed_at = ma.fields.DateTime(allow_none=True)
    share_krw = ma.fields.Integer(allow_none=True, metadata={"description": "Set when approved"})
    previous_valid_until = ma.fields.DateTime(allow_none=True)
    new_valid_until = ma.fields.DateTime(allow_none=True)


class RenewalSchema(ma.Schema):
    id = ma.fields.Integer()
    purchase = ma.fields.Integer(attribute="purchase_id")
    dataset = ma.fields.String(attribute="dataset.slug")
    status = enum_field(RenewalStatus)
    price_krw = ma.fields.Integer()
    term_months = ma.fields.Integer()
    requester_team = ma.fields.String(attribute="requester_team.code")
    created_at = ma.fields.DateTime()
    decided_at = ma.fields.DateTime(allow_none=True)
    decision_note = ma.fields.String()
    parts = ma.fields.List(ma.fields.Nested(RenewalPartSchema))


class AttestationSchema(ma.Schema):
    id = ma.fields.Integer()
    license = ma.fields.Integer(attribute="license_id")
    method = string_enum(
        "AttestationMethod",
        ["purge", "declaration"],
        metadata={"description": "purge (kdc purge) or declaration"},
    )
    host = ma.fields.String()
    dest = ma.fields.String()
    object_count = ma.fields.Integer()
    byte_count = ma.fields.Integer()
    complete = ma.fields.Boolean()
    reason = ma.fields.String()
    created_at = ma.fields.DateTime()


class LicenseDetailSchema(LicenseSchema):
    """One licence with everything its readers may know about it."""

    valid_from = ma.fields.DateTime()
    institution = ma.fields.String(attribute="dataset.institution.code")
    acceptance = ma.fields.Nested(AcceptanceSchema)
    usage_by_user = ma.fields.List(ma.fields.Nested(UsageLineSchema))
    permissions = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Nested(ActionDecisionSchema),
        metadata={
            "description": "Each action of the vocabulary (`download`, `train`, …) as the "
            "broker decides it now (`download`: one more object)"
        },
    )
    licence_text = ma.fields.Nested(
        "LicenceTextRefSchema",
        metadata={"description": "The licence text: its SHA-256, version and where to read it"},
    )
    attribution_text = ma.fields.String()
    kogl_type = ma.fields.Integer(allow_none=True)
    policy = ma.fields.String(metadata={"description": "The ODRL policy (JSON-LD)"})
    renewals = ma.fields.List(ma.fields.Nested(RenewalSchema))
    attestations = ma.fields.List(ma.fields.Nested(AttestationSchema))
    attestation_due_at = ma.fields.DateTime(allow_none=True)
    attested_at = ma.fields.DateTime(allow_none=True)
    days_overdue = ma.fields.Integer(allow_none=True)


class LicenceTextRefSchema(ma.Schema):
    sha256 = ma.fields.String()
    version = ma.fields.Integer(allow_none=True)
    url = ma.fields.String(metadata={"description": "Where to read it (`GET …/text`)"})


class LicenseListArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    status = string_enum(
        "LicenseStatus",
        [s.value for s in LicenseStatus],
        load_default=None,
        validate=validate.OneOf([s.value for s in LicenseStatus]),
    )
    team = ma.fields.String(load_default=None, validate=validate.Length(max=32))
    dataset = ma.fields.String(load_default=None, validate=validate.Length(max=100))
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = cursor_field()


class LicensePageSchema(PageMetaSchema):
    items = ma.fields.List(ma.fields.Nested(LicenseSchema))


class LicenseActionSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    reason = ma.fields.String(load_default="", validate=validate.Length(max=500))


class AcceptTermsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    text_sha256 = ma.fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"),
        metadata={
            "description": "SHA-256 of the licence text you read (`GET …/text`); refused "
            "with `licence_text_mismatch` if it is not the licence's"
        },
    )


class QuotaSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    objects = ma.fields.Integer(
        required=True,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_QUOTA_OBJECTS),
        metadata={"description": "Objects per term; null lifts the cap"},
    )
    bytes = ma.fields.Integer(
        required=True,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_QUOTA_BYTES),
        metadata={"description": "Bytes per term; null lifts the cap"},
    )
    reason = ma.fields.String(load_default="", validate=validate.Length(max=500))


class DeletedObjectSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    key = ma.fields.String(required=True, validate=validate.Length(min=1, max=1024))
    size = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    sha256 = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))


class AttestationCreateSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    method = ma.fields.String(
        load_default="purge", validate=validate.OneOf(["purge", "declaration"])
    )
    objects = ma.fields.List(
        ma.fields.Nested(DeletedObjectSchema),
        load_default=list,
        validate=validate.Length(max=1_000_000),
        metadata={"description": "What was deleted: each object's key, size and SHA-256"},
    )
    host = ma.fields.String(load_default="", validate=validate.Length(max=255))
    dest = ma.fields.String(load_default="", validate=validate.Length(max=1000))
    complete = StrictBoolean(load_default=True)
    reason = ma.fields.String(load_default="", validate=validate.Length(max=2000))
    dry_run = StrictBoolean(
        load_default=False, metadata={"description": "Check everything, record nothing"}
    )


class AttestationCheckSchema(ma.Schema):
    license = ma.fields.Integer(attribute="license_id")
    object_count = ma.fields.Integer()
    byte_count = ma.fields.Integer()
    dry_run = ma.fields.Constant(True, metadata={"type": "boolean", "enum": [True]})


class AttestationListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AttestationSchema))


class RenewalActionSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    note = ma.fields.String(load_default="", validate=validate.Length(max=1000))
