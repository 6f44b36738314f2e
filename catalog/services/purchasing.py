"""Purchases: individual requests, joint purchases, approval (the charge), elimination, tick.

States (SPEC §3):

* individual: ``requested`` → ``approved`` | ``rejected`` | ``cancelled``
* joint: ``open`` → (close) ``pending_approval`` | ``failed``; ``pending_approval`` →
  ``approved`` | ``rejected``; ``open`` / ``pending_approval`` → ``cancelled``

Who commits money (SPEC §2): any team member may request, open or join, but the team's
participation counts only once a **team lead** has confirmed it (a lead's own request or
join is confirmed at once). Closing a joint purchase drops unconfirmed participations; a
provider cannot approve an individual request its team's lead has not confirmed. Money
moves only at approval: every participant is charged its share in one ledger transaction,
all or nothing. A withdrawn offer or dataset takes no new team and cannot be approved
(``offer_withdrawn``, ``dataset_withdrawn``); the provider rejects such a purchase instead.

Who may do what is the rights policy's (``catalog.policy``: ``purchase.*``); the checks
below (``_CHECKS``, shared with ``available_actions``) add the purchase's state and ask the
policy for the "who". When the team that opened a joint purchase is eliminated, the leads
of the teams still taking part may close or cancel it.

Concurrency: every function that changes a purchase locks its row (``FOR UPDATE``) first,
then the teams it touches in id order (``lock_teams``), then the audit chain head; that one
order everywhere rules out deadlocks. Balances are re-checked after the locks; the
``balance_non_negative`` CHECK is the backstop. On SQLite ``BEGIN IMMEDIATE`` serialises
writers instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from catalog import policy
from catalog.db import end_read, id_in_range, transaction, utcnow
from catalog.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from catalog.faults import pause_point
from catalog.models.audit import AuditAction
from catalog.models.datasets import Dataset, DatasetStatus
from catalog.models.institutions import Institution
from catalog.models.ledger import TransactionKind
from catalog.models.offers import Offer, OfferMode
from catalog.models.purchases import (
    ParticipantStatus,
    Purchase,
    PurchaseParticipant,
    PurchaseStatus,
)
from catalog.models.teams import Team, TeamStatus
from catalog.services import licensing, notices
from catalog.services.audit import AuditItem, record_event
from catalog.services.context import Actor
from catalog.services.ledger import (
    budget_exceeded,
    lock_teams,
    post_transaction,
    team_accounts,
)
from catalog.services.paging import id_desc_page
from catalog.services.shares import split_price

LIVE_STATUSES = (PurchaseStatus.REQUESTED, PurchaseStatus.OPEN, PurchaseStatus.PENDING_APPROVAL)
DECIDED_STATUSES = (
    PurchaseStatus.APPROVED,
    PurchaseStatus.REJECTED,
    PurchaseStatus.CANCELLED,
    PurchaseStatus.FAILED,
)
MAX_NOTE = 1000


# --------------------------------------------------------------------------- reading


def may_see(actor: Actor, purchase: Purchase) -> bool:
    """Joint purchases are a public board; an individual request is its team's business."""
    return policy.can(actor, "purchase.view", purchase)


# What each relation of ``purchase.view`` selects, for listing.
_VIEW_FILTERS: dict[str, Callable[[Actor], ColumnElement[bool]]] = {
    policy.OWN_INSTITUTION: lambda a: Purchase.dataset_id.in_(
        select(Dataset.id).where(Dataset.institution_id == a.institution_id)
    ),
    policy.JOINT: lambda a: Purchase.mode == OfferMode.JOINT,
    policy.OWN_TEAM: lambda a: Purchase.opener_team_id == a.team_id,
}


def _visible_query(actor: Actor) -> Select[Purchase]:
    q = select(Purchase)
    allowed = policy.relations_for(actor, "purchase.view")
    if policy.ANY in allowed:
        return q
    if not allowed:
        return q.where(Purchase.id.is_(None))
    return q.where(or_(*(_VIEW_FILTERS[rel](actor) for rel in sorted(allowed))))


def _load_options() -> tuple[LoaderOption, ...]:
    return (
        selectinload(Purchase.participants).selectinload(PurchaseParticipant.team),
        selectinload(Purchase.dataset),
        selectinload(Purchase.offer),
        selectinload(Purchase.opener_team),
    )


