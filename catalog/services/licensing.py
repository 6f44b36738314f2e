"""Licences: issuing them on approval, their status over time, suspension and revocation.

A licence is ``active`` from ``valid_from`` until ``valid_until``; past that it is expired
whether or not ``flask --app app tick`` has written so yet (``effective_status``), so a
check at the moment of use never honours a lapsed licence. Admins may suspend (and
reinstate) or revoke a licence; eliminating a team revokes those whose frozen terms do not
survive elimination. At most one live (active or suspended) licence exists per team and
dataset; a partial unique index backs that up.

A licence that ends (expires or is revoked) may owe a destruction attestation
(``attestations.mark_ended``); a renewal (``renewals``) moves ``valid_until``.

Changes lock licence rows ``FOR NO KEY UPDATE``: every issuance of download URLs inserts an
access grant referring to the licence, which takes a key-share lock on it until it commits;
a full ``FOR UPDATE`` would wait for all of them, so a revocation during a steady stream of
downloads could be held off indefinitely.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session, selectinload

from catalog import policy
from catalog.db import end_read, id_in_range, transaction, utcnow
from catalog.errors import Conflict, InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.datasets import Dataset
from catalog.models.licenses import License, LicenseStatus
from catalog.models.teams import Team
from catalog.services import notices
from catalog.services.audit import AuditItem, record_event, record_events
from catalog.services.context import Actor
from catalog.services.paging import id_desc_page

LIVE = (LicenseStatus.ACTIVE, LicenseStatus.SUSPENDED)


def add_months(when: datetime, months: int) -> datetime:
    """``when`` plus whole calendar months; the day is clamped (31 Jan + 1 month = 28/29 Feb)."""
    month_index = when.month - 1 + months
    year, month = when.year + month_index // 12, month_index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def effective_status(lic: License, now: datetime | None = None) -> LicenseStatus:
    """The status as of ``now``: a live licence past its ``valid_until`` counts as expired."""
    now = now or utcnow()
    if lic.status in LIVE and lic.valid_until <= now:
        return LicenseStatus.EXPIRED
    return lic.status


def live_license(
    session: Session, team_id: int, dataset_id: int, now: datetime | None = None
) -> License | None:
    """The team's live (active or suspended, not lapsed) licence for a dataset, if any."""
    now = now or utcnow()
    return session.scalar(
        select(License)
        .where(
            License.team_id == team_id,
            License.dataset_id == dataset_id,
            License.status.in_(LIVE),
            License.valid_until > now,
        )
        .order_by(License.id.desc())
    )


def live_licenses(
    session: Session, team_ids: list[int], dataset_id: int, now: datetime | None = None
) -> dict[int, License]:
    """``live_license`` of several teams in one read: team id → its live licence."""
    now = now or utcnow()
    rows = session.scalars(
        select(License)
        .where(
            License.team_id.in_(team_ids),
            License.dataset_id == dataset_id,
            License.status.in_(LIVE),
            License.valid_until > now,
        )
        .order_by(License.id)
    )
    return {lic.team_id: lic for lic in rows}  # the newest wins, as in ``live_license``


def expire_stale(
    session: Session, actor: Actor, team_id: int, dataset_id: int, now: datetime
) -> None:
    """Mark the team's lapsed live licences for a dataset expired."""
    with transaction(session):
        stale = session.scalars(
            select(License)
            .where(
                License.team_id == team_id,
                License.dataset_id == dataset_id,
                License.status.in_(LIVE),
                License.valid_until <= now,
            )
            .with_for_update(key_share=True)
        ).all()
        for lic in stale:
            _set_status(
                session,
                actor,
                lic,
                LicenseStatus.EXPIRED,
                "term ended",
                AuditAction.LICENSE_EXPIRE,
                now,
            )


def issue_license(
    session: Session,
    actor: Actor,
    *,
    team: Team,
    dataset: Dataset,
    purchase_id: int,
    terms: dict[str, Any],
    term_months: int,
    now: datetime,
) -> License:
    """Create an active licence (a step of the approval's unit of work)."""
    return issue_licenses(
        session,
        actor,
        teams=[team],
        dataset=dataset,
        purchase_id=purchase_id,
        terms=terms,
        term_months=term_months,
        now=now,
    )[0]


