"""Renewals: another term of a licence, at its frozen terms, requested before it ends.

States: ``requested`` → ``approved`` | ``rejected`` | ``cancelled`` | ``lapsed``.

* A team lead asks while the licence is active (not suspended, revoked or expired) and
  its team still in the programme. Every licence sold by the same purchase and still
  live, of a team still in the programme, is renewed together — for a joint purchase, the
  remaining teams; each team's lead confirms (the requester's own at once).
* The provider staff of the dataset's institution (or the programme office) approve once
  every lead confirmed: each team is charged its share of the frozen price — the price
  split equally in whole won, the remainder to the earliest joiners of the purchase — in
  one ledger transaction (kind ``renewal``), all or nothing; each licence's
  ``valid_until`` moves one term on from where it was, and the new term starts a fresh
  quota at the old end. The renewal keeps each licence's previous and new end (history).
* A renewal still undecided when the licences end lapses (``tick``); a lead of a team in
  it, or the programme office, may withdraw it; the provider may reject it.

One renewal at a time: none while another is undecided or an approved one has not begun.

Lock order (as everywhere): the renewal row, the teams (id order), the licences (id
order), the audit chain head.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog import policy
from catalog.db import end_read, id_in_range, transaction, utcnow
from catalog.errors import Conflict, DomainError, InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.ledger import TransactionKind
from catalog.models.licenses import (
    License,
    LicenseRenewal,
    LicenseRenewalPart,
    LicenseStatus,
    RenewalStatus,
)
from catalog.models.purchases import PurchaseParticipant
from catalog.models.teams import Team, TeamStatus
from catalog.services import notices
from catalog.services.audit import record_event
from catalog.services.context import Actor
from catalog.services.ledger import (
    budget_exceeded,
    institution_account,
    lock_teams,
    post_transaction,
    team_account,
)
from catalog.services.licensing import LIVE, add_months, effective_status
from catalog.services.shares import split_price

MAX_NOTE = 1000
DECIDED = (
    RenewalStatus.APPROVED,
    RenewalStatus.REJECTED,
    RenewalStatus.CANCELLED,
    RenewalStatus.LAPSED,
)


def _load(session: Session, renewal_id: int, *, lock: bool = False) -> LicenseRenewal:
    if not id_in_range(renewal_id):
        raise NotFound(f"No renewal {renewal_id}.")
    q = select(LicenseRenewal).where(LicenseRenewal.id == renewal_id)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    renewal = session.scalar(q)
    if renewal is None:
        raise NotFound(f"No renewal {renewal_id}.")
    if lock:
        session.scalars(
            select(LicenseRenewalPart)
            .where(LicenseRenewalPart.renewal_id == renewal.id)
            .execution_options(populate_existing=True)
        ).all()
        session.expire(renewal, ["parts"])
    for part in renewal.parts:
        _ = part.team, part.license
    _ = renewal.dataset.institution, renewal.requester_team
    return renewal


def get_renewal(session: Session, actor: Actor, renewal_id: int) -> LicenseRenewal:
    """A renewal the actor may see (its teams', its institution's; all for readers)."""
    renewal = _load(session, renewal_id)
    if not policy.can(actor, "licence.view", renewal):
        raise NotFound(f"No renewal {renewal_id}.")
    return renewal


def renewals_of(session: Session, lic: License) -> list[LicenseRenewal]:
    """Every renewal a licence took part in, newest first."""
    return list(
        session.scalars(
            select(LicenseRenewal)
            .join(LicenseRenewalPart, LicenseRenewalPart.renewal_id == LicenseRenewal.id)
            .where(LicenseRenewalPart.license_id == lic.id)
            .order_by(LicenseRenewal.id.desc())
            .options(
                selectinload(LicenseRenewal.parts).selectinload(LicenseRenewalPart.team),
                selectinload(LicenseRenewal.dataset),
            )
        )
    )


def pending_for_institution(session: Session, actor: Actor) -> list[LicenseRenewal]:
    """Undecided renewals the actor may decide (provider staff: their datasets')."""
    policy.require(actor, "licence.decide_renewal")
    q = (
        select(LicenseRenewal)
        .where(LicenseRenewal.status == RenewalStatus.REQUESTED)
        .order_by(LicenseRenewal.id)
        .options(
            selectinload(LicenseRenewal.parts).selectinload(LicenseRenewalPart.team),
            selectinload(LicenseRenewal.dataset),
        )
    )
    return [r for r in session.scalars(q) if policy.can(actor, "licence.decide_renewal", r)]


def part_of(renewal: LicenseRenewal, team_id: int | None) -> LicenseRenewalPart | None:
    return next((p for p in renewal.parts if p.team_id == team_id), None)


def shares_of(renewal: LicenseRenewal) -> dict[int, int]:
    """team id → share: as charged once approved, else as it would be charged now."""
    if renewal.status == RenewalStatus.APPROVED:
        return {p.team_id: int(p.share_krw or 0) for p in renewal.parts}
    return {
        p.team_id: s
        for p, s in zip(
            renewal.parts, split_price(renewal.price_krw, len(renewal.parts)), strict=True
        )
    }


# --------------------------------------------------------------------------- rules


def _check_renewable(lic: License, team: Team, now: datetime) -> None:
    status = effective_status(lic, now)
    if status != LicenseStatus.ACTIVE:
        raise Conflict(
            f"Licence {lic.id} is {status.value}; only an active licence can be renewed, "
            "before it ends.",
            code="license_not_renewable",
            status_value=status.value,
        )
    if team.status == TeamStatus.ELIMINATED:
        raise Conflict(
            f"Team {team.code} was eliminated; it cannot buy data.", code="team_eliminated"
        )
    if lic.next_term_starts_at is not None and lic.next_term_starts_at > now:
        raise Conflict(
            f"Licence {lic.id} is already renewed until {lic.valid_until:%Y-%m-%d}; renew "
            "again once that term has begun.",
            code="already_renewed",
        )


def _check_undecided(renewal: LicenseRenewal) -> None:
    if renewal.status in DECIDED:
        raise Conflict(
            f"Renewal {renewal.id} is already {renewal.status.value}.",
            code="renewal_decided",
            status_value=renewal.status.value,
        )


def _check_confirm(actor: Actor, renewal: LicenseRenewal, now: datetime) -> None:
    policy.require(actor, "licence.renew", renewal)
    _check_undecided(renewal)
    part = part_of(renewal, actor.team_id)
    if part is None:
        raise NotFound(f"No renewal {renewal.id}.")
    if part.confirmed_at is not None:
        raise Conflict("Your team already confirmed this renewal.", code="already_confirmed")


def _check_cancel(actor: Actor, renewal: LicenseRenewal, now: datetime) -> None:
    if not policy.unrestricted(actor, "licence.decide_renewal"):
        policy.require(actor, "licence.renew", renewal)
    _check_undecided(renewal)


def _check_decide(actor: Actor, renewal: LicenseRenewal, now: datetime) -> None:
    policy.require(actor, "licence.decide_renewal", renewal)
    _check_undecided(renewal)


def _check_approve(actor: Actor, renewal: LicenseRenewal, now: datetime) -> None:
    _check_decide(actor, renewal, now)
    waiting = [p.team.code for p in renewal.parts if p.confirmed_at is None]
    if waiting:
        raise Conflict(
            f"A team lead has not confirmed the renewal for: {', '.join(waiting)}.",
            code="confirmation_pending",
            teams=waiting,
        )


_CHECKS = {
    "confirm": _check_confirm,
    "approve": _check_approve,
    "reject": _check_decide,
    "cancel": _check_cancel,
}


def available_actions(
    actor: Actor, renewal: LicenseRenewal, now: datetime | None = None
) -> list[str]:
    """What the actor may do to the renewal now (for the UI); money is checked on approval."""
    now = now or utcnow()
    out = []
    for action, check in _CHECKS.items():
        try:
            check(actor, renewal, now)
        except DomainError:
            continue
        out.append(action)
    return out


def _note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"note is longer than {MAX_NOTE} characters", code="note_too_long")
    return note


