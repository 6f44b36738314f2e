"""Users, their passwords (argon2id) and their web sessions.

A web session is valid while it carries the user's ``session_version``; ``end_sessions``
raises it, which ends every session of the user at once (sign-out, a new password, a new
role, deactivation). Sign-in, its failures and sign-out are audited; no event carries a
password, a token or the text typed into the e-mail field for an unknown account (that
text is sometimes a password).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from catalog.db import transaction, utcnow
from catalog.errors import Conflict, InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.institutions import Institution
from catalog.models.teams import Team
from catalog.models.users import ApiToken, Role, User
from catalog.services.audit import record_event
from catalog.services.context import Actor

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so that timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash("kdc-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def _check_password(session: Session, email: str, password: str) -> tuple[User | None, str]:
    """The account and why it may not sign in ("" when it may)."""
    user = find_user(session, email)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return user, "unknown_account" if user is None else "wrong_password"
    if user is None:
        return None, "unknown_account"
    if not user.active:
        return user, "inactive"
    return user, ""


def authenticate(session: Session, email: str, password: str) -> User | None:
    user, refused = _check_password(session, email, password)
    return None if refused else user


def sign_in(session: Session, email: str, password: str, *, client_addr: str = "") -> User | None:
    """Check an e-mail and password for a web sign-in and record the outcome in the audit
    log (``auth:sign_in`` or ``auth:sign_in_failed`` with the reason); the user or None."""
    user, refused = _check_password(session, email, password)
    with transaction(session):
        if not refused and user is not None:
            record_event(
                session,
                Actor.for_user(user, client_addr=client_addr),
                AuditAction.AUTH_SIGN_IN,
                "user",
                user.id,
                {"email": user.email},
            )
            return user
        anonymous = Actor(user_id=None, label="anonymous", role=None, client_addr=client_addr)
        record_event(
            session,
            anonymous,
            AuditAction.AUTH_SIGN_IN_FAILED,
            "user",
            user.id if user is not None else "unknown",
            {"email": user.email, "reason": refused} if user is not None else {"reason": refused},
        )
    return None


def end_sessions(session: Session, user: User) -> int:
    """End every web session of ``user`` (in the caller's transaction); the new version."""
    session.execute(
        update(User).where(User.id == user.id).values(session_version=User.session_version + 1)
    )
    session.refresh(user, ["session_version"])
    return user.session_version


def sign_out(session: Session, actor: Actor, user_id: int) -> None:
    """Sign out: end every session of the user (a copied cookie too), and audit it."""
    with transaction(session):
        user = session.get(User, user_id)
        if user is None:
            return
        end_sessions(session, user)
        record_event(
            session, actor, AuditAction.AUTH_SIGN_OUT, "user", user.id, {"email": user.email}
        )


def revoke_all_tokens(session: Session, actor: Actor, user: User, reason: str) -> list[str]:
    """Revoke every live token of ``user`` (in the caller's transaction, one audit event per
    token); the revoked tokens' prefixes."""
    now = utcnow()
    live = session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id)
    ).all()
    prefixes = []
    for token in live:
        if token.expires_at is not None and token.expires_at <= now:
            continue
        token.revoked_at = now
        prefixes.append(token.prefix)
        record_event(
            session,
            actor,
            AuditAction.TOKEN_REVOKE,
            "api_token",
            token.id,
            {"prefix": token.prefix, "user": user.email, "reason": reason},
        )
    return prefixes


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