def issue_licenses(
    session: Session,
    actor: Actor,
    *,
    teams: list[Team],
    dataset: Dataset,
    purchase_id: int,
    terms: dict[str, Any],
    term_months: int,
    now: datetime,
    preceding: list[AuditItem] | None = None,
    notices_out: list[notices.NoticeDraft] | None = None,
) -> list[License]:
    """Create an active licence for each team, in the order given: the same rows, events
    and notices as ``issue_license`` for each team in turn, in batched statements.

    ``preceding``: audit events still to record, which come just before the licences'
    own in the chain (recorded with them, in one append). ``notices_out``: the licences'
    notices are appended to it for the caller to write next, unless a lapsed licence had
    to be expired first (then they are written at once, in their place)."""
    preceding = list(preceding or [])
    with transaction(session):
        stale = session.scalars(
            select(License)
            .where(
                License.team_id.in_([t.id for t in teams]),
                License.dataset_id == dataset.id,
                License.status.in_(LIVE),
                License.valid_until <= now,
            )
            .order_by(License.id)
            .with_for_update(key_share=True)
        ).all()
        if not stale:
            return _issue_batch(
                session,
                actor,
                teams,
                dataset,
                purchase_id,
                terms,
                term_months,
                now,
                preceding,
                notices_out,
            )
        record_events(session, actor, preceding)
        # A lapsed licence is marked expired just before its team's new one is issued.
        out = []
        for team in teams:
            for lic in stale:
                if lic.team_id == team.id:
                    _set_status(
                        session,
                        actor,
                        lic,
                        LicenseStatus.EXPIRED,
                        "term ended",
                        AuditAction.LICENSE_EXPIRE,
                        now,
                    )
            out += _issue_batch(
                session, actor, [team], dataset, purchase_id, terms, term_months, now
            )
        return out


def _issue_batch(
    session: Session,
    actor: Actor,
    teams: list[Team],
    dataset: Dataset,
    purchase_id: int,
    terms: dict[str, Any],
    term_months: int,
    now: datetime,
    preceding: list[AuditItem] | None = None,
    notices_out: list[notices.NoticeDraft] | None = None,
) -> list[License]:
    with transaction(session):
        lics = [
            License(
                team_id=team.id,
                dataset_id=dataset.id,
                purchase_id=purchase_id,
                status=LicenseStatus.ACTIVE,
                valid_from=now,
                valid_until=add_months(now, term_months),
                terms=dict(terms),
            )
            for team in teams
        ]
        session.add_all(lics)
        session.flush()
        record_events(
            session,
            actor,
            list(preceding or [])
            + [
                (
                    AuditAction.LICENSE_ISSUE,
                    "license",
                    lic.id,
                    {
                        "team": team.code,
                        "dataset": dataset.slug,
                        "purchase_id": purchase_id,
                        "valid_from": lic.valid_from.isoformat(),
                        "valid_until": lic.valid_until.isoformat(),
                        "terms": lic.terms,
                    },
                )
                for team, lic in zip(teams, lics, strict=True)
            ],
        )
        notices.licenses_changed(session, actor, lics, drafts_out=notices_out)
        return lics


def _set_status(
    session: Session,
    actor: Actor,
    lic: License,
    status: LicenseStatus,
    reason: str,
    action: AuditAction,
    now: datetime | None = None,
) -> None:
    from catalog.services import attestations

    before = lic.status
    lic.status = status
    lic.status_reason = reason[:500]
    session.flush()
    record_event(
        session,
        actor,
        action,
        "license",
        lic.id,
        {
            "team_id": lic.team_id,
            "dataset_id": lic.dataset_id,
            "from": before.value,
            "to": status.value,
            "reason": reason[:500],
        },
    )
    notices.license_changed(session, actor, lic, reinstated=action == AuditAction.LICENSE_REINSTATE)
    if status in (LicenseStatus.EXPIRED, LicenseStatus.REVOKED):
        attestations.mark_ended(session, actor, lic, now or utcnow())


