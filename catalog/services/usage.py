"""Usage of licences: what the access broker issued, per licence term, user and token.

The broker counts every issuance on the licence's row (``used_objects``, ``used_bytes``)
under its row lock (``lock_usage``), in the issuance's transaction; each issuance is also an
``AccessGrant`` with its object and byte counts, from which the per-user and per-token
figures and the reports are summed. A licence's quota applies per term: when a renewal's
new term begins the counters start again from zero (the grants keep the history).

Who sees what: a team its own licences (My team, ``GET /api/v1/licenses/{id}``, ``kdc
licenses``); provider staff the licences of their institution's datasets, per team; auditors
and the programme office every licence (the usage report, CSV and JSON Lines). Providers
(and the programme office) may change a licence's quotas, never below what its current
term already used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from catalog import licence_terms, policy
from catalog.db import id_in_range, transaction, utcnow
from catalog.errors import InvalidInput, NotFound
from catalog.models.access import AccessGrant
from catalog.models.audit import AuditAction
from catalog.models.datasets import Dataset
from catalog.models.institutions import Institution
from catalog.models.licenses import License
from catalog.models.teams import Team
from catalog.models.users import ApiToken, User
from catalog.services import notices
from catalog.services.audit import record_event
from catalog.services.context import Actor

MAX_QUOTA_OBJECTS = 10**12
MAX_QUOTA_BYTES = 2**53 - 1  # exact in JSON and in the audit chain


@dataclass(frozen=True)
class Usage:
    """A licence's usage in its current term, next to its quotas."""

    objects: int
    bytes: int
    since: datetime
    allowed_objects: int | None
    allowed_bytes: int | None

    @property
    def objects_left(self) -> int | None:
        return None if self.allowed_objects is None else max(0, self.allowed_objects - self.objects)

    @property
    def bytes_left(self) -> int | None:
        return None if self.allowed_bytes is None else max(0, self.allowed_bytes - self.bytes)

    @property
    def exhausted(self) -> bool:
        return self.objects_left == 0 or self.bytes_left == 0

    def share(self) -> float | None:
        """The larger of the two used fractions (0–1), for a gauge; None without quotas."""
        parts = [
            used / allowed
            for used, allowed in (
                (self.objects, self.allowed_objects),
                (self.bytes, self.allowed_bytes),
            )
            if allowed
        ]
        return min(1.0, max(parts)) if parts else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "term_started_at": self.since,
            "objects_issued": self.objects,
            "objects_allowed": self.allowed_objects,
            "objects_left": self.objects_left,
            "bytes_issued": self.bytes,
            "bytes_allowed": self.allowed_bytes,
            "bytes_left": self.bytes_left,
        }


def _rolled_over(lic: License, now: datetime) -> bool:
    return lic.next_term_starts_at is not None and now >= lic.next_term_starts_at


def current_usage(lic: License, now: datetime | None = None) -> Usage:
    """What the licence's current term used so far (zero once a renewed term began)."""
    now = now or utcnow()
    terms = licence_terms.Terms.from_frozen(lic.terms)
    if _rolled_over(lic, now):
        assert lic.next_term_starts_at is not None
        objects, byte_count, since = 0, 0, lic.next_term_starts_at
    else:
        objects, byte_count = lic.used_objects or 0, lic.used_bytes or 0
        since = lic.usage_since or lic.valid_from
    return Usage(objects, byte_count, since, terms.quota_objects, terms.quota_bytes)


