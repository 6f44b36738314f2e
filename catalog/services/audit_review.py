"""The auditor's tools over the chain in the database: verify, export, checkpoint, key.

* ``verify_chain`` streams events in batches of ``BATCH`` (memory stays flat) through the
  same verifier the offline client uses (``auditchain``).
* ``export_lines`` writes JSON Lines: a header, every checkpoint, then the events — each
  line in canonical JSON, so the offline verifier needs nothing else.
* ``create_checkpoint`` signs the chain head with an Ed25519 key kept in a file outside the
  database (``AUDIT_KEY``; generated with mode 0600 on first use). Idempotent: no new
  checkpoint while the head is unchanged; safe when several hosts run it from cron.
* ``auto_checkpoint`` signs when one is due (none yet, ``AUDIT_CHECKPOINT_EVENTS`` events
  or ``AUDIT_CHECKPOINT_HOURS`` hours since the last): ``flask db upgrade`` and every
  ``tick`` call it, so a chain rewritten in the database never matches a signature.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auditchain import (
    EXPORT_FORMAT,
    GENESIS_HASH,
    SignatureCheck,
    VerifyResult,
    checkpoint_message,
    export_line,
    key_id_of,
    record_of,
    signature_checker,
    verify_records,
)
from catalog import policy
from catalog.db import end_read, transaction, utcnow
from catalog.errors import Conflict
from catalog.models.audit import AuditAction, AuditChainHead, AuditCheckpoint, AuditEvent
from catalog.services.audit import TS_FORMAT, record_event
from catalog.services.context import Actor

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

BATCH = 5000
ALGORITHM = "Ed25519"
log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the key


@dataclass(frozen=True)
class AuditKey:
    private: Ed25519PrivateKey
    path: str

    @property
    def public_raw(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_raw)

    @property
    def public_pem(self) -> str:
        from cryptography.hazmat.primitives import serialization

        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def info(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "algorithm": ALGORITHM,
            "public_key_pem": self.public_pem,
            "public_key_b64": base64.b64encode(self.public_raw).decode(),
        }

    def checker(self) -> SignatureCheck:
        return signature_checker({self.key_id: self.private.public_key()})

    def sign(self, seq: int, chain_hash: str, signed_at: str) -> str:
        msg = checkpoint_message(seq, chain_hash, signed_at, self.key_id)
        return base64.b64encode(self.private.sign(msg)).decode()


class AuditKeyMissing(Conflict):
    """The chain has no signing key yet: an operator creates it (409, as for the other keys)."""

    code = "audit_key_missing"


def load_key(path: str | os.PathLike[str], *, create: bool = False) -> AuditKey:
    """The signing key at ``path``; with ``create``, generate it (0600) when absent."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
    )

    path = Path(path)
    if not path.exists():
        if not create:
            raise AuditKeyMissing(
                "No audit signing key yet: run 'flask --app app audit checkpoint' once."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # O_EXCL: two processes creating the key at once must end up with one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_key(path)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return AuditKey(key, str(path))
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise Conflict(
            f"The audit key file {path} is not an unencrypted PEM private key.",
            code="audit_key_unreadable",
        ) from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise Conflict(
            f"The audit key file {path} does not hold an Ed25519 key.", code="audit_key_unreadable"
        )
    return AuditKey(loaded, str(path))


def try_load_key(path: str | os.PathLike[str]) -> AuditKey | None:
    try:
        return load_key(path)
    except (AuditKeyMissing, Conflict, OSError):
        return None


# --------------------------------------------------------------------------- reading


def chain_head(session: Session) -> tuple[int, str]:
    row = session.execute(
        select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == 1)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else (0, GENESIS_HASH)


def checkpoint_as_dict(cp: AuditCheckpoint) -> dict[str, Any]:
    return {
        "type": "checkpoint",
        "seq": cp.seq,
        "hash": cp.hash,
        "signed_at": cp.signed_at.strftime(TS_FORMAT),
        "key_id": cp.key_id,
        "signature": cp.signature,
    }


def list_checkpoints(
    session: Session, *, after: int = 0, upto: int | None = None, limit: int | None = None
) -> list[AuditCheckpoint]:
    q = select(AuditCheckpoint).where(AuditCheckpoint.seq > after).order_by(AuditCheckpoint.seq)
    if upto is not None:
        q = q.where(AuditCheckpoint.seq <= upto)
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q))


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1))


