"""Read models for the web UI's team pages: what a team holds, owes and may download.

Reads only; every change goes through the purchasing, licensing, tokens and terms
services. A team user sees only their own team here (SPEC §2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog import policy
from catalog.db import utcnow
from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion, VersionStatus
from catalog.models.licenses import License, LicenseStatus
from catalog.models.purchases import ParticipantStatus, Purchase, PurchaseParticipant
from catalog.models.teams import Team
from catalog.services import ledger, purchasing
from catalog.services.context import Actor
from catalog.services.licensing import effective_status
from catalog.services.usage import Usage, current_usage

EXPIRING_SOON = timedelta(days=30)


def license_state(lic: License, now: datetime | None = None) -> str:
    """``active``, ``expiring`` (within 30 days), ``suspended``, ``revoked`` or ``expired``."""
    now = now or utcnow()
    status = effective_status(lic, now)
    if status == LicenseStatus.ACTIVE and lic.valid_until - now <= EXPIRING_SOON:
        return "expiring"
    return status.value


@dataclass
class TeamOverview:
    team: Team
    money: dict[str, Any]
    statement: list[ledger.LedgerLine]
    licenses: list[tuple[License, str]]
    purchases: list[Purchase]
    counts: dict[str, int] = field(default_factory=dict)
    usage: dict[int, Usage] = field(default_factory=dict)  # licence id → current term


def _require_team(actor: Actor) -> None:
    policy.require(actor, "myteam.view")


def team_overview(session: Session, actor: Actor, now: datetime | None = None) -> TeamOverview:
    """The actor's team: balance and ledger, licences by state, its purchases."""
    _require_team(actor)
    now = now or utcnow()
    team = session.get(Team, actor.team_id)
    assert team is not None  # myteam.view is granted only to members of a team
    lics = session.scalars(
        select(License)
        .where(License.team_id == team.id)
        .order_by(License.id.desc())
        .options(selectinload(License.dataset).selectinload(Dataset.institution))
    ).all()
    licenses = [(lic, license_state(lic, now)) for lic in lics]
    counts: dict[str, int] = {}
    for _lic, state in licenses:
        counts[state] = counts.get(state, 0) + 1
    purchases = purchasing.list_purchases(session, actor, team=team.code, limit=50).items
    return TeamOverview(
        team=team,
        money=ledger.team_money(session, team),
        statement=ledger.team_statement(session, team, limit=50),
        licenses=licenses,
        purchases=purchases,
        counts=counts,
        usage={lic.id: current_usage(lic, now) for lic in lics},
    )


@dataclass
class LicenseFiles:
    license: License
    state: str
    version: DatasetVersion | None
    files: list[DatasetObject]
    total_files: int


def license_files(
    session: Session,
    actor: Actor,
    license_id: int,
    *,
    limit: int = 200,
    now: datetime | None = None,
) -> LicenseFiles:
    """A licence of the actor's team with the newest published version's files."""
    from catalog.services.terms import get_team_license

    _require_team(actor)
    lic = get_team_license(session, actor, license_id)
    version = session.scalar(
        select(DatasetVersion)
        .where(
            DatasetVersion.dataset_id == lic.dataset_id,
            DatasetVersion.status == VersionStatus.PUBLISHED,
        )
        .order_by(DatasetVersion.published_at.desc(), DatasetVersion.id.desc())
        .limit(1)
    )
    files: list[DatasetObject] = []
    if version is not None:
        files = list(
            session.scalars(
                select(DatasetObject)
                .where(DatasetObject.version_id == version.id)
                .order_by(DatasetObject.key)
                .limit(limit)
            )
        )
    return LicenseFiles(
        license=lic,
        state=license_state(lic, now),
        version=version,
        files=files,
        total_files=version.object_count if version else 0,
    )


def dataset_states(
    session: Session, actor: Actor, dataset_ids: list[int], now: datetime | None = None
) -> dict[int, str]:
    """dataset id → what the actor's team has of it: ``licensed``, ``suspended``,
    ``pending`` (a live purchase it takes part in) — absent when nothing."""
    if not policy.can(actor, "myteam.view") or actor.team_id is None or not dataset_ids:
        return {}
    now = now or utcnow()
    out: dict[int, str] = {}
    for ds_id in session.scalars(
        select(Purchase.dataset_id)
        .join(PurchaseParticipant, PurchaseParticipant.purchase_id == Purchase.id)
        .where(
            Purchase.dataset_id.in_(dataset_ids),
            Purchase.status.in_(purchasing.LIVE_STATUSES),
            PurchaseParticipant.team_id == actor.team_id,
            PurchaseParticipant.status == ParticipantStatus.JOINED,
        )
    ):
        out[ds_id] = "pending"
    for lic in session.scalars(
        select(License).where(
            License.team_id == actor.team_id,
            License.dataset_id.in_(dataset_ids),
            License.status.in_((LicenseStatus.ACTIVE, LicenseStatus.SUSPENDED)),
            License.valid_until > now,
        )
    ):
        out[lic.dataset_id] = "licensed" if lic.status == LicenseStatus.ACTIVE else "suspended"
    return out


def dataset_purchases(session: Session, actor: Actor, dataset: Dataset) -> list[Purchase]:
    """Undecided purchases of a dataset the actor may see (joint ones are public)."""
    return [
        p
        for p in purchasing.list_purchases(session, actor, dataset=dataset.slug, limit=50).items
        if p.status in purchasing.LIVE_STATUSES
    ]
