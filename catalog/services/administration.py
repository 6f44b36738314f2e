"""The programme office's (admin's) tools: institutions, teams, users and roles,
evaluation phases, and a preview of what eliminating a team would do.

Budget grants are ``ledger.grant_budget``; elimination itself is
``elimination.eliminate_team``. Every change here is one transaction with its audit event.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from catalog import policy
from catalog.db import id_in_range, transaction, utcnow
from catalog.errors import Conflict, InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.datasets import Dataset
from catalog.models.institutions import Institution, InstitutionKind
from catalog.models.licenses import License, LicenseStatus
from catalog.models.purchases import ParticipantStatus, Purchase, PurchaseParticipant
from catalog.models.teams import EvaluationPhase, Team, TeamStatus
from catalog.models.users import Role, User
from catalog.services import ledger, purchasing
from catalog.services.audit import record_event
from catalog.services.context import Actor
from catalog.services.users import (
    create_user,
    end_sessions,
    hash_password,
    revoke_all_tokens,
)

INST_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{1,15}$")
TEAM_CODE_RE = re.compile(r"^[a-z][a-z0-9-]{1,31}$")


def _invalid(field_name: str, message: str, code: str = "invalid_input") -> InvalidInput:
    return InvalidInput(f"{field_name}: {message}", code=code, errors={field_name: [message]})


def _names(name_ko: str, name_en: str) -> tuple[str, str]:
    name_ko, name_en = (name_ko or "").strip(), (name_en or "").strip()
    if not name_ko:
        raise _invalid("name_ko", "A Korean name is required.")
    if not name_en:
        raise _invalid("name_en", "An English name is required.")
    if len(name_ko) > 200 or len(name_en) > 200:
        raise _invalid("name_en" if len(name_en) > 200 else "name_ko", "At most 200 characters.")
    return name_ko, name_en


# --- institutions ------------------------------------------------------------------------------


def list_institutions(session: Session, actor: Actor) -> list[tuple[Institution, int, int]]:
    """Each institution with its number of datasets and its revenue in won."""
    policy.require(actor, "programme.manage")
    counts = dict(
        session.execute(
            select(Dataset.institution_id, func.count()).group_by(Dataset.institution_id)
        ).all()
    )
    out = []
    for inst in session.scalars(select(Institution).order_by(Institution.code)):
        out.append((inst, counts.get(inst.id, 0), ledger.institution_revenue(session, inst)))
    return out


def create_institution(
    session: Session, actor: Actor, *, code: str, name_ko: str, name_en: str, kind: str
) -> Institution:
    policy.require(actor, "programme.manage")
    code = (code or "").strip().upper()
    if not INST_CODE_RE.match(code):
        raise _invalid("code", "2–16 capital letters or digits, e.g. NAK.", "invalid_code")
    name_ko, name_en = _names(name_ko, name_en)
    try:
        kind_value = InstitutionKind(kind)
    except ValueError:
        raise _invalid("kind", "Choose a kind.", "invalid_kind") from None
    with transaction(session):
        if session.scalar(select(Institution.id).where(Institution.code == code)):
            raise Conflict(
                f"An institution {code} already exists.",
                code="code_taken",
                errors={"code": ["This code is taken."]},
            )
        inst = Institution(code=code, name_ko=name_ko, name_en=name_en, kind=kind_value)
        session.add(inst)
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.INSTITUTION_CREATE,
            "institution",
            code,
            {"name_ko": name_ko, "name_en": name_en, "kind": kind_value.value},
        )
    return inst


# --- teams -------------------------------------------------------------------------------------


def list_teams(session: Session, actor: Actor) -> list[Team]:
    policy.require(actor, "programme.manage")
    return list(session.scalars(select(Team).order_by(Team.code)))


def create_team(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name_ko: str,
    name_en: str,
    organisations: Sequence[str] | str = (),
    budget_krw: int = 0,
) -> Team:
    """A new team, with an initial budget grant when ``budget_krw`` is above zero."""
    policy.require(actor, "programme.manage")
    code = (code or "").strip().lower()
    if not TEAM_CODE_RE.match(code):
        raise _invalid(
            "code", "2–32 lower-case letters, digits or '-', e.g. naver.", "invalid_code"
        )
    name_ko, name_en = _names(name_ko, name_en)
    if isinstance(organisations, str):
        organisations = organisations.split(",")
    orgs = [o.strip() for o in organisations if o.strip()][:50]
    if (
        isinstance(budget_krw, bool)
        or not isinstance(budget_krw, int)
        or not 0 <= budget_krw <= ledger.MAX_AMOUNT
    ):
        raise _invalid("budget_krw", "A whole number of won from 0.", "invalid_amount")
    with transaction(session):
        if session.scalar(select(Team.id).where(Team.code == code)):
            raise Conflict(
                f"A team {code} already exists.",
                code="code_taken",
                errors={"code": ["This code is taken."]},
            )
        team = Team(code=code, name_ko=name_ko, name_en=name_en, organisations=orgs)
        session.add(team)
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.TEAM_CREATE,
            "team",
            code,
            {"name_ko": name_ko, "name_en": name_en, "organisations": orgs},
        )
        if budget_krw:
            ledger.grant_budget(session, actor, code, budget_krw, memo="initial data budget")
    return team


# --- users -------------------------------------------------------------------------------------


def list_users(session: Session, actor: Actor, *, role: str | None = None) -> list[User]:
    policy.require(actor, "programme.manage")
    q = select(User).options(selectinload(User.team), selectinload(User.institution))
    if role:
        try:
            q = q.where(User.role == Role(role))
        except ValueError:
            raise _invalid("role", "Unknown role.", "invalid_role") from None
    return list(session.scalars(q.order_by(User.email)))


def _affiliation(
    role: Role, team_code: str | None, institution_code: str | None
) -> tuple[str | None, str | None]:
    if role in (Role.TEAM_MEMBER, Role.TEAM_LEAD):
        if not team_code:
            raise _invalid("team", "Team members and leads belong to a team.", "team_required")
        return team_code, None
    if role == Role.PROVIDER:
        if not institution_code:
            raise _invalid(
                "institution", "Provider staff belong to an institution.", "institution_required"
            )
        return None, institution_code
    return None, None


def create_account(
    session: Session,
    actor: Actor,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    team_code: str | None = None,
    institution_code: str | None = None,
) -> User:
    policy.require(actor, "programme.manage")
    try:
        role_value = Role(role)
    except ValueError:
        raise _invalid("role", "Choose a role.", "invalid_role") from None
    team_code, institution_code = _affiliation(role_value, team_code, institution_code)
    if len(password or "") < 8:
        raise _invalid("password", "At least 8 characters.", "weak_password")
    if not (name or "").strip():
        raise _invalid("name", "A name is required.")
    if "@" not in (email or "") or len(email) > 254:
        raise _invalid("email", "An e-mail address.", "invalid_email")
    with transaction(session):
        try:
            user = create_user(
                session,
                actor,
                email=email,
                name=name.strip()[:200],
                password=password,
                role=role_value,
                team_code=team_code,
                institution_code=institution_code,
            )
        except Conflict as exc:
            exc.extra.setdefault("errors", {"email": [exc.detail]})
            raise
        except NotFound as exc:
            field_name = "team" if team_code else "institution"
            raise _invalid(field_name, exc.detail) from None
    return user


def update_account(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    role: str,
    team_code: str | None = None,
    institution_code: str | None = None,
    active: bool = True,
    password: str | None = None,
    revoke_tokens: bool = False,
) -> User:
    """Change a user's role and affiliation, (de)activate them, or set a new password.

    A new password, a new role or deactivation ends every web session of the user; a new
    role and deactivation also revoke every API token (a token's scopes were granted for
    the old role), and so does a new password with ``revoke_tokens``.
    """
    policy.require(actor, "programme.manage")
    try:
        role_value = Role(role)
    except ValueError:
        raise _invalid("role", "Choose a role.", "invalid_role") from None
    team_code, institution_code = _affiliation(role_value, team_code, institution_code)
    if password and len(password) < 8:
        raise _invalid("password", "At least 8 characters.", "weak_password")
    with transaction(session):
        user = session.get(User, user_id) if id_in_range(user_id) else None
        if user is None:
            raise NotFound(f"No user {user_id}.")
        if user.id == actor.user_id and (role_value != Role.ADMIN or not active):
            raise Conflict("You cannot demote or deactivate yourself.", code="self_demotion")
        team = inst = None
        if team_code:
            team = session.scalar(select(Team).where(Team.code == team_code))
            if team is None:
                raise _invalid("team", f"No team {team_code!r}.")
        if institution_code:
            inst = session.scalar(
                select(Institution).where(Institution.code == institution_code.upper())
            )
            if inst is None:
                raise _invalid("institution", f"No institution {institution_code!r}.")
        before = {
            "role": user.role.value,
            "team": user.team.code if user.team else None,
            "institution": user.institution.code if user.institution else None,
            "active": user.active,
        }
        user.role = role_value
        user.team_id = team.id if team else None
        user.institution_id = inst.id if inst else None
        user.active = bool(active)
        if password:
            user.password_hash = hash_password(password)
        after = {
            "role": role_value.value,
            "team": team.code if team else None,
            "institution": inst.code if inst else None,
            "active": user.active,
        }
        role_changed = (before["role"], before["team"], before["institution"]) != (
            after["role"],
            after["team"],
            after["institution"],
        )
        deactivated = bool(before["active"]) and not user.active
        ends_sessions = bool(password) or role_changed or deactivated
        session.flush()
        if ends_sessions:
            end_sessions(session, user)
        record_event(
            session,
            actor,
            AuditAction.USER_UPDATE,
            "user",
            user.id,
            {
                "email": user.email,
                "before": before,
                "after": after,
                "password_changed": bool(password),
                "sessions_ended": ends_sessions,
            },
        )
        if role_changed:
            record_event(
                session,
                actor,
                AuditAction.USER_CHANGE_ROLE,
                "user",
                user.id,
                {
                    "email": user.email,
                    "before": {k: before[k] for k in ("role", "team", "institution")},
                    "after": {k: after[k] for k in ("role", "team", "institution")},
                },
            )
        if password:
            record_event(
                session,
                actor,
                AuditAction.USER_SET_PASSWORD,
                "user",
                user.id,
                {"email": user.email, "revoke_tokens": bool(revoke_tokens)},
            )
        if role_changed or deactivated or (password and revoke_tokens):
            reason = (
                "role_changed" if role_changed else "deactivated" if deactivated else "password"
            )
            revoke_all_tokens(session, actor, user, reason)
    return user


# --- evaluation phases and elimination -----------------------------------------------------


def list_phases(session: Session, actor: Actor) -> list[EvaluationPhase]:
    policy.require(actor, "programme.manage")
    return list(session.scalars(select(EvaluationPhase).order_by(EvaluationPhase.number)))


def create_phase(
    session: Session,
    actor: Actor,
    *,
    number: int,
    name: str,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> EvaluationPhase:
    policy.require(actor, "programme.manage")
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 1000:
        raise _invalid("number", "A whole number from 1.", "invalid_phase")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise _invalid("name", "A name of at most 200 characters.")
    if starts_on and ends_on and ends_on < starts_on:
        raise _invalid("ends_on", "The end comes before the start.")
    with transaction(session):
        if session.scalar(select(EvaluationPhase.id).where(EvaluationPhase.number == number)):
            raise Conflict(
                f"Phase {number} exists.",
                code="phase_exists",
                errors={"number": ["This phase exists."]},
            )
        phase = EvaluationPhase(number=number, name=name, starts_on=starts_on, ends_on=ends_on)
        session.add(phase)
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.PHASE_CREATE,
            "evaluation_phase",
            number,
            {
                "name": name,
                "starts_on": starts_on.isoformat() if starts_on else None,
                "ends_on": ends_on.isoformat() if ends_on else None,
            },
        )
    return phase


@dataclass
class EliminationPreview:
    team: Team
    revoked: list[License] = field(default_factory=list)
    kept: list[License] = field(default_factory=list)
    withdrawn: list[tuple[Purchase, str]] = field(default_factory=list)


def elimination_preview(
    session: Session, actor: Actor, team_code: str, now: datetime | None = None
) -> EliminationPreview:
    """What ``elimination.eliminate_team`` would do now, without doing it (same rules)."""
    policy.require(actor, "programme.manage")
    now = now or utcnow()
    team = session.scalar(select(Team).where(Team.code == team_code))
    if team is None:
        raise NotFound(f"No team {team_code!r}.")
    if team.status == TeamStatus.ELIMINATED:
        raise Conflict(
            f"Team {team.code} was already eliminated at phase {team.eliminated_phase}.",
            code="already_eliminated",
        )
    preview = EliminationPreview(team=team)
    for lic in session.scalars(
        select(License)
        .where(
            License.team_id == team.id,
            License.status.in_((LicenseStatus.ACTIVE, LicenseStatus.SUSPENDED)),
        )
        .order_by(License.id)
        .options(selectinload(License.dataset))
    ):
        (preview.kept if (lic.terms or {}).get("survives_elimination") else preview.revoked).append(
            lic
        )
    purchases = session.scalars(
        select(Purchase)
        .join(PurchaseParticipant, PurchaseParticipant.purchase_id == Purchase.id)
        .where(
            PurchaseParticipant.team_id == team.id,
            PurchaseParticipant.status == ParticipantStatus.JOINED,
            Purchase.status.in_(purchasing.LIVE_STATUSES),
        )
        .order_by(Purchase.id)
        .options(
            selectinload(Purchase.participants),
            selectinload(Purchase.dataset),
            selectinload(Purchase.offer),
        )
    ).all()
    for p in purchases:
        if p.mode.value == "individual":
            outcome = "cancelled"
        else:
            remaining = len(purchasing.joined(p)) - 1
            if remaining == 0:
                outcome = "left; purchase cancelled"
            elif p.status.value == "pending_approval" and remaining < (p.offer.min_teams or 2):
                outcome = "left; purchase failed"
            else:
                outcome = "left"
        preview.withdrawn.append((p, outcome))
    return preview