_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.created_at,
    AuditEvent.actor,
    AuditEvent.actor_id,
    AuditEvent.actor_token_id,
    AuditEvent.action,
    AuditEvent.subject_type,
    AuditEvent.subject_id,
    AuditEvent.data,
    AuditEvent.client_addr,
    AuditEvent.prev_hash,
    AuditEvent.hash,
)


def _row_dict(row: Row[*tuple[Any, ...]]) -> dict[str, Any]:
    # == strftime(TS_FORMAT) for UTC datetimes, at a fraction of the cost.
    return {
        "seq": row[0],
        "ts": row[1].isoformat(timespec="microseconds")[:26] + "Z",
        "actor": row[2],
        "actor_id": row[3],
        "token_id": row[4],
        "action": row[5],
        "subject_type": row[6],
        "subject_id": row[7],
        "data": row[8],
        "client_addr": row[9],
        "prev_hash": row[10],
        "hash": row[11],
    }


def iter_events(
    session: Session, *, after: int = 0, upto: int | None = None, batch: int = BATCH
) -> Iterator[dict[str, Any]]:
    """Events with ``after < seq <= upto`` in order, fetched ``batch`` at a time by key.

    Ends the session's transaction after each batch (callers hold no ORM state across it).
    """
    last = after
    while True:
        q = select(*_COLUMNS).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        if upto is not None:
            q = q.where(AuditEvent.seq <= upto)
        rows = session.execute(q).all()
        # Events up to the head are immutable, so each batch may be its own short read:
        # on SQLite (BEGIN IMMEDIATE) a long export must not hold the write lock.
        end_read(session)
        for row in rows:
            yield _row_dict(row)
        if len(rows) < batch:
            return
        last = rows[-1][0]


def list_events(
    session: Session, actor: Actor, *, after: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    policy.require(actor, "audit.read")
    return list(islice(iter_events(session, after=after, batch=limit), limit))


# --------------------------------------------------------------------------- verifying


def verify_chain(
    session: Session,
    *,
    key: AuditKey | None = None,
    extra_checkpoints: Iterable[dict[str, Any]] = (),
    after: int = 0,
    upto: int | None = None,
    checkpoints: list[dict[str, Any]] | None = None,
) -> VerifyResult:
    """Verify the chain in the database (from ``after``, anchored on a checkpoint there)
    against its stored checkpoints (or just ``checkpoints``) and any ``extra_checkpoints``
    kept elsewhere."""
    from auditchain import merge_checkpoints

    head_seq, _ = chain_head(session)
    upto = head_seq if upto is None else min(upto, head_seq)
    if checkpoints is None:
        checkpoints = [checkpoint_as_dict(cp) for cp in list_checkpoints(session)]
    cps = merge_checkpoints(checkpoints, extra_checkpoints)
    result = verify_records(
        (record_of(e) for e in iter_events(session, after=after, upto=upto)),
        checkpoints=cps,
        check_signature=key.checker() if key else None,
        after=after,
        claimed_head=upto,
    )
    if key is None and cps:
        result.notes.insert(0, "no signing key here: checkpoints compared by hash only")
    return result


def summary_of(result: VerifyResult) -> dict[str, Any]:
    """What an ``audit:verify`` event records of a verification."""
    return {
        "ok": result.ok,
        "valid_events": result.valid_events,
        "total_events": result.total_events,
        "last_seq": result.last_seq,
        "last_hash": result.last_hash,
        "checkpoints_valid": result.checkpoints_valid,
        "checkpoints_checked": result.checkpoints_checked,
        "problem": result.problem.as_dict() if result.problem else None,
    }


def verify_and_record(
    session: Session,
    actor: Actor,
    *,
    key: AuditKey | None,
    via: str,
    extra_checkpoints: list[dict[str, Any]] | None = None,
) -> VerifyResult:
    """A person's verification: run it, then append an ``audit:verify`` event saying who
    verified what with which outcome (the console shows the last one)."""
    policy.require(actor, "audit.read")
    result = verify_chain(session, key=key, extra_checkpoints=extra_checkpoints or ())
    end_read(session)  # before the write transaction
    with transaction(session):
        data = summary_of(result)
        data["via"] = via
        record_event(
            session, actor, AuditAction.AUDIT_VERIFY, "audit_chain", result.last_seq or 0, data
        )
    return result


def last_verification(session: Session) -> AuditEvent | None:
    return session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == AuditAction.AUDIT_VERIFY)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )


def chain_status(session: Session, actor: Actor, key: AuditKey | None) -> dict[str, Any]:
    policy.require(actor, "audit.read")
    seq, head_hash = chain_head(session)
    cp = latest_checkpoint(session)
    ver = last_verification(session)
    return {
        "head_seq": seq,
        "head_hash": head_hash,
        "events": session.scalar(select(func.count()).select_from(AuditEvent)),
        "checkpoints": session.scalar(select(func.count()).select_from(AuditCheckpoint)),
        "last_checkpoint": checkpoint_as_dict(cp) if cp else None,
        "unsigned_events": seq - (cp.seq if cp else 0),
        "last_verification": None
        if ver is None
        else {"seq": ver.seq, "at": ver.created_at, "by": ver.actor, **ver.data},
        "key_id": key.key_id if key else None,
    }


# --------------------------------------------------------------------------- exporting


def export_header(
    session: Session, *, after: int, head_seq: int, head_hash: str, key: AuditKey | None
) -> dict[str, Any]:
    header = {
        "type": "header",
        "format": EXPORT_FORMAT,
        "version": 1,
        "after": after,
        "head_seq": head_seq,
        "head_hash": head_hash,
        "exported_at": utcnow().strftime(TS_FORMAT),
        "public_keys": [],
    }
    if key is not None:
        info = key.info()
        header["public_keys"] = [
            {
                "key_id": info["key_id"],
                "algorithm": ALGORITHM,
                "public_key_pem": info["public_key_pem"],
            }
        ]
    return header


def export_lines(
    session: Session, *, after: int = 0, key: AuditKey | None = None, events: bool = True
) -> Iterator[str]:
    """The export as lines (each ending in a newline): header, checkpoints, events.

    The snapshot is the head read first: every event up to it is committed and immutable.
    """
    head_seq, head_hash = chain_head(session)
    after = max(0, min(after, head_seq))
    cps = [checkpoint_as_dict(cp) for cp in list_checkpoints(session, upto=head_seq)]
    end_read(session)  # hold no transaction while the caller writes lines out
    yield (
        export_line(
            export_header(session, after=after, head_seq=head_seq, head_hash=head_hash, key=key)
        )
        + "\n"
    )
    for cp in cps:
        yield export_line(cp) + "\n"
    if events:
        for ev in iter_events(session, after=after, upto=head_seq):
            ev["type"] = "event"
            yield export_line(ev) + "\n"


# --------------------------------------------------------------------------- checkpoints


@dataclass
class CheckpointOutcome:
    checkpoint: AuditCheckpoint | None
    created: bool
    reason: str