def get_purchase(session: Session, actor: Actor, purchase_id: int) -> Purchase:
    """A purchase the actor may see (404 otherwise: drafts of other teams do not exist for you)."""
    if not id_in_range(purchase_id):
        raise NotFound(f"No purchase {purchase_id}.")
    purchase = session.scalar(
        select(Purchase).where(Purchase.id == purchase_id).options(*_load_options())
    )
    if purchase is None or not may_see(actor, purchase):
        raise NotFound(f"No purchase {purchase_id}.")
    return purchase


@dataclass
class PurchasePage:
    items: list[Purchase]
    total: int
    page: int
    limit: int
    next_before: int | None = None  # keyset cursor of the next page

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.limit))


def list_purchases(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    team: str | None = None,
    dataset: str | None = None,
    mode: str | None = None,
    page: int = 1,
    limit: int = 20,
    before: int | None = None,
) -> PurchasePage:
    """A page of the purchases the actor may see, newest first (``before``: a keyset
    cursor, the id below which the page starts; ``catalog.services.paging``)."""
    q = _visible_query(actor)
    if status:
        try:
            q = q.where(Purchase.status == PurchaseStatus(status))
        except ValueError:
            raise InvalidInput(
                f"unknown purchase status {status!r}", code="invalid_status"
            ) from None
    if mode:
        try:
            q = q.where(Purchase.mode == OfferMode(mode))
        except ValueError:
            raise InvalidInput(f"unknown mode {mode!r}", code="invalid_mode") from None
    if team:
        q = q.where(
            Purchase.id.in_(
                select(PurchaseParticipant.purchase_id)
                .join(Team, Team.id == PurchaseParticipant.team_id)
                .where(Team.code == team)
            )
        )
    if dataset:
        q = q.where(Purchase.dataset_id.in_(select(Dataset.id).where(Dataset.slug == dataset)))
    part = id_desc_page(
        session,
        q,
        Purchase.id,
        page=page,
        limit=limit,
        before=before,
        options=tuple(_load_options()),
    )
    return PurchasePage(part.items, part.total, part.page, limit, part.next_before)


def joined(purchase: Purchase) -> list[PurchaseParticipant]:
    return [p for p in purchase.participants if p.status == ParticipantStatus.JOINED]


def shares_of(purchase: Purchase) -> dict[int, int | None]:
    """team id → share: the charged share once approved, the live preview while undecided."""
    parts = joined(purchase)
    if purchase.status == PurchaseStatus.APPROVED:
        return {p.team_id: p.share_krw for p in parts}
    if purchase.status in LIVE_STATUSES and parts:
        return {
            p.team_id: s
            for p, s in zip(parts, split_price(purchase.price_krw, len(parts)), strict=True)
        }
    return {p.team_id: None for p in parts}


def available_actions(actor: Actor, purchase: Purchase, now: datetime | None = None) -> list[str]:
    """What the actor may do to the purchase now, judged on roles and state (for the UI).

    Budget and licence checks happen only when the action is tried.
    """
    now = now or utcnow()
    out = []
    for action, check in _CHECKS.items():
        try:
            check(actor, purchase, now)
        except DomainError:
            continue
        out.append(action)
    return out


# --------------------------------------------------------------------------- rules


def _confirms_at_once(actor: Actor) -> bool:
    """A lead's own request or join commits the team's money at once."""
    return policy.can(actor, "purchase.confirm")


def _require_team_user(actor: Actor) -> None:
    policy.require(actor, "purchase.take_part")


def participant_of(purchase: Purchase, team_id: int | None) -> PurchaseParticipant | None:
    for p in purchase.participants:
        if p.team_id == team_id:
            return p
    return None


def _undecided(purchase: Purchase) -> None:
    if purchase.status in DECIDED_STATUSES:
        raise Conflict(
            f"Purchase {purchase.id} is already {purchase.status.value}.",
            code="already_decided",
            status_value=purchase.status.value,
        )


def _require_joint(purchase: Purchase, verb: str) -> None:
    if purchase.mode != OfferMode.JOINT:
        raise Conflict(
            f"Purchase {purchase.id} is an individual purchase; only joint purchases "
            f"can be {verb}.",
            code="not_joint",
        )


def _require_open(purchase: Purchase, now: datetime) -> None:
    _undecided(purchase)
    if purchase.status != PurchaseStatus.OPEN:
        raise Conflict(
            f"Purchase {purchase.id} is closed ({purchase.status.value}).", code="purchase_closed"
        )
    if purchase.deadline is not None and purchase.deadline <= now:
        raise Conflict(
            f"Purchase {purchase.id} passed its deadline {purchase.deadline:%Y-%m-%d %H:%M} UTC.",
            code="purchase_closed",
        )


