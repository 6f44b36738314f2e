"""Users and their passwords (argon2id)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.db import transaction
from catalog.errors import Conflict, InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.institutions import Institution
from catalog.models.teams import Team
from catalog.models.users import Role, User
from catalog.services.audit import record_event
from catalog.services.context import Actor

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so that timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash("kdc-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = find_user(session, email)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    return user


def create_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    name: str,
    password: str,
    role: Role | str,
    team_code: str | None = None,
    institution_code: str | None = None,
    password_hash: str | None = None,
) -> User:
    """Create a user account (audited).

    ``password_hash`` (an argon2 hash made by ``hash_password``) may replace ``password``
    when many accounts share one password, as the demo accounts do.
    """
    with transaction(session):
        role = Role(role)
        email = email.strip().lower()
        if "@" not in email:
            raise InvalidInput(f"not an e-mail address: {email!r}", code="invalid_email")
        if find_user(session, email):
            raise Conflict(f"a user {email} already exists", code="user_exists")
        team = institution = None
        if role in (Role.TEAM_MEMBER, Role.TEAM_LEAD):
            if not team_code:
                raise InvalidInput("team members and leads need a team", code="team_required")
            team = session.scalar(select(Team).where(Team.code == team_code))
            if team is None:
                raise NotFound(f"no team {team_code!r}")
        if role == Role.PROVIDER:
            if not institution_code:
                raise InvalidInput("providers need an institution", code="institution_required")
            institution = session.scalar(
                select(Institution).where(Institution.code == institution_code.upper())
            )
            if institution is None:
                raise NotFound(f"no institution {institution_code!r}")
        if password_hash is None and len(password) < 8:
            raise InvalidInput("passwords need at least 8 characters", code="weak_password")
        user = User(
            email=email,
            name=name,
            password_hash=password_hash or hash_password(password),
            role=role,
            team_id=team.id if team else None,
            institution_id=institution.id if institution else None,
        )
        session.add(user)
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.USER_CREATE,
            "user",
            user.id,
            {
                "email": email,
                "role": role.value,
                "team": team.code if team else None,
                "institution": institution.code if institution else None,
            },
        )
        return user
