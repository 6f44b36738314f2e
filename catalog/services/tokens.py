"""API tokens: random, shown once, stored only as SHA-256, with scopes and expiry.

``create_token`` and ``revoke_token`` own their transaction (a caller's surrounding
``with transaction(session):`` merely commits nothing more).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import policy
from catalog.db import transaction, utcnow
from catalog.errors import DomainError, Forbidden, InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.users import ApiToken, Role, User
from catalog.services.audit import record_event
from catalog.services.context import Actor
from catalog.services.paging import KeysetSlice, id_desc_page

TOKEN_PREFIX = "kdc_"
ALL_SCOPES = policy.ALL_SCOPES
# The scopes each role's tokens may carry, derived from the rights policy.
ROLE_SCOPES = {role: policy.scopes_for(role) for role in Role}
MAX_DAYS = 366


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"

    def __init__(self, detail: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="kdc"'})
        super().__init__(detail, **kwargs)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(
    session: Session,
    actor: Actor,
    user: User,
    *,
    scopes: list[str] | None = None,
    days: int = 90,
    name: str = "",
    within: list[str] | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the raw token (shown once).

    ``within``: the scopes of the token the request came with. A token cannot mint a
    token with more rights than itself; without ``scopes`` the new token gets the
    role's scopes that ``within`` also holds.
    """
    allowed = ROLE_SCOPES[user.role]
    if within is not None:
        allowed = tuple(s for s in allowed if s in within)
    scopes = sorted(set(scopes or allowed))
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if unknown:
        raise InvalidInput(
            f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}",
            code="invalid_scope",
        )
    beyond = [s for s in scopes if s not in allowed]
    if beyond:
        holder = "this token" if within is not None else f"role {user.role.value}"
        raise Forbidden(
            f"{holder} cannot grant scope(s): {', '.join(beyond)}", code="scope_not_allowed"
        )
    if not scopes:
        raise InvalidInput("a token needs at least one scope", code="invalid_scope")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be between 1 and {MAX_DAYS}", code="invalid_days")
    policy.require(actor, "token.create", user)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction(session):
        token = ApiToken(
            user_id=user.id,
            name=name[:100],
            token_hash=hash_token(raw),
            prefix=raw[: len(TOKEN_PREFIX) + 6],
            scopes=scopes,
            expires_at=utcnow() + timedelta(days=days),
        )
        session.add(token)
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.TOKEN_CREATE,
            "api_token",
            token.id,
            {
                "user": user.email,
                "scopes": scopes,
                "days": days,
                "prefix": token.prefix,
                "name": token.name,
            },
        )
    return token, raw


def list_tokens(session: Session, actor: Actor) -> list[ApiToken]:
    """The acting user's own tokens, newest first (revoked and expired included)."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == actor.user_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def token_page(
    session: Session, actor: Actor, *, limit: int = 100, before: int | None = None
) -> KeysetSlice:
    """A page of the acting user's own tokens, newest first (``before``: a keyset cursor)."""
    return id_desc_page(
        session,
        select(ApiToken).where(ApiToken.user_id == actor.user_id),
        ApiToken.id,
        page=1,
        limit=limit,
        before=before,
    )


def token_status(token: ApiToken, now: datetime | None = None) -> str:
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one of the actor's tokens (admins: anyone's); revoking twice changes nothing."""
    with transaction(session):
        token = session.get(ApiToken, token_id)
        if token is None or not policy.can(actor, "token.revoke", token):
            raise NotFound(f"No token {token_id} of yours exists.", code="token_not_found")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            record_event(
                session,
                actor,
                AuditAction.TOKEN_REVOKE,
                "api_token",
                token.id,
                {"prefix": token.prefix},
            )
    return token


def authenticate_token(session: Session, raw: str) -> tuple[User, ApiToken]:
    """Resolve a bearer token, refusing unknown, expired, revoked or inactive ones at once."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None:
        raise Unauthorized("The token is not valid.", code="invalid_token")
    now = utcnow()
    if token.revoked_at is not None:
        raise Unauthorized("The token has been revoked.", code="token_revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized("The token has expired.", code="token_expired")
    if not token.user.active:
        raise Unauthorized("The token's user is deactivated.", code="user_inactive")
    # Cheap last-used bookkeeping: at most one write per token per minute.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        with transaction(session):
            token.last_used_at = now
    return token.user, token
