"""``/api/v1/events``: the event feed — what happened that the caller may see, oldest
first, after a cursor, with an optional long poll (``catalog.services.events``)."""

from __future__ import annotations

from flask import current_app, request, url_for
from flask.views import MethodView

from catalog.api.auth import SECURITY, current_actor, policy_required
from catalog.api.blueprint import ApiBlueprint as Blueprint
from catalog.db import get_session, session_settings
from catalog.services import events as event_service
from catalog.services.notices import webhook_body
from schemas.events import EventArgsSchema, EventPageSchema

blp = Blueprint(
    "events",
    __name__,
    url_prefix="/api/v1/events",
    description="The event feed: your team's or institution's notices, as webhooks carry them.",
)


@blp.route("")
class EventFeed(MethodView):
    @blp.doc(security=SECURITY, operationId="listEvents")
    @blp.arguments(EventArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, EventPageSchema)
    @blp.alt_response(401, schema=None, description="No valid token")
    @blp.alt_response(
        403, schema=None, description="The token lacks `catalog:read` (`insufficient_scope`)"
    )
    @blp.alt_response(422, schema=None, description="Bad `after`, `limit`, `kind` or `wait`")
    @policy_required("event.read")
    def get(self, after, limit, kind, wait):
        """Events after a cursor, oldest first; `wait` long-polls for new ones

        Teams see their team's purchases and licences, joint purchases other teams open,
        new versions of datasets they hold and their budget; providers their institution's
        decisions to make; the programme office and auditors everything. Each event is
        the body a webhook of the same audience receives, plus its `id`. Follow the feed
        by reading `next` (it carries `after=last_id` and your filters) again and again.
        """
        session = get_session()
        # The operator's cap (KDC_EVENTS_MAX_WAIT) bounds how long a request holds a worker.
        wait = min(wait, current_app.config.get("EVENTS_MAX_WAIT", event_service.MAX_WAIT))
        page = event_service.events(
            session, current_actor(), after=after, limit=limit, kinds=kind, wait=wait
        )
        base = session_settings(session).get("base_url") or request.host_url.rstrip("/")
        items = []
        for notice in page.items:
            body = webhook_body(notice, base)
            data = body["data"]
            items.append(
                {
                    "id": notice.id,
                    "type": body["type"],
                    "timestamp": body["timestamp"],
                    "subject": data.get("subject"),
                    "audience": page.audiences.get(notice.id, ""),
                    "data": data,
                }
            )
        args = {k: v for k, v in request.args.lists() if k != "after"}
        return {
            "items": items,
            "after": page.after,
            "last_id": page.last_id,
            "more": page.more,
            "next": url_for("events.EventFeed", after=page.last_id, **args),
            "waited": page.waited,
        }