def _require_on_sale(purchase: Purchase) -> None:
    """The offer and its dataset are still for sale: a withdrawn one takes no new team and
    no approval (licences already sold keep their terms)."""
    if not purchase.offer.active:
        raise Conflict(
            f"Offer {purchase.offer_id} was withdrawn by its provider; nobody can join or "
            f"buy under it any more.",
            code="offer_withdrawn",
        )
    if purchase.dataset.status != DatasetStatus.PUBLISHED:
        raise Conflict(
            f"Dataset {purchase.dataset.slug} is {purchase.dataset.status.value}; it is not "
            "for sale.",
            code="dataset_withdrawn",
        )


def _check_join(actor: Actor, purchase: Purchase, now: datetime) -> None:
    _require_team_user(actor)
    _require_joint(purchase, "joined")
    _require_open(purchase, now)
    _require_on_sale(purchase)
    part = participant_of(purchase, actor.team_id)
    if part is not None and part.status == ParticipantStatus.JOINED:
        raise Conflict("Your team already takes part in this purchase.", code="already_participant")
    if len(joined(purchase)) >= (purchase.offer.max_teams or 0):
        raise Conflict(
            f"Purchase {purchase.id} already has the maximum of {purchase.offer.max_teams} teams.",
            code="purchase_full",
        )


def _check_leave(actor: Actor, purchase: Purchase, now: datetime) -> None:
    _require_team_user(actor)
    _require_joint(purchase, "left (cancel an individual request instead)")
    part = participant_of(purchase, actor.team_id)
    if part is None or part.status != ParticipantStatus.JOINED:
        raise Conflict("Your team does not take part in this purchase.", code="not_participant")
    _require_open(purchase, now)
    if purchase.opener_team_id == actor.team_id:
        raise Conflict(
            "The team that opened a joint purchase cannot leave it; cancel it instead.",
            code="opener_cannot_leave",
        )
    policy.require(actor, "purchase.leave", purchase)


def _check_confirm(actor: Actor, purchase: Purchase, now: datetime) -> None:
    _require_team_user(actor)
    part = participant_of(purchase, actor.team_id)
    if part is None or part.status != ParticipantStatus.JOINED:
        raise Conflict("Your team does not take part in this purchase.", code="not_participant")
    _undecided(purchase)
    if purchase.status == PurchaseStatus.OPEN:
        _require_open(purchase, now)
    elif purchase.status != PurchaseStatus.REQUESTED:
        raise Conflict(
            f"Purchase {purchase.id} is closed ({purchase.status.value}).", code="purchase_closed"
        )
    policy.require(actor, "purchase.confirm", purchase)
    if part.confirmed_at is not None:
        raise Conflict("Your team's participation is already confirmed.", code="already_confirmed")


def _check_close(actor: Actor, purchase: Purchase, now: datetime) -> None:
    _require_joint(purchase, "closed")
    policy.require(actor, "purchase.close", purchase)
    _undecided(purchase)
    if purchase.status != PurchaseStatus.OPEN:
        raise Conflict(
            f"Purchase {purchase.id} is already closed ({purchase.status.value}).",
            code="purchase_closed",
        )


def _check_cancel(actor: Actor, purchase: Purchase, now: datetime) -> None:
    policy.require(actor, "purchase.cancel", purchase)
    _undecided(purchase)


def _check_decide(actor: Actor, purchase: Purchase, now: datetime) -> None:
    policy.require(actor, "purchase.decide", purchase)
    _undecided(purchase)
    if purchase.status == PurchaseStatus.OPEN:
        raise Conflict(
            f"Joint purchase {purchase.id} is still open to teams; it must be closed "
            "before a decision.",
            code="purchase_open",
        )


def _check_approve(actor: Actor, purchase: Purchase, now: datetime) -> None:
    _check_decide(actor, purchase, now)
    _require_on_sale(purchase)
    waiting = [p.team.code for p in joined(purchase) if p.confirmed_at is None]
    if waiting:
        raise Conflict(
            f"A team lead has not confirmed the participation of: {', '.join(waiting)}.",
            code="confirmation_pending",
            teams=waiting,
        )


_CHECKS = {
    "join": _check_join,
    "leave": _check_leave,
    "confirm": _check_confirm,
    "close": _check_close,
    "approve": _check_approve,
    "reject": _check_decide,
    "cancel": _check_cancel,
}


# --------------------------------------------------------------------------- helpers


