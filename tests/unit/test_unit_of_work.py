"""The unit of work: nested transactions commit once, at the outermost level; a failed inner
step rolls the whole of it back and runs no after-commit step (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalog.db import (
    TransactionAborted,
    after_commit,
    after_rollback,
    end_read,
    transaction,
)
from catalog.errors import NotFound
from catalog.models.audit import AuditEvent
from catalog.models.ledger import LedgerTransaction
from catalog.services import ledger
from catalog.services.context import Actor

SYSTEM = Actor.system("test")


def _counts(session) -> tuple[int, int]:
    end_read(session)
    return (
        session.scalar(select(func.count()).select_from(LedgerTransaction)),
        session.scalar(select(func.count()).select_from(AuditEvent)),
    )


def test_nested_services_commit_once_with_their_hooks(demo_session):
    session = demo_session
    before = _counts(session)
    ran: list[str] = []
    with transaction(session):
        ledger.grant_budget(session, SYSTEM, "naver", 1_000)
        after_commit(session, lambda: ran.append("outer"))
        with transaction(session):
            ledger.grant_budget(session, SYSTEM, "skt", 2_000)
            after_commit(session, lambda: ran.append("inner"))
        # Nothing is committed while the outer level is open: the hooks have not run.
        assert ran == []
    assert ran == ["outer", "inner"]
    txns, events = _counts(session)
    assert (txns - before[0], events - before[1]) == (2, 2)


def test_a_failed_inner_step_rolls_back_the_outer_transaction(demo_session):
    session = demo_session
    before = _counts(session)
    ran: list[str] = []
    with pytest.raises(NotFound):
        with transaction(session):
            ledger.grant_budget(session, SYSTEM, "naver", 1_000)
            after_commit(session, lambda: ran.append("commit"))
            after_rollback(session, lambda: ran.append("rollback"))
            ledger.grant_budget(session, SYSTEM, "no-such-team", 1_000)
    assert ran == ["rollback"]
    assert _counts(session) == before


def test_a_swallowed_inner_failure_still_aborts_the_whole(demo_session):
    """A caller that catches an inner step's error cannot commit half of the unit of work."""
    session = demo_session
    before = _counts(session)
    ran: list[str] = []
    with pytest.raises(TransactionAborted):
        with transaction(session):
            ledger.grant_budget(session, SYSTEM, "naver", 1_000)
            after_commit(session, lambda: ran.append("commit"))
            try:
                ledger.grant_budget(session, SYSTEM, "no-such-team", 1_000)
            except NotFound:
                pass
    assert ran == []
    assert _counts(session) == before


def test_a_failing_after_commit_step_does_not_undo_the_commit(demo_session, caplog):
    session = demo_session
    before = _counts(session)
    ran: list[str] = []

    def broken() -> None:
        raise OSError("object store gone")

    with transaction(session):
        ledger.grant_budget(session, SYSTEM, "naver", 1_000)
        after_commit(session, broken)
        after_commit(session, lambda: ran.append("next"))
    assert ran == ["next"]
    assert "after-commit step" in caplog.text
    assert _counts(session)[0] == before[0] + 1


def test_hooks_and_end_read_need_the_right_state(demo_session):
    with pytest.raises(RuntimeError):
        after_commit(demo_session, lambda: None)
    with pytest.raises(RuntimeError), transaction(demo_session):
        end_read(demo_session)
