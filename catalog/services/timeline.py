"""One purchase timeline for both modes: 요청 → 리더 확정 → 기관 승인 → 약관 동의 → 내려받기.

A joint purchase has two steps more, between the request and the approval: teams join
until the deadline, and the purchase is closed to new teams. Each step is ``done``,
``current`` (the one the purchase waits on), ``todo`` or ``stopped`` (the purchase was
rejected, cancelled or failed there). The last two steps follow the licence of the
viewer's team (or, for someone outside the teams, every licence of the purchase).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models.access import AccessGrant
from catalog.models.licenses import License
from catalog.models.offers import OfferMode
from catalog.models.purchases import ParticipantStatus, Purchase, PurchaseStatus

STOPPED = (PurchaseStatus.REJECTED, PurchaseStatus.CANCELLED, PurchaseStatus.FAILED)


@dataclass
class Step:
    key: str  # request, join, confirm, close, approve, terms, download
    state: str  # done, current, todo, stopped
    when: datetime | None = None


def purchase_timeline(session: Session, purchase: Purchase, team_id: int | None) -> list[Step]:
    """The steps of ``purchase`` as the viewer (of team ``team_id``, or none) follows them."""
    joint = purchase.mode == OfferMode.JOINT
    status = purchase.status
    parts = [p for p in purchase.participants if p.status == ParticipantStatus.JOINED]
    steps = [Step("request", "done", purchase.created_at)]
    open_ = status == PurchaseStatus.OPEN
    if joint:
        steps.append(Step("join", "current" if open_ else "done", purchase.deadline))
    confirmed = [p.confirmed_at for p in parts if p.confirmed_at is not None]
    all_confirmed = bool(parts) and len(confirmed) == len(parts)
    waiting_lead = status in (PurchaseStatus.REQUESTED, PurchaseStatus.OPEN) and not all_confirmed
    if waiting_lead:
        steps.append(Step("confirm", "current"))
    elif status in STOPPED and not all_confirmed and purchase.closed_at is None:
        steps.append(Step("confirm", "stopped", purchase.decided_at))
    else:
        steps.append(Step("confirm", "done", max(confirmed) if confirmed else None))
    if joint:
        if open_:
            steps.append(Step("close", "todo" if waiting_lead else "current"))
        elif purchase.closed_at is not None:
            failed = status == PurchaseStatus.FAILED
            steps.append(Step("close", "stopped" if failed else "done", purchase.closed_at))
        else:
            steps.append(Step("close", "stopped", purchase.decided_at))
    if status == PurchaseStatus.APPROVED:
        steps.append(Step("approve", "done", purchase.decided_at))
    elif status in STOPPED:
        steps.append(
            Step(
                "approve",
                "stopped" if steps[-1].state != "stopped" else "todo",
                purchase.decided_at,
            )
        )
    elif status == PurchaseStatus.PENDING_APPROVAL or (
        status == PurchaseStatus.REQUESTED and all_confirmed
    ):
        steps.append(Step("approve", "current"))
    else:
        steps.append(Step("approve", "todo"))
    if status != PurchaseStatus.APPROVED:
        steps += [Step("terms", "todo"), Step("download", "todo")]
        return steps
    q = select(License).where(License.purchase_id == purchase.id)
    if team_id is not None and any(p.team_id == team_id for p in parts):
        q = q.where(License.team_id == team_id)
    licences = list(session.scalars(q))
    accepted = [lic.terms_accepted_at for lic in licences if lic.terms_accepted_at is not None]
    if licences and len(accepted) == len(licences):
        steps.append(Step("terms", "done", max(accepted)))
        first = session.scalar(
            select(func.min(AccessGrant.created_at)).where(
                AccessGrant.license_id.in_([lic.id for lic in licences])
            )
        )
        steps.append(Step("download", "done" if first else "current", first))
    else:
        steps += [Step("terms", "current"), Step("download", "todo")]
    return steps
