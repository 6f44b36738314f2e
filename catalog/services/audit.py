"""Appending to the tamper-evident audit chain.

``record_event`` is called by every service inside its own transaction, so the event
commits or rolls back with the change it records. Appenders lock the single chain-head
row; concurrent writers therefore produce one linear chain (the unique ``prev_hash`` is
the backstop).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import utcnow
from catalog.models.audit import AuditChainHead, AuditEvent
from catalog.services.context import Actor
from kdc.chain import GENESIS_HASH, event_hash

TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def event_as_dict(ev: AuditEvent) -> dict:
    """The exported (and hashed) form of an event."""
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
    action: str,
    subject_type: str,
    subject_id: object,
    data: dict | None = None,
) -> AuditEvent:
    """Append one event (``action`` is ``subject:verb``) to the chain in the caller's transaction."""
    head = lock_chain_head(session)
    now = utcnow()
    # Keep microsecond precision only: both databases store exactly that.
    now = now.replace(microsecond=now.microsecond)
    ev = AuditEvent(
        seq=head.seq + 1,
        created_at=now,
        actor_id=actor.user_id,
        actor_token_id=actor.token_id,
        actor=actor.label,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        data=data or {},
        client_addr=actor.client_addr or "",
        prev_hash=head.hash,
        hash="",
    )
    ev.hash = event_hash(event_as_dict(ev))
    session.add(ev)
    head.seq = ev.seq
    head.hash = ev.hash
    session.flush()
    return ev