def lock_usage(session: Session, license_id: int, now: datetime) -> License:
    """Lock the licence's row (its usage counters) and start a renewed term's count afresh.

    Part of an issuance's transaction: the caller checks the quota and counts what it issues
    (``count_issued``) before the commit releases the lock.
    """
    # FOR NO KEY UPDATE, as every change of a licence takes (licensing.py): issuances of one
    # licence queue behind each other, and a revocation queues behind the one in progress.
    lic = session.scalar(
        select(License)
        .where(License.id == license_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if lic is None:
        raise NotFound(f"No licence {license_id}.")
    if _rolled_over(lic, now):
        lic.usage_since = lic.next_term_starts_at
        lic.next_term_starts_at = None
        lic.used_objects = 0
        lic.used_bytes = 0
    return lic


def count_issued(lic: License, objects: int, byte_count: int) -> None:
    """Add an issuance to the licence's usage (its row is locked by ``lock_usage``)."""
    lic.used_objects = (lic.used_objects or 0) + objects
    lic.used_bytes = (lic.used_bytes or 0) + byte_count


@dataclass(frozen=True)
class UsageLine:
    """Usage of one user through one token (``token`` None: the web UI)."""

    user: str
    token: str | None
    grants: int
    objects: int
    bytes: int
    last_at: datetime | None


def usage_by_user(session: Session, lic: License, since: datetime | None = None) -> list[UsageLine]:
    """The licence's issuances in its current term (or since ``since``), per user and token."""
    # Grants are dated to the whole second of their URLs; a term starts mid-second.
    since = (since or current_usage(lic).since).replace(microsecond=0)
    rows = session.execute(
        select(
            User.email,
            ApiToken.prefix,
            func.count(AccessGrant.id),
            func.coalesce(func.sum(AccessGrant.object_count), 0),
            func.coalesce(func.sum(AccessGrant.byte_count), 0),
            func.max(AccessGrant.created_at),
        )
        .join(User, User.id == AccessGrant.user_id)
        .outerjoin(ApiToken, ApiToken.id == AccessGrant.token_id)
        .where(AccessGrant.license_id == lic.id, AccessGrant.created_at >= since)
        .group_by(User.email, ApiToken.prefix)
        .order_by(User.email, ApiToken.prefix)
    ).all()
    return [
        UsageLine(email, prefix, int(n), int(objs), int(b), last)
        for email, prefix, n, objs, b, last in rows
    ]


# --------------------------------------------------------------------------- changing quotas


def _quota(value: Any, name: str, limit: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise InvalidInput(
            f"{name}: a whole number from 1 to {limit:,}, or empty for no cap.",
            code="invalid_quota",
            errors={name: ["A whole number of at least 1, or empty for no cap."]},
        )
    return value


def set_quota(
    session: Session,
    actor: Actor,
    license_id: int,
    *,
    objects: int | None,
    byte_count: int | None,
    reason: str = "",
    now: datetime | None = None,
) -> License:
    """Change a licence's caps (provider staff of the dataset's institution, or the
    programme office). ``None`` lifts a cap. A cap below what the current term already
    used is refused (``quota_below_usage``): the team was entitled to what it received."""
    now = now or utcnow()
    policy.require(actor, "licence.set_quota")
    objects = _quota(objects, "objects", MAX_QUOTA_OBJECTS)
    byte_count = _quota(byte_count, "bytes", MAX_QUOTA_BYTES)
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise InvalidInput(
            "reason: at most 500 characters.",
            code="invalid_input",
            errors={"reason": ["At most 500 characters."]},
        )
    with transaction(session):
        if not id_in_range(license_id):
            raise NotFound(f"No licence {license_id}.")
        lic = lock_usage(session, license_id, now)
        policy.require(actor, "licence.set_quota", lic)
        used = current_usage(lic, now)
        below = {}
        if objects is not None and objects < used.objects:
            below["objects"] = [f"At least {used.objects:,}: already issued this term."]
        if byte_count is not None and byte_count < used.bytes:
            below["bytes"] = [f"At least {used.bytes:,}: already issued this term."]
        if below:
            raise InvalidInput(
                f"A quota cannot go below what licence {lic.id} already used this term "
                f"({used.objects:,} objects, {used.bytes:,} bytes).",
                code="quota_below_usage",
                errors=below,
                used_objects=used.objects,
                used_bytes=used.bytes,
            )
        before = licence_terms.Terms.from_frozen(lic.terms)
        if before.quota_objects == objects and before.quota_bytes == byte_count:
            return lic
        terms = dict(lic.terms or {})
        terms["download_quota"] = objects
        terms["download_quota_bytes"] = byte_count
        lic.terms = terms  # a new dict: the JSON column sees the change
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.LICENSE_SET_QUOTA,
            "license",
            lic.id,
            {
                "team_id": lic.team_id,
                "dataset_id": lic.dataset_id,
                "from": {"objects": before.quota_objects, "bytes": before.quota_bytes},
                "to": {"objects": objects, "bytes": byte_count},
                "used": {"objects": used.objects, "bytes": used.bytes},
                "reason": reason,
            },
        )
        notices.license_quota_changed(session, actor, lic, reason)
    return lic


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class UsageRow:
    """One licence in a usage report."""

    license: License
    usage: Usage
    grants: int
    last_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        lic, u = self.license, self.usage
        return {
            "license_id": lic.id,
            "team": lic.team.code,
            "dataset": lic.dataset.slug,
            "institution": lic.dataset.institution.code,
            "status": _status(lic),
            "valid_until": lic.valid_until.isoformat(),
            "term_started_at": u.since.isoformat(),
            "objects_issued": u.objects,
            "objects_allowed": u.allowed_objects,
            "bytes_issued": u.bytes,
            "bytes_allowed": u.allowed_bytes,
            "grants": self.grants,
            "last_issued_at": self.last_at.isoformat() if self.last_at else None,
        }


USAGE_CSV = [
    "license_id",
    "team",
    "dataset",
    "institution",
    "status",
    "valid_until",
    "term_started_at",
    "objects_issued",
    "objects_allowed",
    "bytes_issued",
    "bytes_allowed",
    "grants",
    "last_issued_at",
]


def _status(lic: License) -> str:
    from catalog.services.licensing import effective_status

    return effective_status(lic).value


def usage_report(
    session: Session,
    actor: Actor,
    *,
    team: str | None = None,
    institution: str | None = None,
    dataset: str | None = None,
    over_quota_only: bool = False,
    now: datetime | None = None,
) -> list[UsageRow]:
    """Usage of every licence the actor may see (auditors and admins: all; provider staff:
    their institution's datasets; a team: its own), newest licence first."""
    from catalog.services.licensing import visible_licenses_query

    now = now or utcnow()
    policy.require(actor, "licence.view")
    q = visible_licenses_query(actor)
    if team:
        q = q.where(License.team_id.in_(select(Team.id).where(Team.code == team)))
    if dataset:
        q = q.where(License.dataset_id.in_(select(Dataset.id).where(Dataset.slug == dataset)))
    if institution:
        q = q.where(
            License.dataset_id.in_(
                select(Dataset.id)
                .join(Institution, Institution.id == Dataset.institution_id)
                .where(Institution.code == institution.upper())
            )
        )
    lics = list(
        session.scalars(
            q.order_by(License.id.desc()).options(
                selectinload(License.team),
                selectinload(License.dataset).selectinload(Dataset.institution),
            )
        )
    )
    stats = _grant_stats(session, [lic.id for lic in lics])
    rows = []
    for lic in lics:
        u = current_usage(lic, now)
        n, last = stats.get(lic.id, (0, None))
        row = UsageRow(lic, u, n, last)
        if over_quota_only and not u.exhausted:
            continue
        rows.append(row)
    return rows


def _grant_stats(
    session: Session, license_ids: Iterable[int]
) -> dict[int, tuple[int, datetime | None]]:
    ids = list(license_ids)
    if not ids:
        return {}
    out: dict[int, tuple[int, datetime | None]] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for lic_id, n, last in session.execute(
            select(
                AccessGrant.license_id, func.count(AccessGrant.id), func.max(AccessGrant.created_at)
            )
            .where(AccessGrant.license_id.in_(chunk))
            .group_by(AccessGrant.license_id)
        ).all():
            out[int(lic_id)] = (int(n), last)
    return out


def issued_anything(session: Session, license_id: int) -> bool:
    """Whether any URL was ever issued under the licence (so copies may exist)."""
    return (
        session.scalar(
            select(AccessGrant.id)
            .where(AccessGrant.license_id == license_id, AccessGrant.object_count > 0)
            .limit(1)
        )
        is not None
    )
