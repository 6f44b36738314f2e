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
from schemas.common import PageMetaSchema
from schemas.paging import cursor_field


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
    mode = ma.fields.String(
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
    team = ma.fields.Function(lambda p: p.team.code)
    share_krw = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "Whole won: charged share once approved, live preview before"},
    )
    join_order = ma.fields.Integer()
    joined_at = ma.fields.DateTime()
    confirmed = ma.fields.Function(
        lambda p: p.confirmed_at is not None,
        metadata={"description": "A team lead has committed the team's money"},
    )


class PurchaseSchema(ma.Schema):
    id = ma.fields.Integer()
    mode = ma.fields.Enum(OfferMode, by_value=True)
    status = ma.fields.Enum(PurchaseStatus, by_value=True)
    dataset = ma.fields.Function(lambda p: p.dataset.slug)
    institution = ma.fields.Function(lambda p: p.dataset.institution.code)
    offer = ma.fields.Integer(attribute="offer_id")
    price_krw = ma.fields.Integer()
    opener_team = ma.fields.Function(lambda p: p.opener_team.code)
    min_teams = ma.fields.Function(lambda p: p.offer.min_teams)
    max_teams = ma.fields.Function(lambda p: p.offer.max_teams)
    deadline = ma.fields.DateTime(allow_none=True)
    participants = ma.fields.Method("_participants")
    shares_final = ma.fields.Function(lambda p: p.status == PurchaseStatus.APPROVED)
    created_at = ma.fields.DateTime()
    closed_at = ma.fields.DateTime(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    decision_note = ma.fields.String()
    actions = ma.fields.Function(
        lambda p: getattr(p, "actions_for_viewer", None),
        metadata={
            "description": "What the requesting user may do now (join, leave, confirm, "
            "close, approve, reject, cancel)"
        },
    )

    def _participants(self, purchase):
        shares = shares_of(purchase)
        return [
            {**ParticipantSchema().dump(p), "share_krw": shares.get(p.team_id)}
            for p in joined(purchase)
        ]


class PurchaseListArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    status = ma.fields.String(
        load_default=None, validate=validate.OneOf([s.value for s in PurchaseStatus])
    )
    mode = ma.fields.String(
        load_default=None, validate=validate.OneOf([m.value for m in OfferMode])
    )
    team = ma.fields.String(load_default=None, validate=validate.Length(max=32))
    dataset = ma.fields.String(load_default=None, validate=validate.Length(max=100))
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = cursor_field()


class PurchasePageSchema(PageMetaSchema):
    items = ma.fields.List(ma.fields.Nested(PurchaseSchema))