def _lock_licences(session: Session, ids: list[int]) -> dict[int, License]:
    lics = session.scalars(
        select(License)
        .where(License.id.in_(sorted(ids)))
        .order_by(License.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {lic.id: lic for lic in lics}


# --------------------------------------------------------------------------- transitions


def request_renewal(
    session: Session, actor: Actor, license_id: int, *, now: datetime | None = None
) -> LicenseRenewal:
    """A team lead asks to renew the team's licence (and, for a joint purchase, the other
    remaining teams' licences of the same purchase) for another term at the same terms."""
    now = now or utcnow()
    policy.require(actor, "licence.renew")
    with transaction(session):
        if not id_in_range(license_id):
            raise NotFound(f"No licence {license_id}.")
        lic = session.get(License, license_id)
        if lic is None or not policy.can(actor, "licence.renew", lic):
            raise NotFound(f"No licence {license_id}.")
        group = list(
            session.scalars(
                select(License)
                .where(License.purchase_id == lic.purchase_id, License.status.in_(LIVE))
                .order_by(License.id)
            )
        )
        teams = lock_teams(session, [g.team_id for g in group])
        lics = _lock_licences(session, [g.id for g in group])
        lic = lics.get(lic.id) or lic
        team = teams.get(lic.team_id) or session.get(Team, lic.team_id)
        assert team is not None
        _check_renewable(lic, team, now)
        pending = session.scalar(
            select(LicenseRenewal.id).where(
                LicenseRenewal.purchase_id == lic.purchase_id,
                LicenseRenewal.status == RenewalStatus.REQUESTED,
            )
        )
        if pending is not None:
            raise Conflict(
                f"Renewal {pending} of this licence is already waiting for a decision.",
                code="renewal_pending",
                renewal=pending,
            )
        # The remaining teams: live licences of the purchase, teams still in the programme.
        members = [
            g
            for g in lics.values()
            if effective_status(g, now) in LIVE
            and teams[g.team_id].status == TeamStatus.ACTIVE
            and (g.next_term_starts_at is None or g.next_term_starts_at <= now)
        ]
        order = dict(
            session.execute(
                select(PurchaseParticipant.team_id, PurchaseParticipant.join_order).where(
                    PurchaseParticipant.purchase_id == lic.purchase_id
                )
            ).all()
        )
        members.sort(key=lambda g: (order.get(g.team_id, 10**6), g.id))
        terms = lic.terms or {}
        price = int(terms.get("price_krw") or 0)
        months = int(terms.get("term_months") or 0)
        if price <= 0 or months <= 0:
            raise Conflict(
                f"Licence {lic.id}'s terms name no price or term to renew at.",
                code="license_not_renewable",
            )
        renewal = LicenseRenewal(
            purchase_id=lic.purchase_id,
            dataset_id=lic.dataset_id,
            status=RenewalStatus.REQUESTED,
            price_krw=price,
            term_months=months,
            requested_by_id=actor.user_id,
            requester_team_id=lic.team_id,
            created_at=now,
        )
        session.add(renewal)
        session.flush()
        for g in members:
            own = g.team_id == lic.team_id
            session.add(
                LicenseRenewalPart(
                    renewal_id=renewal.id,
                    license_id=g.id,
                    team_id=g.team_id,
                    confirmed_at=now if own else None,
                    confirmed_by_id=actor.user_id if own else None,
                )
            )
        session.flush()
        renewal = _load(session, renewal.id, lock=True)
        shares = shares_of(renewal)
        record_event(
            session,
            actor,
            AuditAction.RENEWAL_REQUEST,
            "renewal",
            renewal.id,
            {
                "license_id": lic.id,
                "purchase_id": lic.purchase_id,
                "dataset_id": lic.dataset_id,
                "price_krw": price,
                "term_months": months,
                "shares": [
                    {
                        "team": p.team.code,
                        "license_id": p.license_id,
                        "share_krw": shares[p.team_id],
                    }
                    for p in renewal.parts
                ],
            },
        )
        notices.renewal_requested(session, actor, renewal)
    return renewal


def confirm_renewal(
    session: Session, actor: Actor, renewal_id: int, *, now: datetime | None = None
) -> LicenseRenewal:
    """A team lead commits the team's share of the renewal."""
    now = now or utcnow()
    with transaction(session):
        renewal = _load(session, renewal_id, lock=True)
        if not policy.can(actor, "licence.view", renewal):
            raise NotFound(f"No renewal {renewal_id}.")
        _check_confirm(actor, renewal, now)
        part = part_of(renewal, actor.team_id)
        assert part is not None
        part.confirmed_at = now
        part.confirmed_by_id = actor.user_id
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.RENEWAL_CONFIRM,
            "renewal",
            renewal.id,
            {"team": part.team.code, "license_id": part.license_id},
        )
        notices.renewal_confirmed(session, actor, renewal)
    return renewal


def cancel_renewal(
    session: Session, actor: Actor, renewal_id: int, *, note: str = "", now: datetime | None = None
) -> LicenseRenewal:
    """A lead of a team in the renewal (or the programme office) withdraws it."""
    now = now or utcnow()
    note = _note(note)
    with transaction(session):
        renewal = _load(session, renewal_id, lock=True)
        if not policy.can(actor, "licence.view", renewal):
            raise NotFound(f"No renewal {renewal_id}.")
        _check_cancel(actor, renewal, now)
        _close(
            session, actor, renewal, RenewalStatus.CANCELLED, AuditAction.RENEWAL_CANCEL, note, now
        )
    return renewal


def reject_renewal(
    session: Session, actor: Actor, renewal_id: int, *, note: str = "", now: datetime | None = None
) -> LicenseRenewal:
    """The provider declines the renewal; nobody is charged and the licences end as planned."""
    now = now or utcnow()
    note = _note(note)
    with transaction(session):
        renewal = _load(session, renewal_id, lock=True)
        if not policy.can(actor, "licence.view", renewal) and not policy.can(
            actor, "licence.decide_renewal"
        ):
            raise NotFound(f"No renewal {renewal_id}.")
        _check_decide(actor, renewal, now)
        _close(
            session, actor, renewal, RenewalStatus.REJECTED, AuditAction.RENEWAL_REJECT, note, now
        )
    return renewal


def _close(
    session: Session,
    actor: Actor,
    renewal: LicenseRenewal,
    status: RenewalStatus,
    action: AuditAction,
    note: str,
    now: datetime,
) -> None:
    renewal.status = status
    renewal.decided_at = now
    renewal.decided_by_id = actor.user_id
    renewal.decision_note = note
    session.flush()
    record_event(session, actor, action, "renewal", renewal.id, {"note": note})
    notices.renewal_decided(session, actor, renewal)


def approve_renewal(
    session: Session, actor: Actor, renewal_id: int, *, note: str = "", now: datetime | None = None
) -> LicenseRenewal:
    """Charge every team its share in one ledger transaction and move each licence's end
    one term on; or, if any team cannot pay or a licence has ended, change nothing."""
    now = now or utcnow()
    note = _note(note)
    with transaction(session):
        renewal = _load(session, renewal_id, lock=True)
        if not policy.can(actor, "licence.view", renewal) and not policy.can(
            actor, "licence.decide_renewal"
        ):
            raise NotFound(f"No renewal {renewal_id}.")
        _check_approve(actor, renewal, now)
        parts = list(renewal.parts)
        teams = lock_teams(session, [p.team_id for p in parts])
        lics = _lock_licences(session, [p.license_id for p in parts])
        for p in parts:
            lic, team = lics[p.license_id], teams[p.team_id]
            if team.status == TeamStatus.ELIMINATED:
                raise Conflict(
                    f"Team {team.code} was eliminated; withdraw this renewal and ask again.",
                    code="team_eliminated",
                    team=team.code,
                )
            if effective_status(lic, now) not in LIVE:
                raise Conflict(
                    f"Licence {lic.id} has ended ({effective_status(lic, now).value}); a "
                    "renewal must be approved before the licences end.",
                    code="renewal_lapsed",
                )
        shares = split_price(renewal.price_krw, len(parts))
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
        dataset = renewal.dataset
        entries = [
            (team_account(session, teams[p.team_id]), -s)
            for p, s in zip(parts, shares, strict=True)
        ]
        entries.append((institution_account(session, dataset.institution), renewal.price_krw))
        txn = post_transaction(
            session,
            actor,
            TransactionKind.RENEWAL,
            entries,
            purchase_id=renewal.purchase_id,
            memo=f"renewal {renewal.id}: {dataset.slug}",
        )
        for p, s in zip(parts, shares, strict=True):
            lic = lics[p.license_id]
            previous = lic.valid_until
            lic.valid_until = add_months(previous, renewal.term_months)
            lic.next_term_starts_at = previous
            lic.expiry_notice_days = None
            p.share_krw = s
            p.previous_valid_until = previous
            p.new_valid_until = lic.valid_until
            session.flush()
            record_event(
                session,
                actor,
                AuditAction.LICENSE_RENEW,
                "license",
                lic.id,
                {
                    "renewal_id": renewal.id,
                    "team": teams[p.team_id].code,
                    "from": previous.isoformat(),
                    "to": lic.valid_until.isoformat(),
                    "share_krw": s,
                },
            )
        renewal.status = RenewalStatus.APPROVED
        renewal.decided_at = now
        renewal.decided_by_id = actor.user_id
        renewal.decision_note = note
        renewal.ledger_transaction_id = txn.id
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.RENEWAL_APPROVE,
            "renewal",
            renewal.id,
            {
                "dataset": dataset.slug,
                "price_krw": renewal.price_krw,
                "ledger_transaction_id": txn.id,
                "note": note,
                "shares": [
                    {"team": teams[p.team_id].code, "share_krw": s}
                    for p, s in zip(parts, shares, strict=True)
                ],
            },
        )
        notices.renewal_decided(session, actor, renewal)
    return renewal


