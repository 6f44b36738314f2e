"""``/api/v1/webhooks``: a team lead's (for the team) or provider's (for the institution)
webhook endpoints: list, create (the signing secret is shown once), delete, and each
endpoint's delivery history.

Reading needs ``catalog:read``; registering or deleting also needs the scope that lets
the token act for its owner: ``purchase:write`` (team leads) or ``provider:write``.
"""

from __future__ import annotations

from flask.views import MethodView

from catalog.api.auth import SECURITY, current_actor, policy_required
from catalog.api.blueprint import ApiBlueprint as Blueprint
from catalog.db import get_session
from catalog.services import webhooks
from schemas.webhooks import (
    DeliveryListSchema,
    WebhookCreatedSchema,
    WebhookCreateSchema,
    WebhookListSchema,
)

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1/webhooks",
    description="Webhooks: your team's or institution's notices, signed (Standard Webhooks).",
)


@blp.route("")
class WebhookList(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, WebhookListSchema)
    @blp.alt_response(
        403,
        schema=None,
        description="Not a team lead or provider (`lead_required`, `webhook_owner_required`)",
    )
    @policy_required("webhook.view")
    def get(self):
        """Your team's (leads) or institution's (providers) webhooks, newest first"""
        return {"items": webhooks.list_webhooks(get_session(), current_actor())}

    @blp.doc(security=SECURITY)
    @blp.arguments(WebhookCreateSchema)
    @blp.response(201, WebhookCreatedSchema)
    @blp.alt_response(
        403,
        schema=None,
        description="Not a team lead or provider (`lead_required`, `webhook_owner_required`)",
    )
    @blp.alt_response(409, schema=None, description="Ten webhooks already (`webhook_limit`)")
    @blp.alt_response(
        422,
        schema=None,
        description="Not an http(s) URL (`invalid_webhook_url`) or an unknown kind "
        "(`invalid_kind`)",
    )
    @policy_required("webhook.manage")
    def post(self, args):
        """Register a webhook; the response shows its signing secret once

        Each notice of your team (or institution) is POSTed as JSON with the headers
        `webhook-id`, `webhook-timestamp` and `webhook-signature` (Standard Webhooks).
        """
        endpoint, _secret = webhooks.create_webhook(
            get_session(),
            current_actor(),
            url=args["url"],
            kinds=args["kinds"],
            description=args["description"],
        )
        return endpoint  # WebhookCreatedSchema adds the secret, this once


@blp.route("/<int:webhook_id>")
class WebhookDetail(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(204)
    @blp.alt_response(404, schema=None, description="No such webhook of yours")
    @policy_required("webhook.manage")
    def delete(self, webhook_id):
        """Delete a webhook: nothing more is sent to it (pending deliveries fail)"""
        webhooks.delete_webhook(get_session(), current_actor(), webhook_id)
        return None


@blp.route("/<int:webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, DeliveryListSchema)
    @blp.alt_response(404, schema=None, description="No such webhook of yours")
    @policy_required("webhook.view")
    def get(self, webhook_id):
        """A webhook's last 50 deliveries, newest first: status, attempts, response, error"""
        return {"items": webhooks.webhook_deliveries(get_session(), current_actor(), webhook_id)}