def _acting_team(session: Session, actor: Actor, team_code: str | None) -> Team:
    _require_team_user(actor)
    team = session.get(Team, actor.team_id)
    if team is None:
        raise Forbidden("Only members of a team take part in purchases.", code="wrong_team")
    if team_code is not None and team_code != team.code:
        named = session.scalar(select(Team).where(Team.code == team_code))
        if named is None or not policy.can(actor, "purchase.take_part", named):
            raise Forbidden(f"You act for team {team.code}, not {team_code}.", code="wrong_team")
        team = named
    return team


def lock_purchase(
    session: Session, actor: Actor, purchase_id: int, *, decider: bool = False
) -> Purchase:
    """Lock the purchase row and load it and its participants fresh from the database.

    A purchase the actor may not see is a 404, except for provider staff deciding: a
    provider of another institution gets 403 ``wrong_institution``.
    """
    if not id_in_range(purchase_id):
        raise NotFound(f"No purchase {purchase_id}.")
    purchase = session.scalar(
        select(Purchase)
        .where(Purchase.id == purchase_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if purchase is None:
        raise NotFound(f"No purchase {purchase_id}.")
    # Participants change only under this lock, so this read is current.
    session.scalars(
        select(PurchaseParticipant)
        .where(PurchaseParticipant.purchase_id == purchase.id)
        .execution_options(populate_existing=True)
    ).all()
    session.expire(purchase, ["participants"])
    if not may_see(actor, purchase) and not (decider and policy.can(actor, "purchase.decide")):
        raise NotFound(f"No purchase {purchase_id}.")
    return purchase


def _lock_active_team(session: Session, team: Team) -> Team:
    team = lock_teams(session, [team.id])[team.id]
    if team.status == TeamStatus.ELIMINATED:
        raise Forbidden(
            f"Team {team.code} was eliminated at phase {team.eliminated_phase}; "
            "it cannot buy data.",
            code="team_eliminated",
        )
    return team


def _check_can_take_part(
    session: Session,
    team: Team,
    dataset: Dataset,
    now: datetime,
    exclude_purchase: int | None = None,
) -> None:
    """A team buys a dataset once: not while it holds a live licence or a live purchase of it."""
    lic = licensing.live_license(session, team.id, dataset.id, now)
    if lic is not None:
        raise Conflict(
            f"Team {team.code} already holds licence {lic.id} for {dataset.slug} "
            f"(valid until {lic.valid_until:%Y-%m-%d}).",
            code="already_licensed",
            team=team.code,
            license=lic.id,
        )
    q = (
        select(Purchase.id)
        .join(PurchaseParticipant, PurchaseParticipant.purchase_id == Purchase.id)
        .where(
            Purchase.dataset_id == dataset.id,
            Purchase.status.in_(LIVE_STATUSES),
            PurchaseParticipant.team_id == team.id,
            PurchaseParticipant.status == ParticipantStatus.JOINED,
        )
    )
    if exclude_purchase is not None:
        q = q.where(Purchase.id != exclude_purchase)
    other = session.scalar(q.limit(1))
    if other is not None:
        raise Conflict(
            f"Team {team.code} already takes part in purchase {other} of {dataset.slug}.",
            code="purchase_pending",
            team=team.code,
            purchase=other,
        )


def _preview(purchase: Purchase) -> list[dict[str, Any]]:
    shares = shares_of(purchase)
    return [{"team": p.team.code, "share_krw": shares.get(p.team_id)} for p in joined(purchase)]


def _refresh(session: Session, purchase: Purchase) -> Purchase:
    """Reload the participants inside the transaction, so the caller sees what was committed."""
    session.flush()
    session.expire(purchase, ["participants"])
    for p in purchase.participants:
        _ = p.team
    _ = purchase.dataset, purchase.offer, purchase.opener_team
    return purchase


def _note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"note is longer than {MAX_NOTE} characters", code="note_too_long")
    return note


MIN_JOIN_WINDOW = timedelta(days=1)


def deadline_window(offer: Offer, now: datetime) -> tuple[datetime, datetime]:
    """The earliest and latest deadline an opener may choose under ``offer``."""
    return now + MIN_JOIN_WINDOW, now + timedelta(days=offer.join_window_days or 0)


def _joint_deadline(offer: Offer, chosen: datetime | None, now: datetime) -> datetime:
    earliest, latest = deadline_window(offer, now)
    if chosen is None:
        return latest
    if chosen.tzinfo is None:
        raise InvalidInput("deadline must carry a time zone", code="invalid_deadline")
    if latest < chosen < latest + timedelta(days=1):
        # A day picked as the window's last day ends with the window.
        return latest
    if chosen < earliest or chosen > latest:
        raise InvalidInput(
            f"The deadline must be between {earliest:%Y-%m-%d %H:%M} and "
            f"{latest:%Y-%m-%d %H:%M} UTC (the offer's join window is "
            f"{offer.join_window_days} days).",
            code="invalid_deadline",
            earliest=earliest.isoformat(),
            latest=latest.isoformat(),
        )
    return chosen


# --------------------------------------------------------------------------- transitions


def request_purchase(
    session: Session,
    actor: Actor,
    *,
    dataset: str,
    offer: int,
    mode: str | None = None,
    team: str | None = None,
    deadline: datetime | None = None,
    now: datetime | None = None,
) -> Purchase:
    """Request an individual purchase, or open a joint one, for the actor's team.

    The opener of a joint purchase may choose its ``deadline``: at least a day ahead and
    within the offer's join window (the default is the end of that window; a deadline less
    than a day past the window's end is brought back to it, so that a person who picks the
    window's last day gets it)."""
    now = now or utcnow()
    with transaction(session):
        acting = _acting_team(session, actor, team)
        ds = session.scalar(select(Dataset).where(Dataset.slug == dataset))
        if ds is None or ds.status != DatasetStatus.PUBLISHED:
            raise NotFound(f"No published dataset {dataset!r}.")
        off = session.get(Offer, offer) if id_in_range(offer) else None
        if off is None or off.dataset_id != ds.id or not off.active:
            raise NotFound(
                f"Dataset {ds.slug} has no active offer {offer}.", code="offer_not_found"
            )
        if mode is not None and mode != off.mode.value:
            raise InvalidInput(
                f"Offer {off.id} is {off.mode.value}, not {mode}.", code="mode_mismatch"
            )
        joint = off.mode == OfferMode.JOINT
        closes_at = _joint_deadline(off, deadline, now) if joint else None
        if deadline is not None and not joint:
            raise InvalidInput(
                f"Offer {off.id} is individual; only a joint purchase has a deadline.",
                code="invalid_deadline",
            )
        acting = _lock_active_team(session, acting)
        _check_can_take_part(session, acting, ds, now)
        purchase = Purchase(
            dataset_id=ds.id,
            offer_id=off.id,
            mode=off.mode,
            status=PurchaseStatus.OPEN if joint else PurchaseStatus.REQUESTED,
            price_krw=off.price_krw,
            opener_team_id=acting.id,
            opened_by_id=actor.user_id,
            deadline=closes_at,
            created_at=now,
        )
        session.add(purchase)
        session.flush()
        session.add(
            PurchaseParticipant(
                purchase_id=purchase.id,
                team_id=acting.id,
                join_order=1,
                joined_at=now,
                joined_by_id=actor.user_id,
                confirmed_at=now if _confirms_at_once(actor) else None,
                confirmed_by_id=actor.user_id if _confirms_at_once(actor) else None,
            )
        )
        _refresh(session, purchase)
        record_event(
            session,
            actor,
            AuditAction.PURCHASE_OPEN if joint else AuditAction.PURCHASE_REQUEST,
            "purchase",
            purchase.id,
            {
                "dataset": ds.slug,
                "offer_id": off.id,
                "mode": off.mode.value,
                "price_krw": off.price_krw,
                "team": acting.code,
                "confirmed": _confirms_at_once(actor),
                "deadline": purchase.deadline.isoformat() if purchase.deadline else None,
            },
        )
        notices.purchase_requested(session, actor, purchase)
    return purchase


def join_purchase(
    session: Session,
    actor: Actor,
    purchase_id: int,
    *,
    team: str | None = None,
    now: datetime | None = None,
) -> Purchase:
    """Add the actor's team to an open joint purchase."""
    now = now or utcnow()
    with transaction(session):
        acting = _acting_team(session, actor, team)
        purchase = lock_purchase(session, actor, purchase_id)
        _check_join(actor, purchase, now)
        acting = _lock_active_team(session, acting)
        _check_can_take_part(session, acting, purchase.dataset, now, exclude_purchase=purchase.id)
        order = max((p.join_order for p in purchase.participants), default=0) + 1
        part = participant_of(purchase, acting.id)
        lead = _confirms_at_once(actor)
        if part is None:
            part = PurchaseParticipant(purchase_id=purchase.id, team_id=acting.id)
            session.add(part)
        part.status = ParticipantStatus.JOINED
        part.join_order = order
        part.joined_at = now
        part.joined_by_id = actor.user_id
        part.left_at = None
        part.confirmed_at = now if lead else None
        part.confirmed_by_id = actor.user_id if lead else None
        _refresh(session, purchase)
        record_event(
            session,
            actor,
            AuditAction.PURCHASE_JOIN,
            "purchase",
            purchase.id,
            {"team": acting.code, "confirmed": lead, "shares": _preview(purchase)},
        )
        notices.purchase_joined(session, actor, purchase, acting)
    return purchase


def invitable_teams(session: Session, actor: Actor, purchase: Purchase) -> list[Team]:
    """The active teams the actor's team may invite to ``purchase`` (none if it may not)."""
    if (
        purchase.mode != OfferMode.JOINT
        or purchase.status != PurchaseStatus.OPEN
        or not policy.can(actor, "purchase.invite", purchase)
        or len(joined(purchase)) >= (purchase.offer.max_teams or 0)
    ):
        return []
    taking_part = {p.team_id for p in joined(purchase)}
    return [
        t
        for t in session.scalars(
            select(Team).where(Team.status == TeamStatus.ACTIVE).order_by(Team.code)
        )
        if t.id not in taking_part
    ]


def invite_team(
    session: Session,
    actor: Actor,
    purchase_id: int,
    *,
    team: str,
    now: datetime | None = None,
) -> Purchase:
    """A team taking part in an open joint purchase invites another active team: that
    team's people get a notice with the share they would pay. Nothing else changes."""
    now = now or utcnow()
    with transaction(session):
        purchase = lock_purchase(session, actor, purchase_id)
        policy.require(actor, "purchase.invite", purchase)
        _require_joint(purchase, "shared by invitation")
        _require_open(purchase, now)
        _require_on_sale(purchase)
        invited = session.scalar(select(Team).where(Team.code == team))
        if invited is None or invited.status != TeamStatus.ACTIVE:
            raise InvalidInput(
                f"No active team {team!r} to invite.", code="invalid_team", team=team
            )
        if participant_of(purchase, invited.id) is not None and any(
            p.team_id == invited.id for p in joined(purchase)
        ):
            raise Conflict(
                f"Team {invited.code} already takes part in purchase {purchase.id}.",
                code="already_participant",
            )
        count = len(joined(purchase))
        if count >= (purchase.offer.max_teams or 0):
            raise Conflict(
                f"Purchase {purchase.id} already has the maximum of "
                f"{purchase.offer.max_teams} teams.",
                code="purchase_full",
            )
        inviter = session.get(Team, actor.team_id)
        assert inviter is not None
        share = split_price(purchase.price_krw, count + 1)[-1]
        record_event(
            session,
            actor,
            AuditAction.PURCHASE_INVITE,
            "purchase",
            purchase.id,
            {"team": inviter.code, "invited": invited.code, "share_if_joined_krw": share},
        )
        notices.purchase_invited(session, actor, purchase, inviter, invited, share)
    return purchase


def leave_purchase(
    session: Session, actor: Actor, purchase_id: int, *, now: datetime | None = None
) -> Purchase:
    """Withdraw the actor's team from an open joint purchase."""
    now = now or utcnow()
    with transaction(session):
        purchase = lock_purchase(session, actor, purchase_id)
        _check_leave(actor, purchase, now)
        part = participant_of(purchase, actor.team_id)
        assert part is not None  # _check_leave refuses a team that does not take part
        part.status = ParticipantStatus.LEFT
        part.left_at = now
        part.confirmed_at = None
        part.confirmed_by_id = None
        _refresh(session, purchase)
        record_event(
            session,
            actor,
            AuditAction.PURCHASE_LEAVE,
            "purchase",
            purchase.id,
            {"team": part.team.code, "shares": _preview(purchase)},
        )
        notices.purchase_left(session, actor, purchase, part.team)
    return purchase


def confirm_participation(
    session: Session, actor: Actor, purchase_id: int, *, now: datetime | None = None
) -> Purchase:
    """A team lead commits the team's money to a request or joint participation."""
    now = now or utcnow()
    with transaction(session):
        purchase = lock_purchase(session, actor, purchase_id)
        _check_confirm(actor, purchase, now)
        part = participant_of(purchase, actor.team_id)
        assert part is not None  # _check_confirm refuses a team that does not take part
        part.confirmed_at = now
        part.confirmed_by_id = actor.user_id
        _refresh(session, purchase)
        record_event(
            session,
            actor,
            AuditAction.PURCHASE_CONFIRM,
            "purchase",
            purchase.id,
            {"team": part.team.code},
        )
        notices.purchase_confirmed(session, actor, purchase, part.team)
    return purchase


def close_joint(
    session: Session, actor: Actor, purchase: Purchase, now: datetime, reason: str
) -> None:
    """Close an open joint purchase (caller holds its lock): drop unconfirmed teams, then
    ``pending_approval`` with at least ``min_teams``, else ``failed``."""
    dropped = []
    for p in joined(purchase):
        if p.confirmed_at is None:
            p.status = ParticipantStatus.LEFT
            p.left_at = now
            dropped.append(p.team.code)
    session.flush()
    session.expire(purchase, ["participants"])
    count = len(joined(purchase))
    enough = count >= (purchase.offer.min_teams or 2)
    purchase.status = PurchaseStatus.PENDING_APPROVAL if enough else PurchaseStatus.FAILED
    purchase.closed_at = now
    purchase.closed_by_id = actor.user_id
    if not enough:
        purchase.decided_at = now
        purchase.decision_note = (
            f"closed with {count} confirmed team(s); {purchase.offer.min_teams} needed"
        )
    _refresh(session, purchase)
    record_event(
        session,
        actor,
        AuditAction.PURCHASE_CLOSE,
        "purchase",
        purchase.id,
        {
            "result": purchase.status.value,
            "reason": reason,
            "teams": count,
            "min_teams": purchase.offer.min_teams,
            "dropped_unconfirmed": dropped,
            "shares": _preview(purchase),
        },
    )
    notices.purchase_closed(session, actor, purchase, dropped, reason)


def close_purchase(
    session: Session, actor: Actor, purchase_id: int, *, now: datetime | None = None
) -> Purchase:
    """The opener team (its lead, or the member who opened it; once it is eliminated, the
    remaining teams' leads) or an admin closes a joint purchase to further teams."""
    now = now or utcnow()
    with transaction(session):
        purchase = lock_purchase(session, actor, purchase_id)
        _check_close(actor, purchase, now)
        close_joint(session, actor, purchase, now, "closed by " + actor.label)
    return purchase


def approve_purchase(
    session: Session, actor: Actor, purchase_id: int, *, note: str = "", now: datetime | None = None
) -> Purchase:
    """The provider approves: every participant pays its share in one ledger transaction
    and receives an active licence with a frozen copy of the offer's terms; or, if any
    team cannot pay or may not buy, nothing happens at all."""
    now = now or utcnow()
    note = _note(note)
    with transaction(session):
        purchase = lock_purchase(session, actor, purchase_id, decider=True)
        # The offer and the dataset's institution in one read (the relationships below then
        # find them in the session, which holds them only while they are referenced).
        loaded = session.execute(
            select(Offer, Institution)
            .join(Institution, Institution.id == purchase.dataset.institution_id)
            .where(Offer.id == purchase.offer_id)
        ).one()
        _check_approve(actor, purchase, now)
        offer, dataset = purchase.offer, purchase.dataset
        if offer.price_krw != purchase.price_krw:
            raise Conflict(
                f"Offer {offer.id} now costs ₩{offer.price_krw:,}; this purchase was "
                f"made at ₩{purchase.price_krw:,}. Reject it and let the team "
                "request again.",
                code="offer_changed",
            )
        parts = joined(purchase)
        if not parts:
            raise Conflict(f"Purchase {purchase.id} has no participants.", code="no_participants")
        teams = lock_teams(session, [p.team_id for p in parts])
        live = licensing.live_licenses(session, list(teams), dataset.id, now)
        for p in parts:
            team = teams[p.team_id]
            if team.status == TeamStatus.ELIMINATED:
                raise Conflict(
                    f"Team {team.code} has been eliminated.", code="team_eliminated", team=team.code
                )
            lic = live.get(team.id)
            if lic is not None:
                raise Conflict(
                    f"Team {team.code} already holds licence {lic.id} for {dataset.slug}.",
                    code="already_licensed",
                    team=team.code,
                    license=lic.id,
                )
        shares = split_price(purchase.price_krw, len(parts))
        short = [
            (teams[p.team_id], s)
            for p, s in zip(parts, shares, strict=True)
            if teams[p.team_id].balance_krw < s
        ]
        if short:
            first, need = short[0]
            raise budget_exceeded(
                actor, first, need, "Nobody was charged.", teams=[t.code for t, _s in short]
            )
        accounts, seller = team_accounts(
            session, [teams[p.team_id] for p in parts], dataset.institution
        )
        assert seller is not None  # asked for with the institution
        entries = [(accounts[p.team_id], -s) for p, s in zip(parts, shares, strict=True)]
        entries.append((seller, purchase.price_krw))
        # The ledger's, the approval's and the licences' events are appended together, in
        # that order, once the licences exist (one lock of the chain head, one INSERT).
        events: list[AuditItem] = []
        txn = post_transaction(
            session,
            actor,
            TransactionKind.PURCHASE,
            entries,
            purchase_id=purchase.id,
            memo=f"purchase {purchase.id}: {dataset.slug}",
            events=events,
        )
        pause_point("purchase.approve.charged")
        for p, s in zip(parts, shares, strict=True):
            p.share_krw = s
        purchase.status = PurchaseStatus.APPROVED
        purchase.decided_at = now
        purchase.decided_by_id = actor.user_id
        purchase.decision_note = note
        session.flush()
        events.append(
            (
                AuditAction.PURCHASE_APPROVE,
                "purchase",
                purchase.id,
                {
                    "dataset": dataset.slug,
                    "price_krw": purchase.price_krw,
                    "ledger_transaction_id": txn.id,
                    "note": note,
                    "shares": [
                        {"team": teams[p.team_id].code, "share_krw": s}
                        for p, s in zip(parts, shares, strict=True)
                    ],
                },
            )
        )
        licence_notices: list[notices.NoticeDraft] = []
        licensing.issue_licenses(
            session,
            actor,
            teams=[teams[p.team_id] for p in parts],
            dataset=dataset,
            purchase_id=purchase.id,
            terms=offer.terms(),
            term_months=offer.term_months,
            now=now,
            preceding=events,
            notices_out=licence_notices,
        )
        _refresh(session, purchase)
        pause_point("purchase.approve.licensed")
        notices.purchase_decided(session, actor, purchase, preceding=licence_notices)
        del loaded
    return purchase


def reject_purchase(
    session: Session, actor: Actor, purchase_id: int, *, note: str = "", now: datetime | None = None
) -> Purchase:
    """The provider declines; nobody is charged."""
    now = now or utcnow()
    note = _note(note)
    with transaction(session):
        purchase = lock_purchase(session, actor, purchase_id, decider=True)
        _check_decide(actor, purchase, now)
        purchase.status = PurchaseStatus.REJECTED
        purchase.decided_at = now
        purchase.decided_by_id = actor.user_id
        purchase.decision_note = note
        _refresh(session, purchase)
        record_event(
            session, actor, AuditAction.PURCHASE_REJECT, "purchase", purchase.id, {"note": note}
        )
        notices.purchase_decided(session, actor, purchase)
    return purchase


def cancel_purchase(
    session: Session, actor: Actor, purchase_id: int, *, note: str = "", now: datetime | None = None
) -> Purchase:
    """The requesting/opening team (or an admin) withdraws an undecided purchase."""
    now = now or utcnow()
    note = _note(note)
    with transaction(session):
        purchase = lock_purchase(session, actor, purchase_id)
        _check_cancel(actor, purchase, now)
        before = purchase.status
        purchase.status = PurchaseStatus.CANCELLED
        purchase.decided_at = now
        purchase.decided_by_id = actor.user_id
        purchase.decision_note = note
        _refresh(session, purchase)
        record_event(
            session,
            actor,
            AuditAction.PURCHASE_CANCEL,
            "purchase",
            purchase.id,
            {"from": before.value, "note": note},
        )
        notices.purchase_cancelled(session, actor, purchase, before)
    return purchase


def close_expired_purchases(
    session: Session, actor: Actor, now: datetime | None = None
) -> list[tuple[int, str]]:
    """Close every open joint purchase past its deadline, one transaction each; a purchase
    another host closed meanwhile is skipped after its lock is taken."""
    now = now or utcnow()
    ids = session.scalars(
        select(Purchase.id)
        .where(Purchase.status == PurchaseStatus.OPEN, Purchase.deadline <= now)
        .order_by(Purchase.id)
    ).all()
    end_read(session)  # each close below is its own transaction
    closed = []
    for pid in ids:
        with transaction(session):
            purchase = lock_purchase(session, actor, pid)
            if (
                purchase.status != PurchaseStatus.OPEN
                or purchase.deadline is None
                or purchase.deadline > now
            ):
                continue
            close_joint(session, actor, purchase, now, "deadline passed")
            closed.append((pid, purchase.status.value))
    return closed
