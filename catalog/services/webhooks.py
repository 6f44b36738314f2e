"""Webhook endpoints: a team lead registers them for the team, provider staff for the
institution; each receives that audience's notices, signed with its own secret.

The secret is returned once, at creation (it is kept, since signing needs it, but never
shown again). Deleting an endpoint stops its deliveries (pending ones are marked failed)
and keeps its history. Whoever may manage an endpoint (the team's leads, the
institution's providers) sees its delivery history.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import SplitResult, urlsplit

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from catalog import policy
from catalog.db import id_in_range, transaction, utcnow
from catalog.errors import Conflict, InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.notifications import (
    Delivery,
    DeliveryStatus,
    NoticeKind,
    WebhookEndpoint,
)
from catalog.services.audit import record_event
from catalog.services.context import Actor

MAX_PER_OWNER = 10
MAX_URL = 2000


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def owner_of(actor: Actor) -> tuple[str, int]:
    """("team", id) for a team lead, ("institution", id) for provider staff; else 403."""
    return policy.webhook_owner(actor)


def _owned_query(actor: Actor) -> Select[WebhookEndpoint]:
    kind, owner_id = owner_of(actor)
    column = WebhookEndpoint.team_id if kind == "team" else WebhookEndpoint.institution_id
    return select(WebhookEndpoint).where(column == owner_id, WebhookEndpoint.deleted_at.is_(None))


def audience_kinds(actor: Actor) -> tuple[NoticeKind, ...]:
    """The notice kinds an endpoint of the actor's team or institution can receive."""
    kind, _id = owner_of(actor)
    if kind == "institution":
        return policy.notice_kinds(policy.PROVIDER)
    return tuple(NoticeKind)


def check_url(url: str) -> str:
    url = (url or "").strip()
    parts: SplitResult | None
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or len(url) > MAX_URL
        or any(c.isspace() for c in url)
        or parts.username
        or parts.password
    ):
        raise InvalidInput(
            "A webhook URL is an http:// or https:// address (at most 2,000 characters, "
            "no credentials in it).",
            code="invalid_webhook_url",
            errors={"url": ["not an http(s) URL"]},
        )
    return url


def list_webhooks(session: Session, actor: Actor) -> list[WebhookEndpoint]:
    """The endpoints of the actor's team (leads) or institution (providers), newest first."""
    return list(session.scalars(_owned_query(actor).order_by(WebhookEndpoint.id.desc())))


def get_webhook(session: Session, actor: Actor, webhook_id: int) -> WebhookEndpoint:
    endpoint = (
        session.scalar(_owned_query(actor).where(WebhookEndpoint.id == webhook_id))
        if id_in_range(webhook_id)
        else None
    )
    if endpoint is None:
        owner_of(actor)
        raise NotFound(f"No webhook {webhook_id} of yours.", code="webhook_not_found")
    return endpoint


def create_webhook(
    session: Session,
    actor: Actor,
    *,
    url: str,
    kinds: Iterable[str] | None = None,
    description: str = "",
    now: datetime | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret (shown this once)."""
    owner, owner_id = owner_of(actor)
    url = check_url(url)
    kinds = sorted(set(kinds or []))
    allowed = {k.value for k in audience_kinds(actor)}
    unknown = [k for k in kinds if k not in allowed]
    if unknown:
        raise InvalidInput(
            f"unknown notice kind(s) for a {owner} webhook: {', '.join(unknown)}",
            code="invalid_kind",
            errors={"kinds": [f"unknown: {', '.join(unknown)}"]},
        )
    description = (description or "").strip()
    if len(description) > 200:
        raise InvalidInput("description is longer than 200 characters", code="invalid_input")
    with transaction(session):
        count = (
            session.scalar(select(func.count()).select_from(_owned_query(actor).subquery())) or 0
        )
        if count >= MAX_PER_OWNER:
            raise Conflict(
                f"Your {owner} already has {MAX_PER_OWNER} webhooks; delete one first.",
                code="webhook_limit",
            )
        secret = new_secret()
        endpoint = WebhookEndpoint(
            created_by_id=actor.user_id,
            team_id=owner_id if owner == "team" else None,
            institution_id=owner_id if owner == "institution" else None,
            url=url,
            description=description,
            secret=secret,
            kinds=kinds,
            active=True,
            created_at=now or utcnow(),
        )
        session.add(endpoint)
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.WEBHOOK_CREATE,
            "webhook",
            endpoint.id,
            {owner: owner_id, "url": url, "kinds": kinds},
        )
    return endpoint, secret


def delete_webhook(
    session: Session, actor: Actor, webhook_id: int, now: datetime | None = None
) -> WebhookEndpoint:
    """Stop an endpoint: no new deliveries, pending ones marked failed; history kept."""
    now = now or utcnow()
    with transaction(session):
        endpoint = get_webhook(session, actor, webhook_id)
        endpoint.active = False
        endpoint.deleted_at = now
        session.execute(
            update(Delivery)
            .where(Delivery.webhook_id == endpoint.id, Delivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.FAILED, last_error="the webhook was deleted")
        )
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.WEBHOOK_DELETE,
            "webhook",
            endpoint.id,
            {"url": endpoint.url},
        )
    return endpoint


def webhook_deliveries(
    session: Session, actor: Actor, webhook_id: int, *, limit: int = 50
) -> list[Delivery]:
    """The endpoint's deliveries, newest first."""
    endpoint = get_webhook(session, actor, webhook_id)
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.webhook_id == endpoint.id)
            .order_by(Delivery.id.desc())
            .limit(limit)
        )
    )