def create_checkpoint(session: Session, key: AuditKey) -> CheckpointOutcome:
    """Sign the chain head, unless it is already signed (idempotent, cron-safe).

    The events since the newest checkpoint this key can vouch for are verified first:
    signing a broken chain would launder the damage, so it is refused (``chain_broken``).
    """
    head_seq, head_hash = chain_head(session)
    if head_seq == 0:
        return CheckpointOutcome(None, False, "the audit chain is empty; nothing to sign")
    latest = latest_checkpoint(session)
    if latest is not None and latest.seq == head_seq:
        return CheckpointOutcome(latest, False, f"the head (event {head_seq}) is already signed")
    check = key.checker()
    base = latest if latest is not None and check(checkpoint_as_dict(latest)) is None else None
    result = verify_chain(
        session,
        key=key,
        after=base.seq if base else 0,
        upto=head_seq,
        checkpoints=[checkpoint_as_dict(base)] if base else None,
    )
    if not result.ok:
        p = result.problem
        assert p is not None  # a failed verification names its problem
        raise Conflict(
            f"Refusing to sign: the chain fails verification at event {p.seq} "
            f"({p.kind}: {p.detail}).",
            code="chain_broken",
        )
    end_read(session)
    signed_at = utcnow()
    ts = signed_at.strftime(TS_FORMAT)
    cp = AuditCheckpoint(
        seq=head_seq,
        hash=head_hash,
        signed_at=signed_at,
        key_id=key.key_id,
        signature=key.sign(head_seq, head_hash, ts),
    )
    try:
        with transaction(session):
            session.add(cp)
    except IntegrityError:
        # Another host signed the same head a moment ago: that checkpoint stands.
        other = session.scalar(select(AuditCheckpoint).where(AuditCheckpoint.seq == head_seq))
        return CheckpointOutcome(other, False, f"the head (event {head_seq}) is already signed")
    return CheckpointOutcome(cp, True, f"signed event {head_seq}")


@dataclass
class AutoCheckpoint:
    """What an automatic checkpoint did: signed, nothing due, or skipped (and why)."""

    outcome: CheckpointOutcome | None
    note: str
    key_missing: bool = False

    @property
    def created(self) -> bool:
        return self.outcome is not None and self.outcome.created


def checkpoint_due(
    session: Session, *, every_events: int, every_hours: int, now: datetime | None = None
) -> str | None:
    """Why the head should be signed now (``None``: not yet). Due when no checkpoint exists
    yet, or ``every_events`` events or ``every_hours`` hours have passed since the last."""
    head_seq, _hash = chain_head(session)
    if head_seq == 0:
        return None
    latest = latest_checkpoint(session)
    if latest is None:
        return "no checkpoint yet"
    if latest.seq >= head_seq:
        return None
    if head_seq - latest.seq >= every_events:
        return f"{head_seq - latest.seq} events since the last checkpoint"
    now = now or utcnow()
    if now - latest.signed_at >= timedelta(hours=every_hours):
        return f"more than {every_hours} h since the last checkpoint"
    return None


_told_missing: set[str] = set()


def auto_checkpoint(
    session: Session,
    key_path: str | os.PathLike[str],
    *,
    every_events: int,
    every_hours: int,
    create_key: bool = False,
    now: datetime | None = None,
) -> AutoCheckpoint:
    """Sign the chain head when a checkpoint is due (``checkpoint_due``).

    Without a signing key this does nothing (the key is created only with ``create_key``,
    as ``flask db upgrade`` does on first start); the log says so once per process. A chain
    that fails verification raises ``Conflict`` (``chain_broken``), as
    ``create_checkpoint`` does.
    """
    try:
        key = load_key(key_path, create=create_key)
    except AuditKeyMissing:
        note = (
            f"automatic checkpoints are off: no signing key at {key_path} "
            "(run 'flask --app app audit checkpoint' once to create it)"
        )
        if str(key_path) not in _told_missing:
            _told_missing.add(str(key_path))
            log.warning("%s", note)
        return AutoCheckpoint(None, note, key_missing=True)
    due = checkpoint_due(session, every_events=every_events, every_hours=every_hours, now=now)
    end_read(session)
    if due is None:
        head_seq, _hash = chain_head(session)
        end_read(session)
        return AutoCheckpoint(None, f"not due (head at event {head_seq})")
    outcome = create_checkpoint(session, key)
    return AutoCheckpoint(outcome, f"{outcome.reason} ({due})")
