"""Concurrent writers on PostgreSQL produce one linear, gap-free chain."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from catalog.db import get_session, transaction
from catalog.models.audit import AuditEvent
from catalog.services import audit_review
from catalog.services.audit import record_event
from catalog.services.context import Actor
from catalog.services.ledger import grant_budget

WRITERS = 6
EACH = 12


def test_concurrent_writers_make_one_linear_chain(pg_demo_app):
    app = pg_demo_app
    engine = app.extensions["kdc_engine"]
    make = sessionmaker(bind=engine, expire_on_commit=False)
    with app.app_context():
        before = get_session().scalar(select(func.count()).select_from(AuditEvent))
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        session = make()
        actor = Actor.system(f"writer-{n}")
        try:
            start.wait()
            for i in range(EACH):
                if i % 3 == 0:  # a real money path: team lock, ledger, audit event
                    grant_budget(
                        session,
                        actor,
                        ["naver", "skt", "lgai"][n % 3],
                        1000,
                        memo=f"concurrency {n}/{i}",
                    )
                else:
                    with transaction(session):
                        record_event(
                            session,
                            actor,
                            "test:concurrent",
                            "writer",
                            n,
                            {"i": i, "note": "동시 기록"},
                        )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            session.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with app.app_context():
        s = get_session()
        seqs = list(s.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
        assert seqs == list(range(1, before + WRITERS * EACH + 1))
        result = audit_review.verify_chain(s)
        assert result.ok and result.valid_events == len(seqs), result.as_dict()
        per_writer = dict(
            s.execute(
                select(AuditEvent.actor, func.count())
                .where(AuditEvent.actor.like("writer-%"))
                .group_by(AuditEvent.actor)
            ).all()
        )
        assert per_writer == {f"writer-{n}": EACH for n in range(WRITERS)}


def test_unique_prev_hash_refuses_a_fork(pg_demo_app):
    """The backstop: even a writer that skips the head lock cannot branch the chain."""
    with pg_demo_app.app_context():
        s = get_session()
        last = s.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        fork = AuditEvent(
            seq=last.seq + 1,
            created_at=last.created_at,
            actor="mallory",
            action="test:fork",
            subject_type="x",
            subject_id="1",
            data={},
            client_addr="",
            prev_hash=last.prev_hash,
            hash="f" * 64,
        )
        s.add(fork)
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()
