"""Eliminating a team at an evaluation phase (SPEC §3).

The team's licences are revoked unless their frozen terms survive elimination; its
undecided purchases are cancelled and its joint participations withdrawn (a joint purchase
left with too few teams fails); its ledger and history stay. One transaction, locking in
the purchasing order: purchases by id, then the team, then the audit chain head.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import policy
from catalog.db import transaction, utcnow
from catalog.errors import Conflict, InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.licenses import License
from catalog.models.offers import OfferMode
from catalog.models.purchases import (
    ParticipantStatus,
    Purchase,
    PurchaseParticipant,
    PurchaseStatus,
)
from catalog.models.teams import EvaluationPhase, Team, TeamStatus
from catalog.services import licensing, notices, purchasing
from catalog.services.audit import record_event
from catalog.services.context import Actor
from catalog.services.ledger import lock_teams


@dataclass
class EliminationResult:
    team: Team
    phase: int
    revoked: list[License] = field(default_factory=list)
    kept: list[License] = field(default_factory=list)
    withdrawn: list[tuple[int, str]] = field(default_factory=list)  # (purchase id, outcome)


def eliminate_team(
    session: Session, actor: Actor, team_code: str, phase: int, now: datetime | None = None
) -> EliminationResult:
    """Eliminate a team at an evaluation phase.

    Its licences are revoked unless their terms survive elimination; its undecided
    purchases and participations are withdrawn; its ledger and history stay.
    """
    now = now or utcnow()
    policy.require(actor, "team.eliminate")
    if isinstance(phase, bool) or not isinstance(phase, int) or phase < 1:
        raise InvalidInput("phase must be a positive whole number", code="invalid_phase")
    with transaction(session):
        team = session.scalar(select(Team).where(Team.code == team_code))
        if team is None:
            raise NotFound(f"No team {team_code!r}.")
        known = session.scalars(select(EvaluationPhase.number)).all()
        if known and phase not in known:
            raise InvalidInput(
                f"No evaluation phase {phase}; known: {', '.join(map(str, sorted(known)))}.",
                code="unknown_phase",
            )
        # Lock order: purchases (by id), then the team, then the audit chain.
        ids = session.scalars(
            select(Purchase.id)
            .join(PurchaseParticipant, PurchaseParticipant.purchase_id == Purchase.id)
            .where(
                PurchaseParticipant.team_id == team.id,
                PurchaseParticipant.status == ParticipantStatus.JOINED,
                Purchase.status.in_(purchasing.LIVE_STATUSES),
            )
            .order_by(Purchase.id)
        ).all()
        purchases = [purchasing.lock_purchase(session, actor, pid) for pid in ids]
        team = lock_teams(session, [team.id])[team.id]
        if team.status == TeamStatus.ELIMINATED:
            raise Conflict(
                f"Team {team.code} was already eliminated at phase {team.eliminated_phase}.",
                code="already_eliminated",
            )
        result = EliminationResult(team=team, phase=phase)
        for purchase in purchases:
            part = purchasing.participant_of(purchase, team.id)
            if (
                purchase.status not in purchasing.LIVE_STATUSES
                or part is None
                or part.status != ParticipantStatus.JOINED
            ):
                continue
            before = purchase.status
            if purchase.mode == OfferMode.INDIVIDUAL:
                purchase.status = PurchaseStatus.CANCELLED
                purchase.decided_at = now
                purchase.decided_by_id = actor.user_id
                purchase.decision_note = f"team eliminated at phase {phase}"
                outcome = "cancelled"
            else:
                part.status = ParticipantStatus.LEFT
                part.left_at = now
                part.confirmed_at = None
                session.flush()
                session.expire(purchase, ["participants"])
                remaining = len(purchasing.joined(purchase))
                outcome = "left"
                if remaining == 0:
                    purchase.status = PurchaseStatus.CANCELLED
                    purchase.decided_at = now
                    purchase.decision_note = f"last team eliminated at phase {phase}"
                    outcome = "left; purchase cancelled"
                elif purchase.status == PurchaseStatus.PENDING_APPROVAL and remaining < (
                    purchase.offer.min_teams or 2
                ):
                    purchase.status = PurchaseStatus.FAILED
                    purchase.decided_at = now
                    purchase.decision_note = (
                        f"fell below {purchase.offer.min_teams} teams when "
                        f"{team.code} was eliminated"
                    )
                    outcome = "left; purchase failed"
            session.flush()
            record_event(
                session,
                actor,
                AuditAction.PURCHASE_WITHDRAW,
                "purchase",
                purchase.id,
                {
                    "team": team.code,
                    "reason": f"team eliminated at phase {phase}",
                    "outcome": outcome,
                    "status": purchase.status.value,
                },
            )
            notices.purchase_withdrawn(session, actor, purchase, team, before)
            result.withdrawn.append((purchase.id, outcome))
        result.revoked, result.kept = licensing.revoke_for_elimination(session, actor, team, phase)
        team.status = TeamStatus.ELIMINATED
        team.eliminated_phase = phase
        team.eliminated_at = now
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.TEAM_ELIMINATE,
            "team",
            team.code,
            {
                "phase": phase,
                "revoked_licenses": [lic.id for lic in result.revoked],
                "kept_licenses": [lic.id for lic in result.kept],
                "withdrawn_purchases": [pid for pid, _o in result.withdrawn],
            },
        )
        notices.team_eliminated(session, actor, team, phase, len(result.revoked), len(result.kept))
    return result
