"""Who is calling: the user behind a token, its role, team or institution, and the token."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from catalog import policy
from catalog.errors import NotFound
from catalog.models.institutions import Institution
from catalog.models.teams import Team
from catalog.models.users import ApiToken, User
from catalog.services.context import Actor


@dataclass
class Me:
    user: User
    team: Team | None
    institution: Institution | None
    token: ApiToken | None


def whoami(session: Session, actor: Actor) -> Me:
    """The acting user, their team or institution and the token in use (if any)."""
    policy.require(actor, "account.read")
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise NotFound("No user acts here.", code="not_found")
    token = session.get(ApiToken, actor.token_id) if actor.token_id is not None else None
    return Me(user=user, team=user.team, institution=user.institution, token=token)