def lapse_renewals(session: Session, actor: Actor, now: datetime | None = None) -> list[int]:
    """Undecided renewals whose licences all ended lapse (for ``tick``; idempotent)."""
    now = now or utcnow()
    ids = session.scalars(
        select(LicenseRenewal.id)
        .where(LicenseRenewal.status == RenewalStatus.REQUESTED)
        .order_by(LicenseRenewal.id)
    ).all()
    end_read(session)
    lapsed = []
    for rid in ids:
        with transaction(session):
            renewal = _load(session, rid, lock=True)
            if renewal.status != RenewalStatus.REQUESTED:
                continue
            if any(effective_status(p.license, now) in LIVE for p in renewal.parts):
                continue
            _close(
                session,
                actor,
                renewal,
                RenewalStatus.LAPSED,
                AuditAction.RENEWAL_LAPSE,
                "the licences ended before a decision",
                now,
            )
            lapsed.append(rid)
    return lapsed


@dataclass(frozen=True)
class RenewalView:
    renewal: LicenseRenewal
    shares: dict[int, int]
    actions: list[str]


def renewal_view(session: Session, actor: Actor, renewal_id: int) -> RenewalView:
    renewal = get_renewal(session, actor, renewal_id)
    return RenewalView(renewal, shares_of(renewal), available_actions(actor, renewal))
