"""The to-do list: what each role should act on now, read from the state of the service.

One read model per role, each a list of ``Item`` in sections:

* team leads: confirmations to give (their team's requests and joins a lead has not yet
  confirmed, individual and joint), licence terms to accept, joint purchases closing
  soon, renewals (to confirm, or licences ending soon with no renewal asked), destruction
  attestations due;
* team members: the same, except that confirming is the lead's: those show as waiting;
* provider staff: purchases and renewals to approve or reject, unfinished uploads (draft
  versions and unpublished datasets), destruction attestations on their datasets;
* the programme office: budgets (every active team's balance; those with little or no
  money left to act on) and evaluation phases (one ended with no elimination decided is
  to act on; the others show when they end, or that they have no dates yet);
* auditors: the chain's status (never verified, a failed verification, events not yet
  under a signed checkpoint) and the latest checkpoint.

``Item.action`` is True when the viewer is the one to act; the navigation's badges count
those (``TodoList.total``; ``TodoList.purchases`` for the purchase menu). Reading only: no
transaction is opened, nothing is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog import policy
from catalog.db import utcnow
from catalog.models.datasets import Dataset, DatasetStatus, DatasetVersion, VersionStatus
from catalog.models.licenses import (
    License,
    LicenseRenewal,
    LicenseRenewalPart,
    LicenseStatus,
    RenewalStatus,
)
from catalog.models.offers import OfferMode
from catalog.models.purchases import (
    ParticipantStatus,
    Purchase,
    PurchaseParticipant,
    PurchaseStatus,
)
from catalog.models.teams import EvaluationPhase, Team, TeamStatus
from catalog.services.context import Actor

# A joint purchase "closes soon" within this time of its deadline.
CLOSING_SOON = timedelta(days=7)
# A licence "ends soon" (time to renew) within this time of its end.
ENDING_SOON = timedelta(days=30)
# A phase "ends soon" within this time of its last day.
PHASE_SOON = timedelta(days=30)
# A team's budget is "low" below this share of what it was granted.
LOW_BUDGET_SHARE = 0.1
# A verification older than this is stale.
VERIFY_EVERY = timedelta(days=7)


@dataclass
class Item:
    """One thing to do (or to watch). ``kind`` chooses the sentence the page shows."""

    kind: str
    action: bool = True
    purchase: Purchase | None = None
    license: License | None = None
    renewal: LicenseRenewal | None = None
    dataset: Dataset | None = None
    version: DatasetVersion | None = None
    team: Team | None = None
    phase: EvaluationPhase | None = None
    when: datetime | None = None
    amount_krw: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Section:
    key: str
    items: list[Item] = field(default_factory=list)


@dataclass
class TodoList:
    role: str
    sections: list[Section]

    @property
    def total(self) -> int:
        return sum(1 for s in self.sections for i in s.items if i.action)

    @property
    def purchases(self) -> int:
        """Actionable items about purchases (the badge of the purchase menu)."""
        return sum(
            1
            for s in self.sections
            for i in s.items
            if i.action and i.purchase is not None and i.kind in ("confirm", "approve", "closing")
        )

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    @property
    def empty(self) -> bool:
        return not any(s.items for s in self.sections)


def _sections(*keys: str) -> list[Section]:
    return [Section(k) for k in keys]


def todo_for(session: Session, actor: Actor, now: datetime | None = None) -> TodoList:
    """The actor's to-do list (any signed-in role; see the module's docstring)."""
    policy.require(actor, "todo.view")
    now = now or utcnow()
    # Each list is that of what the actor may do (the policy says who does what).
    if policy.can(actor, "myteam.view"):
        return _team_todo(session, actor, now)
    if policy.unrestricted(actor, "programme.manage"):
        return _admin_todo(session, actor, now)
    if policy.can(actor, "dataset.manage"):
        return _provider_todo(session, actor, now)
    if policy.can(actor, "audit.read"):
        return _auditor_todo(session, actor, now)
    return TodoList("none", [])


# --------------------------------------------------------------------------- teams


def _team_todo(session: Session, actor: Actor, now: datetime) -> TodoList:
    # Leads commit the team's money: confirming is theirs, members see it waiting.
    lead = bool(policy.relations_for(actor, "purchase.confirm"))
    todo = TodoList(
        "team", _sections("confirm", "terms", "closing", "renewals", "attestations", "team")
    )
    team = session.get(Team, actor.team_id)
    if team is None:
        return todo
    if team.status == TeamStatus.ELIMINATED:
        todo.section("team").items.append(Item("eliminated", action=False, team=team))
    live = (PurchaseStatus.REQUESTED, PurchaseStatus.OPEN)
    ours = session.scalars(
        select(PurchaseParticipant)
        .join(Purchase, Purchase.id == PurchaseParticipant.purchase_id)
        .where(
            PurchaseParticipant.team_id == team.id,
            PurchaseParticipant.status == ParticipantStatus.JOINED,
            Purchase.status.in_(live),
        )
        .options(selectinload(PurchaseParticipant.purchase).selectinload(Purchase.dataset))
        .order_by(Purchase.id)
    ).all()
    for part in ours:
        p = part.purchase
        if p.deadline is not None and p.deadline <= now:
            continue
        if part.confirmed_at is None:
            todo.section("confirm").items.append(
                Item(
                    "confirm" if lead else "await_lead",
                    action=lead,
                    purchase=p,
                    dataset=p.dataset,
                    when=p.deadline,
                )
            )
        elif (
            p.mode == OfferMode.JOINT
            and p.deadline is not None
            and p.deadline - now <= CLOSING_SOON
        ):
            todo.section("closing").items.append(
                Item("closing", action=False, purchase=p, dataset=p.dataset, when=p.deadline)
            )
    taking_part = {part.purchase_id for part in ours}
    if team.status == TeamStatus.ACTIVE:
        soon = session.scalars(
            select(Purchase)
            .where(
                Purchase.status == PurchaseStatus.OPEN,
                Purchase.mode == OfferMode.JOINT,
                Purchase.deadline > now,
                Purchase.deadline <= now + CLOSING_SOON,
            )
            .options(selectinload(Purchase.dataset), selectinload(Purchase.participants))
            .order_by(Purchase.deadline)
        ).all()
        for p in soon:
            if p.id in taking_part:
                continue
            joined = [x for x in p.participants if x.status == ParticipantStatus.JOINED]
            if len(joined) >= (p.offer.max_teams or 0):
                continue
            todo.section("closing").items.append(
                Item("closing", action=True, purchase=p, dataset=p.dataset, when=p.deadline)
            )
    licences = session.scalars(
        select(License)
        .where(License.team_id == team.id)
        .options(selectinload(License.dataset))
        .order_by(License.valid_until)
    ).all()
    renewing = set(
        session.scalars(
            select(LicenseRenewalPart.license_id)
            .join(LicenseRenewal, LicenseRenewal.id == LicenseRenewalPart.renewal_id)
            .where(
                LicenseRenewal.status == RenewalStatus.REQUESTED,
                LicenseRenewalPart.team_id == team.id,
            )
        )
    )
    for lic in licences:
        live_licence = lic.status == LicenseStatus.ACTIVE and lic.valid_until > now
        if live_licence and lic.terms_accepted_at is None:
            todo.section("terms").items.append(
                Item("accept_terms", license=lic, dataset=lic.dataset, when=lic.valid_until)
            )
        if (
            live_licence
            and lic.valid_until - now <= ENDING_SOON
            and lic.id not in renewing
            and team.status == TeamStatus.ACTIVE
        ):
            todo.section("renewals").items.append(
                Item("ending", action=lead, license=lic, dataset=lic.dataset, when=lic.valid_until)
            )
        if lic.attestation_due_at is not None and lic.attested_at is None:
            todo.section("attestations").items.append(
                Item(
                    "attest",
                    action=lead,
                    license=lic,
                    dataset=lic.dataset,
                    when=lic.attestation_due_at,
                    data={"overdue": lic.attestation_due_at <= now},
                )
            )
    pending = session.scalars(
        select(LicenseRenewalPart)
        .join(LicenseRenewal, LicenseRenewal.id == LicenseRenewalPart.renewal_id)
        .where(
            LicenseRenewal.status == RenewalStatus.REQUESTED,
            LicenseRenewalPart.team_id == team.id,
            LicenseRenewalPart.confirmed_at.is_(None),
        )
        .options(selectinload(LicenseRenewalPart.renewal).selectinload(LicenseRenewal.dataset))
    ).all()
    for rpart in pending:
        todo.section("renewals").items.append(
            Item(
                "confirm_renewal" if lead else "await_lead_renewal",
                action=lead,
                renewal=rpart.renewal,
                dataset=rpart.renewal.dataset,
                amount_krw=rpart.renewal.price_krw,
            )
        )
    return todo


# --------------------------------------------------------------------------- providers


def _provider_todo(session: Session, actor: Actor, now: datetime) -> TodoList:
    todo = TodoList("provider", _sections("approve", "renewals", "uploads", "attestations"))
    mine = select(Dataset.id).where(Dataset.institution_id == actor.institution_id)
    waiting = session.scalars(
        select(Purchase)
        .where(
            Purchase.dataset_id.in_(mine),
            Purchase.status.in_((PurchaseStatus.PENDING_APPROVAL, PurchaseStatus.REQUESTED)),
        )
        .options(selectinload(Purchase.dataset), selectinload(Purchase.participants))
        .order_by(Purchase.id)
    ).all()
    for p in waiting:
        joined = [x for x in p.participants if x.status == ParticipantStatus.JOINED]
        ready = all(x.confirmed_at is not None for x in joined)
        todo.section("approve").items.append(
            Item(
                "approve" if ready else "await_team_lead",
                action=ready,
                purchase=p,
                dataset=p.dataset,
                amount_krw=p.price_krw,
            )
        )
    renewals = session.scalars(
        select(LicenseRenewal)
        .where(
            LicenseRenewal.dataset_id.in_(mine), LicenseRenewal.status == RenewalStatus.REQUESTED
        )
        .options(selectinload(LicenseRenewal.parts), selectinload(LicenseRenewal.dataset))
        .order_by(LicenseRenewal.id)
    ).all()
    for r in renewals:
        ready = all(x.confirmed_at is not None for x in r.parts)
        todo.section("renewals").items.append(
            Item(
                "decide_renewal" if ready else "await_renewal_leads",
                action=ready,
                renewal=r,
                dataset=r.dataset,
                amount_krw=r.price_krw,
            )
        )
    drafts = session.scalars(
        select(DatasetVersion)
        .join(Dataset, Dataset.id == DatasetVersion.dataset_id)
        .where(
            Dataset.institution_id == actor.institution_id,
            DatasetVersion.status == VersionStatus.DRAFT,
        )
        .order_by(DatasetVersion.id)
    ).all()
    for v in drafts:
        ds = session.get(Dataset, v.dataset_id)
        todo.section("uploads").items.append(Item("draft_version", version=v, dataset=ds))
    unpublished = session.scalars(
        select(Dataset)
        .where(
            Dataset.institution_id == actor.institution_id,
            Dataset.status == DatasetStatus.DRAFT,
        )
        .order_by(Dataset.id)
    ).all()
    for ds in unpublished:
        todo.section("uploads").items.append(Item("draft_dataset", dataset=ds))
    due = session.scalars(
        select(License)
        .where(
            License.dataset_id.in_(mine),
            License.attestation_due_at.is_not(None),
            License.attested_at.is_(None),
        )
        .options(selectinload(License.dataset), selectinload(License.team))
        .order_by(License.attestation_due_at)
    ).all()
    for lic in due:
        assert lic.attestation_due_at is not None
        todo.section("attestations").items.append(
            Item(
                "attestation_watch",
                action=False,
                license=lic,
                dataset=lic.dataset,
                team=lic.team,
                when=lic.attestation_due_at,
                data={"overdue": lic.attestation_due_at <= now},
            )
        )
    return todo


# --------------------------------------------------------------------------- the office


def _admin_todo(session: Session, actor: Actor, now: datetime) -> TodoList:
    from catalog.services.ledger import team_money

    todo = TodoList("admin", _sections("budgets", "phases"))
    for team in session.scalars(
        select(Team).where(Team.status == TeamStatus.ACTIVE).order_by(Team.code)
    ):
        money = team_money(session, team)
        granted = money["granted_krw"] - money["clawed_back_krw"]
        if granted <= 0:
            todo.section("budgets").items.append(Item("no_budget", team=team, amount_krw=0))
        elif money["balance_krw"] < granted * LOW_BUDGET_SHARE:
            todo.section("budgets").items.append(
                Item(
                    "low_budget",
                    team=team,
                    amount_krw=money["balance_krw"],
                    data={"granted_krw": granted},
                )
            )
        else:
            todo.section("budgets").items.append(
                Item(
                    "budget",
                    action=False,
                    team=team,
                    amount_krw=money["balance_krw"],
                    data={"granted_krw": granted},
                )
            )
    phases = session.scalars(select(EvaluationPhase).order_by(EvaluationPhase.number)).all()
    decided = set(
        session.scalars(select(Team.eliminated_phase).where(Team.eliminated_phase.is_not(None)))
    )
    today = now.date()
    for ph in phases:
        if ph.number in decided:
            todo.section("phases").items.append(Item("phase_decided", action=False, phase=ph))
        elif ph.ends_on is None:
            todo.section("phases").items.append(Item("phase_undated", action=False, phase=ph))
        elif ph.ends_on < today:
            todo.section("phases").items.append(Item("phase_ended", phase=ph))
        elif ph.ends_on <= today + PHASE_SOON:
            todo.section("phases").items.append(Item("phase_ending", action=False, phase=ph))
        else:
            todo.section("phases").items.append(Item("phase_later", action=False, phase=ph))
    if not phases:
        todo.section("phases").items.append(Item("no_phases"))
    return todo


# --------------------------------------------------------------------------- auditors


def _auditor_todo(session: Session, actor: Actor, now: datetime) -> TodoList:
    from catalog.services.audit_review import chain_status

    todo = TodoList("auditor", _sections("chain", "checkpoint"))
    status = chain_status(session, actor, None)
    ver = status["last_verification"]
    if ver is None:
        todo.section("chain").items.append(Item("never_verified", data=status))
    elif not ver.get("ok", False):
        todo.section("chain").items.append(Item("verify_failed", when=ver["at"], data=status))
    elif ver["at"] is not None and now - ver["at"] > VERIFY_EVERY:
        todo.section("chain").items.append(Item("verify_stale", when=ver["at"], data=status))
    else:
        todo.section("chain").items.append(
            Item("verified", action=False, when=ver["at"], data=status)
        )
    cp = status["last_checkpoint"]
    todo.section("checkpoint").items.append(
        Item(
            "checkpoint" if cp else "no_checkpoint",
            action=False,
            data={**status, "checkpoint": cp},
        )
    )
    return todo


__all__ = ["Item", "Section", "TodoList", "todo_for"]
