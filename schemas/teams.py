"""Team schemas: the public view, and the view with money for the team, admins and auditors."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from catalog.models.ledger import TransactionKind
from catalog.models.offers import OfferMode
from catalog.models.teams import TeamStatus
from schemas.common import enum_field, string_enum


class TeamPublicSchema(ma.Schema):
    code = ma.fields.String()
    name_ko = ma.fields.String()
    name_en = ma.fields.String()
    organisations = ma.fields.List(ma.fields.String())
    status = enum_field(TeamStatus)
    eliminated_phase = ma.fields.Integer(allow_none=True)


class TeamSchema(TeamPublicSchema):
    balance_krw = ma.fields.Integer(
        attribute="visible_balance",
        allow_none=True,
        metadata={
            "description": "Remaining data budget in won; only for the team, admins and auditors"
        },
    )
    money = ma.fields.Nested(
        "MoneySchema",
        allow_none=True,
        metadata={"description": "From the ledger (entitled readers only)"},
    )
    ledger = ma.fields.List(
        ma.fields.Nested("LedgerLineSchema"),
        allow_none=True,
        metadata={
            "description": "Newest ledger entries of the team's account (entitled readers only)"
        },
    )
    holdings = ma.fields.List(
        ma.fields.Nested("HoldingSchema"),
        allow_none=True,
        metadata={"description": "Licences held, jointly or individually, and what the team paid"},
    )


class TeamSummarySchema(TeamPublicSchema):
    balance_krw = ma.fields.Integer(attribute="visible_balance", allow_none=True)


class TeamListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TeamSummarySchema))


class MoneySchema(ma.Schema):
    balance_krw = ma.fields.Integer()
    granted_krw = ma.fields.Integer()
    clawed_back_krw = ma.fields.Integer()
    spent_krw = ma.fields.Integer()
    reversed_krw = ma.fields.Integer()


class LedgerLineSchema(ma.Schema):
    transaction_id = ma.fields.Integer()
    kind = string_enum("TransactionKind", [k.value for k in TransactionKind])
    amount_krw = ma.fields.Integer()
    balance_after_krw = ma.fields.Integer()
    memo = ma.fields.String()
    purchase_id = ma.fields.Integer(allow_none=True)
    reverses_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()


class HoldingSchema(ma.Schema):
    license_id = ma.fields.Integer()
    dataset = ma.fields.String()
    mode = string_enum("OfferMode", [m.value for m in OfferMode])
    purchase_id = ma.fields.Integer()
    price_krw = ma.fields.Integer()
    paid_krw = ma.fields.Integer(allow_none=True)
    status = ma.fields.String()
    valid_until = ma.fields.DateTime()


class GrantSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    amount_krw = ma.fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=-(10**15), max=10**15),
        metadata={"description": "Won; negative claws back"},
    )
    memo = ma.fields.String(load_default="", validate=validate.Length(max=500))


class GrantResultSchema(ma.Schema):
    transaction_id = ma.fields.Integer()
    kind = string_enum("TransactionKind", [k.value for k in TransactionKind])
    team = ma.fields.String()
    amount_krw = ma.fields.Integer()
    balance_krw = ma.fields.Integer()
    memo = ma.fields.String()


class EliminateSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    phase = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100))


class EliminationResultSchema(ma.Schema):
    team = ma.fields.String()
    phase = ma.fields.Integer()
    revoked = ma.fields.List(ma.fields.Nested("LicenceRefSchema"))
    kept = ma.fields.List(ma.fields.Nested("LicenceRefSchema"))
    withdrawn = ma.fields.List(ma.fields.Nested("WithdrawnPurchaseSchema"))


class LicenceRefSchema(ma.Schema):
    license = ma.fields.Integer()
    dataset = ma.fields.String()


class WithdrawnPurchaseSchema(ma.Schema):
    purchase = ma.fields.Integer()
    outcome = ma.fields.String()
