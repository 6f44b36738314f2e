"""Destruction attestations: when a licence ends, the team states that its copies are gone.

A licence *ends* when it expires, is revoked, or is revoked at the team's elimination (a
licence whose terms survive elimination does not end then). From that moment the team owes
an attestation (``attestation_due_at``) — if any download URL was ever issued under the
licence; without one no copy can exist. The lead hears of it at once and every 7 days after
(``tick``) until the team attests.

Two ways to attest, both for the team's own ended licences only:

- ``kdc purge SLUG --dest DIR`` deletes what ``kdc fetch`` wrote there, checks that nothing
  is left, and submits a ``purge`` attestation: every deleted object's key, size and SHA-256
  (each must be an object of the dataset, or the whole attestation is refused) and the host
  (any member or lead of the team; ``licence.attest``);
- a team lead declares it in the web UI (``declaration``; ``licence.declare_destruction``),
  with a reason when the destruction is only partial.

The first attestation settles the duty (``attested_at``); a partial one settles it too but
stays flagged for the auditors, who see every outstanding attestation with its days overdue
(providers: those of their datasets).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog import policy
from catalog.db import end_read, id_in_range, transaction, utcnow
from catalog.errors import Conflict, InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion
from catalog.models.licenses import DestructionAttestation, License, LicenseStatus
from catalog.services import notices, usage
from catalog.services.audit import record_event
from catalog.services.context import Actor

REMINDER_EVERY = timedelta(days=7)
MAX_OBJECTS = 1_000_000
MAX_REASON = 2000
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
HOST_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,255}$")
ENDED = (LicenseStatus.EXPIRED, LicenseStatus.REVOKED)


# --------------------------------------------------------------------------- becoming due


def mark_ended(session: Session, actor: Actor, lic: License, now: datetime) -> None:
    """The licence just ended (its status is now expired or revoked): the team owes an
    attestation if anything was issued under it; its lead hears of it now."""
    if lic.ended_at is None:
        lic.ended_at = min(lic.valid_until, now) if lic.status == LicenseStatus.EXPIRED else now
    if lic.attestation_due_at is not None or lic.attested_at is not None:
        return
    if not usage.issued_anything(session, lic.id):
        return
    lic.attestation_due_at = lic.ended_at
    lic.attestation_notices = 1
    session.flush()
    notices.attestation_due(session, actor, lic, 0, now)


def days_overdue(lic: License, now: datetime | None = None) -> int | None:
    """Whole days since the attestation fell due (None when none is outstanding)."""
    if lic.attestation_due_at is None or lic.attested_at is not None:
        return None
    return max(0, ((now or utcnow()) - lic.attestation_due_at).days)


def remind(session: Session, actor: Actor, now: datetime | None = None) -> list[int]:
    """Remind the leads of every outstanding attestation, 7 days after the last notice.

    Idempotent and safe on several hosts: each licence is locked and its count of notices
    re-read in its own transaction (for ``tick``). Returns the licence ids reminded.
    """
    now = now or utcnow()
    ids = session.scalars(
        select(License.id)
        .where(License.attestation_due_at.is_not(None), License.attested_at.is_(None))
        .order_by(License.id)
    ).all()
    end_read(session)
    reminded = []
    for lic_id in ids:
        with transaction(session):
            lic = _lock(session, lic_id)
            if lic.attestation_due_at is None or lic.attested_at is not None:
                continue
            expected = (now - lic.attestation_due_at) // REMINDER_EVERY + 1
            if lic.attestation_notices >= expected:
                continue
            notices.attestation_due(session, actor, lic, lic.attestation_notices, now)
            lic.attestation_notices = int(expected)
            reminded.append(lic_id)
    return reminded


def _lock(session: Session, license_id: int) -> License:
    lic = session.scalar(
        select(License)
        .where(License.id == license_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if lic is None:
        raise NotFound(f"No licence {license_id}.")
    return lic


# --------------------------------------------------------------------------- attesting


@dataclass(frozen=True)
class DeletedObject:
    key: str
    size: int
    sha256: str


def _objects(raw: Any) -> list[DeletedObject]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_OBJECTS:
        raise InvalidInput(
            f"objects: a list of at most {MAX_OBJECTS:,} objects.", code="invalid_attestation"
        )
    out, seen = [], set()
    for i, item in enumerate(raw):
        ok = (
            isinstance(item, dict)
            and isinstance(item.get("key"), str)
            and 0 < len(item["key"]) <= 1024
            and isinstance(item.get("sha256"), str)
            and SHA256_RE.match(item["sha256"]) is not None
            and isinstance(item.get("size"), int)
            and not isinstance(item.get("size"), bool)
            and item["size"] >= 0
        )
        if not ok:
            raise InvalidInput(
                f"objects[{i}]: each object needs a key, its size in bytes and its SHA-256 "
                "(64 lower-case hex digits).",
                code="invalid_attestation",
                errors={"objects": [f"Item {i} is not a key, size and SHA-256."]},
            )
        if item["key"] in seen:
            raise InvalidInput(
                f"objects: {item['key']!r} is listed twice.", code="invalid_attestation"
            )
        seen.add(item["key"])
        out.append(DeletedObject(item["key"], item["size"], item["sha256"]))
    return out


def _not_of_dataset(session: Session, dataset_id: int, objects: list[DeletedObject]) -> list[str]:
    """Keys whose (size, SHA-256) match no object of any version of the dataset."""
    known: set[tuple[str, int, str]] = set()
    keys = [o.key for o in objects]
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for key, size, digest in session.execute(
            select(DatasetObject.key, DatasetObject.size, DatasetObject.sha256)
            .join(DatasetVersion, DatasetVersion.id == DatasetObject.version_id)
            .where(DatasetVersion.dataset_id == dataset_id, DatasetObject.key.in_(chunk))
        ).all():
            known.add((key, int(size), digest))
    return [o.key for o in objects if (o.key, o.size, o.sha256) not in known]


def _team_license(session: Session, actor: Actor, license_id: int, action: str) -> License:
    policy.require(actor, action)
    if not id_in_range(license_id):
        raise NotFound(f"No licence {license_id}.")
    lic = session.scalar(
        select(License)
        .where(License.id == license_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    # Another team's licence does not exist for you.
    if lic is None or not policy.can(actor, action, lic):
        raise NotFound(f"No licence {license_id}.")
    return lic


@dataclass(frozen=True)
class AttestationCheck:
    """What a dry run found acceptable (nothing written)."""

    license_id: int
    object_count: int
    byte_count: int


def attest(
    session: Session,
    actor: Actor,
    license_id: int,
    *,
    method: str = "purge",
    objects: Any = None,
    host: str = "",
    dest: str = "",
    complete: bool = True,
    reason: str = "",
    dry_run: bool = False,
    now: datetime | None = None,
) -> DestructionAttestation | AttestationCheck:
    """Record that the team deleted its copies of an ended licence's dataset.

    ``purge``: ``objects`` lists what was deleted (key, size, SHA-256; every one an object
    of the dataset) and ``host`` where. ``declaration``: a team lead's word, no list needed.
    ``complete`` false needs a ``reason``. ``dry_run`` checks everything and writes nothing
    (``kdc purge`` asks before it deletes anything).
    """
    from catalog.services.licensing import effective_status, expire_stale

    now = now or utcnow()
    if method not in ("purge", "declaration"):
        raise InvalidInput("method: purge or declaration.", code="invalid_attestation")
    action = "licence.attest" if method == "purge" else "licence.declare_destruction"
    deleted = _objects(objects)
    host = (host or "").strip()
    dest = (dest or "").strip()
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if method == "purge" and not deleted:
        errors["objects"] = ["A purge lists the objects it deleted."]
    if method == "purge" and not host:
        errors["host"] = ["The host name of the machine the copies were deleted from."]
    elif host and not HOST_RE.match(host):
        errors["host"] = ["At most 255 printable characters."]
    if len(dest) > 1000:
        errors["dest"] = ["At most 1,000 characters."]
    if not complete and not reason:
        errors["reason"] = ["Say why the destruction is only partial."]
    if len(reason) > MAX_REASON:
        errors["reason"] = [f"At most {MAX_REASON:,} characters."]
    if errors:
        raise InvalidInput(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(errors.items())),
            code="invalid_attestation",
            errors=errors,
        )
    with transaction(session):
        lic = _team_license(session, actor, license_id, action)
        status = effective_status(lic, now)
        if status not in ENDED:
            raise Conflict(
                f"Licence {lic.id} is {status.value}; destruction is attested once it has "
                "ended (expired or revoked).",
                code="license_not_ended",
            )
        if lic.status not in ENDED:
            # Lapsed but not yet marked by `tick`: record the expiry first.
            expire_stale(session, actor, lic.team_id, lic.dataset_id, now)
            lic = _lock(session, lic.id)
        bad = _not_of_dataset(session, lic.dataset_id, deleted)
        if bad:
            shown = ", ".join(repr(k) for k in bad[:10]) + (" …" if len(bad) > 10 else "")
            raise InvalidInput(
                f"{len(bad)} listed object(s) are not objects of this dataset with that size "
                f"and SHA-256: {shown}. Was the state file changed? Nothing was recorded.",
                code="attestation_mismatch",
                keys=bad[:100],
            )
        byte_count = sum(o.size for o in deleted)
        if dry_run:
            return AttestationCheck(lic.id, len(deleted), byte_count)
        listing = [{"key": o.key, "size": o.size, "sha256": o.sha256} for o in deleted]
        row = DestructionAttestation(
            license_id=lic.id,
            team_id=lic.team_id,
            submitted_by_id=actor.user_id,
            token_id=actor.token_id,
            method=method,
            host=host,
            dest=dest,
            objects=listing,
            object_count=len(deleted),
            byte_count=byte_count,
            complete=bool(complete),
            reason=reason,
            client_addr=(actor.client_addr or "")[:64],
            created_at=now,
        )
        session.add(row)
        settles = lic.attested_at is None
        if settles:
            lic.attested_at = now
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.LICENSE_ATTEST,
            "license",
            lic.id,
            {
                "attestation_id": row.id,
                "team_id": lic.team_id,
                "dataset_id": lic.dataset_id,
                "method": method,
                "host": host,
                "object_count": len(deleted),
                "byte_count": byte_count,
                # The listing itself is kept with the attestation; the chain holds its digest.
                "objects_sha256": hashlib.sha256(
                    json.dumps(listing, sort_keys=True, ensure_ascii=False).encode()
                ).hexdigest(),
                "complete": bool(complete),
                "reason": reason,
                "settles": settles,
            },
        )
    return row


def attestations_of(session: Session, actor: Actor, lic: License) -> list[DestructionAttestation]:
    """The attestations submitted for a licence the actor may see, newest first."""
    policy.require(actor, "licence.view", lic)
    return list(
        session.scalars(
            select(DestructionAttestation)
            .where(DestructionAttestation.license_id == lic.id)
            .order_by(DestructionAttestation.id.desc())
        )
    )


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class AttestationRow:
    license: License
    state: str  # outstanding, attested, partial
    days_overdue: int | None
    latest: DestructionAttestation | None

    def as_dict(self) -> dict[str, Any]:
        lic, a = self.license, self.latest
        return {
            "license_id": lic.id,
            "team": lic.team.code,
            "dataset": lic.dataset.slug,
            "institution": lic.dataset.institution.code,
            "status": lic.status.value,
            "ended_at": lic.ended_at.isoformat() if lic.ended_at else None,
            "due_at": lic.attestation_due_at.isoformat() if lic.attestation_due_at else None,
            "state": self.state,
            "days_overdue": self.days_overdue,
            "attested_at": lic.attested_at.isoformat() if lic.attested_at else None,
            "method": a.method if a else None,
            "host": a.host if a else None,
            "objects": a.object_count if a else None,
            "bytes": a.byte_count if a else None,
            "reason": a.reason if a else None,
        }


ATTESTATION_CSV = [
    "license_id",
    "team",
    "dataset",
    "institution",
    "status",
    "ended_at",
    "due_at",
    "state",
    "days_overdue",
    "attested_at",
    "method",
    "host",
    "objects",
    "bytes",
    "reason",
]
STATES = ("outstanding", "attested", "partial")


def attestation_report(
    session: Session,
    actor: Actor,
    *,
    state: str | None = None,
    team: str | None = None,
    dataset: str | None = None,
    now: datetime | None = None,
) -> list[AttestationRow]:
    """Every licence that owes or owed an attestation and the actor may see (auditors and
    admins: all; provider staff: their datasets'; a team: its own), most overdue first."""
    from catalog.models.teams import Team
    from catalog.services.licensing import visible_licenses_query

    now = now or utcnow()
    policy.require(actor, "licence.view")
    if state is not None and state not in STATES:
        raise InvalidInput(
            f"state: one of {', '.join(STATES)}.",
            code="invalid_input",
            errors={"state": ["Unknown state."]},
        )
    q = visible_licenses_query(actor).where(License.attestation_due_at.is_not(None))
    if team:
        q = q.where(License.team_id.in_(select(Team.id).where(Team.code == team)))
    if dataset:
        q = q.where(License.dataset_id.in_(select(Dataset.id).where(Dataset.slug == dataset)))
    lics = list(
        session.scalars(
            q.order_by(License.attestation_due_at, License.id).options(
                selectinload(License.team),
                selectinload(License.dataset).selectinload(Dataset.institution),
            )
        )
    )
    latest = _latest(session, [lic.id for lic in lics])
    rows = []
    for lic in lics:
        a = latest.get(lic.id)
        if lic.attested_at is None:
            st = "outstanding"
        else:
            st = "attested" if a is None or a.complete else "partial"
        if state and st != state:
            continue
        rows.append(AttestationRow(lic, st, days_overdue(lic, now), a))
    rows.sort(key=lambda r: (r.state != "outstanding", -(r.days_overdue or 0), r.license.id))
    return rows


def _latest(session: Session, ids: Iterable[int]) -> dict[int, DestructionAttestation]:
    out: dict[int, DestructionAttestation] = {}
    ids = list(ids)
    for start in range(0, len(ids), 500):
        for a in session.scalars(
            select(DestructionAttestation)
            .where(DestructionAttestation.license_id.in_(ids[start : start + 500]))
            .order_by(DestructionAttestation.id)
        ):
            # The first attestation settles the duty; a later one replaces it in the report
            # only if it is complete where the first was partial.
            held = out.get(a.license_id)
            if held is None or (a.complete and not held.complete):
                out[a.license_id] = a
    return out
