"""Purchase schemas: what a script sends to buy, and the purchase as everyone sees it.

Joint purchases are a public board, so every reader of a purchase sees the same fields;
``share_krw`` is the charged share once approved and the live preview before.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from catalog.models.offers import OfferMode
from catalog.models.purchases import PurchaseStatus
from catalog.services.purchasing import joined, shares_of
from schemas.common import PageMetaSchema, computed, enum_field, string_enum
from schemas.paging import cursor_field

PURCHASE_ACTIONS = ["join", "leave", "confirm", "close", "approve", "reject", "cancel"]


class PurchaseCreateSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    dataset = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Dataset slug"},
    )
    offer = ma.fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "Offer id (from the dataset's offers)"},
    )
    mode = string_enum(
        "OfferMode",
        [m.value for m in OfferMode],
        load_default=None,
        validate=validate.OneOf([m.value for m in OfferMode]),
        metadata={"description": "individual or joint; must match the offer"},
    )
    team = ma.fields.String(
        load_default=None,
        validate=validate.Length(max=32),
        metadata={"description": "Your team's code (optional check)"},
    )


class JoinSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    team = ma.fields.String(
        load_default=None,
        validate=validate.Length(max=32),
        metadata={"description": "Your team's code (optional check)"},
    )


class DecisionSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    note = ma.fields.String(load_default="", validate=validate.Length(max=1000))


class EmptySchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class ParticipantSchema(ma.Schema):
    """A team taking part in a purchase, with its share."""

    team = ma.fields.String(attribute="team.code", metadata={"description": "The team's code"})
    share_krw = computed(
        ma.fields.Integer(
            allow_none=True,
            metadata={"description": "Whole won: charged share once approved, live preview before"},
        ),
        lambda p: p.share_krw_shown,
    )
    join_order = ma.fields.Integer()
    joined_at = ma.fields.DateTime()
    confirmed = computed(
        ma.fields.Boolean(metadata={"description": "A team lead has committed the team's money"}),
        lambda p: p.confirmed_at is not None,
    )


def _participants(purchase) -> list:
    shares = shares_of(purchase)
    parts = joined(purchase)
    for p in parts:
        # A plain attribute for the schema: the share as this purchase's state shows it.
        p.share_krw_shown = shares.get(p.team_id)
    return parts


class PurchaseSchema(ma.Schema):
    id = ma.fields.Integer()
    mode = enum_field(OfferMode)
    status = enum_field(PurchaseStatus)
    dataset = ma.fields.String(attribute="dataset.slug", metadata={"description": "Dataset slug"})
    institution = ma.fields.String(
        attribute="dataset.institution.code", metadata={"description": "Institution code"}
    )
    offer = ma.fields.Integer(attribute="offer_id")
    price_krw = ma.fields.Integer()
    opener_team = ma.fields.String(
        attribute="opener_team.code", metadata={"description": "Code of the team that opened it"}
    )
    min_teams = ma.fields.Integer(attribute="offer.min_teams", allow_none=True)
    max_teams = ma.fields.Integer(attribute="offer.max_teams", allow_none=True)
    deadline = ma.fields.DateTime(allow_none=True)
    participants = computed(ma.fields.List(ma.fields.Nested(ParticipantSchema)), _participants)
    shares_final = computed(
        ma.fields.Boolean(metadata={"description": "Shares are charged (approved)"}),
        lambda p: p.status == PurchaseStatus.APPROVED,
    )
    created_at = ma.fields.DateTime()
    closed_at = ma.fields.DateTime(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    decision_note = ma.fields.String()
    actions = computed(
        ma.fields.List(
            string_enum("PurchaseAction", PURCHASE_ACTIONS),
            allow_none=True,
            metadata={"description": "What the requesting user may do now"},
        ),
        lambda p: getattr(p, "actions_for_viewer", None),
    )


class PurchaseListArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    status = string_enum(
        "PurchaseStatus",
        [s.value for s in PurchaseStatus],
        load_default=None,
        validate=validate.OneOf([s.value for s in PurchaseStatus]),
    )
    mode = string_enum(
        "OfferMode",
        [m.value for m in OfferMode],
        load_default=None,
        validate=validate.OneOf([m.value for m in OfferMode]),
    )
    team = ma.fields.String(load_default=None, validate=validate.Length(max=32))
    dataset = ma.fields.String(load_default=None, validate=validate.Length(max=100))
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = cursor_field()


class PurchasePageSchema(PageMetaSchema):
    items = ma.fields.List(ma.fields.Nested(PurchaseSchema))