def _lock_license(session: Session, license_id: int) -> License:
    if not id_in_range(license_id):
        raise NotFound(f"No licence {license_id}.")
    lic = session.scalar(
        select(License)
        .where(License.id == license_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if lic is None:
        raise NotFound(f"No licence {license_id}.")
    return lic


def suspend_license(session: Session, actor: Actor, license_id: int, reason: str = "") -> License:
    """Suspend an active licence: no new download URLs until it is reinstated."""
    policy.require(actor, "licence.change_status")
    with transaction(session):
        lic = _lock_license(session, license_id)
        if effective_status(lic) != LicenseStatus.ACTIVE:
            raise Conflict(
                f"Licence {lic.id} is {effective_status(lic).value}, not active.",
                code="license_not_active",
            )
        _set_status(
            session,
            actor,
            lic,
            LicenseStatus.SUSPENDED,
            reason or "suspended",
            AuditAction.LICENSE_SUSPEND,
        )
    return lic


def reinstate_license(session: Session, actor: Actor, license_id: int, reason: str = "") -> License:
    """Lift a suspension (the licence keeps its original ``valid_until``)."""
    policy.require(actor, "licence.change_status")
    with transaction(session):
        lic = _lock_license(session, license_id)
        if effective_status(lic) != LicenseStatus.SUSPENDED:
            raise Conflict(
                f"Licence {lic.id} is {effective_status(lic).value}, not suspended.",
                code="license_not_suspended",
            )
        _set_status(
            session,
            actor,
            lic,
            LicenseStatus.ACTIVE,
            reason or "reinstated",
            AuditAction.LICENSE_REINSTATE,
        )
    return lic


def revoke_license(session: Session, actor: Actor, license_id: int, reason: str = "") -> License:
    """Revoke a live licence for good (no refund: a refund is a separate reversing entry)."""
    policy.require(actor, "licence.change_status")
    with transaction(session):
        lic = _lock_license(session, license_id)
        if lic.status not in LIVE:
            raise Conflict(
                f"Licence {lic.id} is already {lic.status.value}.", code="license_not_live"
            )
        _set_status(
            session,
            actor,
            lic,
            LicenseStatus.REVOKED,
            reason or "revoked",
            AuditAction.LICENSE_REVOKE,
        )
    return lic


def revoke_for_elimination(
    session: Session, actor: Actor, team: Team, phase: int
) -> tuple[list[License], list[License]]:
    """Revoke the team's live licences unless their terms survive elimination.

    Returns (revoked, kept).
    """
    with transaction(session):
        revoked, kept = [], []
        lics = session.scalars(
            select(License)
            .where(License.team_id == team.id, License.status.in_(LIVE))
            .order_by(License.id)
            .with_for_update(key_share=True)
            .options(selectinload(License.dataset))
        ).all()
        for lic in lics:
            if (lic.terms or {}).get("survives_elimination"):
                kept.append(lic)
                continue
            _set_status(
                session,
                actor,
                lic,
                LicenseStatus.REVOKED,
                f"team eliminated at phase {phase}",
                AuditAction.LICENSE_REVOKE,
            )
            revoked.append(lic)
        return revoked, kept


def expire_licenses(session: Session, actor: Actor, now: datetime | None = None) -> list[int]:
    """Mark every live licence past ``valid_until`` expired; idempotent (for ``tick``)."""
    now = now or utcnow()
    with transaction(session):
        lics = session.scalars(
            select(License)
            .where(License.status.in_(LIVE), License.valid_until <= now)
            .order_by(License.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        ).all()
        for lic in lics:
            _set_status(
                session,
                actor,
                lic,
                LicenseStatus.EXPIRED,
                "term ended",
                AuditAction.LICENSE_EXPIRE,
                now,
            )
        return [lic.id for lic in lics]


@dataclass
class LicensePage:
    items: list[License]
    total: int
    page: int
    limit: int
    next_before: int | None = None  # keyset cursor of the next page

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.limit))


# What each relation of ``licence.view`` selects, for listing.
_VIEW_FILTERS: dict[str, Callable[[Actor], ColumnElement[bool]]] = {
    policy.OWN_TEAM: lambda a: License.team_id == a.team_id,
    policy.OWN_INSTITUTION: lambda a: License.dataset_id.in_(
        select(Dataset.id).where(Dataset.institution_id == a.institution_id)
    ),
}


def visible_licenses_query(actor: Actor) -> Select[License]:
    """Licences the actor may read: own team's; a provider's institution's; all for admin/auditor."""
    q = select(License)
    allowed = policy.relations_for(actor, "licence.view")
    if policy.ANY in allowed:
        return q
    if not allowed:
        return q.where(License.id.is_(None))
    return q.where(or_(*(_VIEW_FILTERS[rel](actor) for rel in sorted(allowed))))


def list_licenses(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    team: str | None = None,
    dataset: str | None = None,
    page: int = 1,
    limit: int = 20,
    before: int | None = None,
    now: datetime | None = None,
) -> LicensePage:
    """A page of the licences the actor may read, newest first; ``status`` is the effective
    status; ``before`` a keyset cursor (``catalog.services.paging``)."""
    now = now or utcnow()
    q = visible_licenses_query(actor)
    if team:
        q = q.where(License.team_id.in_(select(Team.id).where(Team.code == team)))
    if dataset:
        q = q.where(License.dataset_id.in_(select(Dataset.id).where(Dataset.slug == dataset)))
    if status:
        try:
            wanted = LicenseStatus(status)
        except ValueError:
            raise InvalidInput(
                f"unknown licence status {status!r}", code="invalid_status"
            ) from None
        if wanted == LicenseStatus.EXPIRED:
            q = q.where(
                or_(
                    License.status == LicenseStatus.EXPIRED,
                    (License.status.in_(LIVE)) & (License.valid_until <= now),
                )
            )
        elif wanted in LIVE:
            q = q.where(License.status == wanted, License.valid_until > now)
        else:
            q = q.where(License.status == wanted)
    part = id_desc_page(
        session,
        q,
        License.id,
        page=page,
        limit=limit,
        before=before,
        options=(selectinload(License.team), selectinload(License.dataset)),
    )
    return LicensePage(part.items, part.total, part.page, limit, part.next_before)


EXPIRY_NOTICE_DAYS = (30, 7, 1)


def expiry_stage(lic: License, now: datetime) -> int | None:
    """The tightest of 30, 7 and 1 days within which the licence ends (None: further off)."""
    left = lic.valid_until - now
    stages = [d for d in EXPIRY_NOTICE_DAYS if left <= timedelta(days=d)]
    return min(stages) if stages and left > timedelta(0) else None


def announce_expiring(session: Session, actor: Actor, now: datetime | None = None) -> list[int]:
    """Tell each team 30, 7 and 1 days before a live licence ends, once each (for ``tick``).

    A stage ``tick`` missed is not sent late: the next one reached is. Each licence is locked
    and its last stage re-read in its own transaction, so hosts running ``tick`` together
    announce it once. A renewal moves the end and re-arms the notices.
    """
    now = now or utcnow()
    horizon = now + timedelta(days=max(EXPIRY_NOTICE_DAYS))
    ids = session.scalars(
        select(License.id)
        .where(
            License.status.in_(LIVE),
            License.valid_until > now,
            License.valid_until <= horizon,
        )
        .order_by(License.id)
    ).all()
    end_read(session)
    announced = []
    for lic_id in ids:
        with transaction(session):
            lic = _lock_license(session, lic_id)
            stage = expiry_stage(lic, now) if lic.status in LIVE else None
            if stage is None:
                continue
            if lic.expiry_notice_days is not None and lic.expiry_notice_days <= stage:
                continue
            lic.expiry_notice_days = stage
            session.flush()
            notices.license_expiring(session, actor, lic, stage, now)
            announced.append(lic_id)
    return announced
