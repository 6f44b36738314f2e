"""Appending to the tamper-evident audit chain.

``record_event`` is called by every service inside its own transaction, so the event
commits or rolls back with the change it records. Appenders lock the single chain-head
row; concurrent writers therefore produce one linear chain (the unique ``prev_hash`` is
the backstop).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from auditchain import GENESIS_HASH, canonical_json, event_hash
from catalog.db import utcnow
from catalog.models.audit import AuditAction, AuditChainHead, AuditEvent
from catalog.services.context import Actor

TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# Column widths of AuditEvent: longer values would fail on PostgreSQL and be kept whole on
# SQLite, so the hashed value and the stored value could differ.
_WIDTHS = {"action": 64, "subject_type": 32, "subject_id": 64}
_INSERT_COLUMNS = (
    "seq",
    "created_at",
    "actor_id",
    "actor_token_id",
    "actor",
    "action",
    "subject_type",
    "subject_id",
    "data",
    "client_addr",
    "prev_hash",
    "hash",
)


# An event to record: (action, subject_type, subject_id, data).
AuditItem = tuple[AuditAction, str, object, dict[str, Any] | None]


def normalise_data(data: dict[str, Any] | None) -> dict[str, Any]:
    """``data`` exactly as the database will give it back, so that the hash computed now
    matches the one a verifier computes later: tuples become lists, keys strings, numbers
    their canonical form. Refuses what JSON cannot carry exactly (NaN, integers beyond
    ±(2^53-1), non-JSON types) with ``ValueError``/``TypeError``: a programming error."""
    if not data:
        return {}
    if not isinstance(data, dict):
        raise TypeError("audit event data must be a dict")
    plain = json.loads(json.dumps(data, allow_nan=False))
    normal: dict[str, Any] = json.loads(canonical_json(plain))
    return normal


def event_as_dict(ev: AuditEvent) -> dict[str, Any]:
    """The exported (and, but for ``hash``, hashed) form of an event."""
    return {
        "seq": ev.seq,
        "ts": ev.created_at.strftime(TS_FORMAT),
        "actor": ev.actor,
        "actor_id": ev.actor_id,
        "token_id": ev.actor_token_id,
        "action": ev.action,
        "subject_type": ev.subject_type,
        "subject_id": ev.subject_id,
        "data": ev.data,
        "client_addr": ev.client_addr,
        "prev_hash": ev.prev_hash,
        "hash": ev.hash,
    }


def lock_chain_head(session: Session) -> AuditChainHead:
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def record_event(
    session: Session,
    actor: Actor,
    action: AuditAction,
    subject_type: str,
    subject_id: object,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event (``action`` is ``subject:verb``) to the chain, in the unit of work
    of the change it records."""
    return record_events(session, actor, [(action, subject_type, subject_id, data)])[0]


def record_events(
    session: Session,
    actor: Actor,
    items: list[AuditItem],
) -> list[AuditEvent]:
    """Append several events by one actor, in the order given, with one lock of the chain
    head and one INSERT: each event is linked to the one before exactly as if they had been
    recorded one by one. ``items``: (action, subject_type, subject_id, data)."""
    if not items:
        return []
    drafts = []
    for action, subject_type, subject_id, data in items:
        # Services pass an ``AuditAction`` (the type checker holds them to it); the chain
        # itself records any ``subject:verb`` string, as older and synthetic events show.
        action_text = str(action)
        subject_text = str(subject_id)
        for name, value in (
            ("action", action_text),
            ("subject_type", subject_type),
            ("subject_id", subject_text),
        ):
            if not value or len(value) > _WIDTHS[name]:
                raise ValueError(
                    f"audit event {name} must be 1–{_WIDTHS[name]} characters: {value!r}"
                )
        drafts.append((action_text, subject_type, subject_text, normalise_data(data)))
    # Lock the head and read it in one round trip (plain columns: no stale ORM copy).
    row = session.execute(
        select(AuditChainHead.seq, AuditChainHead.hash)
        .where(AuditChainHead.id == 1)
        .with_for_update()
    ).one_or_none()
    if row is None:
        head = lock_chain_head(session)
        prev_seq, prev_hash = head.seq, head.hash
    else:
        prev_seq, prev_hash = row
    out = []
    for action_text, subject_type, subject_text, data in drafts:
        # Both databases store microseconds, which TS_FORMAT keeps exactly.
        ev = AuditEvent(
            seq=prev_seq + 1,
            created_at=utcnow(),
            actor_id=actor.user_id,
            actor_token_id=actor.token_id,
            actor=(actor.label or "system")[:254],
            action=action_text,
            subject_type=subject_type,
            subject_id=subject_text,
            data=data,
            client_addr=(actor.client_addr or "")[:64],
            prev_hash=prev_hash,
            hash="",
        )
        ev.hash = event_hash(event_as_dict(ev))
        prev_seq, prev_hash = ev.seq, ev.hash
        out.append(ev)
    rows = [{c: getattr(ev, c) for c in _INSERT_COLUMNS} for ev in out]
    events, heads = AuditEvent.__table__, AuditChainHead.__table__
    # SQLAlchemy types ``__table__`` as any FromClause; a mapped class's is a Table.
    assert isinstance(events, Table) and isinstance(heads, Table)
    move_head = update(heads).where(heads.c.id == 1)
    if session.get_bind().dialect.name == "postgresql":
        # One round trip for both writes: it is most of what an event costs a transaction.
        ins = insert(events).values(rows).returning(events.c.seq).cte("ins")
        session.execute(
            move_head.values(
                seq=select(func.max(ins.c.seq)).scalar_subquery(), hash=prev_hash
            ).add_cte(ins)
        )
    else:
        session.execute(insert(events).values(rows))
        session.execute(move_head.values(seq=prev_seq, hash=prev_hash))
    # The rows are written; the events are detached copies for the caller to read.
    return out
