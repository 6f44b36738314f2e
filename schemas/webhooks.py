"""Webhook schemas: what a lead or provider sends to register an endpoint, an endpoint as
its owner sees it (the secret only in the answer to its creation), and its deliveries."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from catalog.models.notifications import NoticeKind
from catalog.outbox.webhooks import message_id
from schemas.common import computed, string_enum

KINDS = [k.value for k in NoticeKind]


class WebhookCreateSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    url = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "An http:// or https:// URL that accepts POST requests"},
    )
    description = ma.fields.String(load_default="", validate=validate.Length(max=200))
    kinds = ma.fields.List(
        string_enum("NoticeKind", KINDS, validate=validate.OneOf(KINDS)),
        load_default=list,
        validate=validate.Length(max=len(KINDS)),
        metadata={
            "description": "Notice kinds to send (default: every kind your team or "
            "institution receives)"
        },
    )


class WebhookSchema(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.String()
    description = ma.fields.String()
    kinds = ma.fields.List(
        string_enum("NoticeKind", KINDS, validate=validate.OneOf(KINDS)),
        metadata={"description": "Notice kinds sent; empty means every kind"},
    )
    owner = computed(
        string_enum("WebhookOwner", ["team", "institution"]),
        lambda w: "team" if w.team_id is not None else "institution",
    )
    active = ma.fields.Boolean()
    created_at = ma.fields.DateTime()


class WebhookCreatedSchema(WebhookSchema):
    secret = ma.fields.String(
        metadata={
            "description": "The signing secret (whsec_…). Shown only in this response: store "
            "it now and verify each request's webhook-signature with it."
        },
    )


class WebhookListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(WebhookSchema))


class DeliverySchema(ma.Schema):
    id = ma.fields.Integer()
    message_id = computed(
        ma.fields.String(metadata={"description": "The webhook-id header of the request"}),
        lambda d: message_id(d.notice_id),
    )
    type = computed(ma.fields.String(allow_none=True), lambda d: d.payload.get("type"))
    status = computed(
        string_enum("DeliveryStatus", ["pending", "sent", "failed"]), lambda d: d.status.value
    )
    attempts = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    last_attempt_at = ma.fields.DateTime(allow_none=True)
    next_attempt_at = computed(
        ma.fields.DateTime(
            allow_none=True,
            metadata={
                "description": "When a pending delivery is tried next (null once sent or failed)"
            },
        ),
        lambda d: d.next_attempt_at if d.status.value == "pending" else None,
    )
    sent_at = ma.fields.DateTime(allow_none=True)
    response_status = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String()


class DeliveryListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DeliverySchema))
