"""The audit log cannot be changed in place on SQLite either, checkpoints are made without
anyone remembering to (first start, then ``tick``), so a chain rewritten behind the
database's back no longer matches a signature, and auditors download the public key from
their console."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from auditchain import event_hash
from catalog.db import get_session, transaction, utcnow
from catalog.models.audit import AuditChainHead, AuditCheckpoint, AuditEvent
from catalog.services import audit_review, duties
from catalog.services.audit import event_as_dict, record_event
from catalog.services.context import Actor
from tests.audit.conftest import login


@pytest.fixture
def keyed(sqlite_demo_app, tmp_path):
    sqlite_demo_app.config.update(
        AUDIT_KEY=str(tmp_path / "keys" / "audit_ed25519.pem"),
        AUDIT_CHECKPOINT_EVENTS=3,
        AUDIT_CHECKPOINT_HOURS=6,
    )
    return sqlite_demo_app


def _checkpoints(app) -> list[int]:
    with app.app_context():
        return list(
            get_session().scalars(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq))
        )


def _append(app, n: int) -> None:
    with app.app_context():
        s = get_session()
        for i in range(n):
            with transaction(s):
                record_event(s, Actor.system("test"), "test:event", "test", i)


def test_sqlite_refuses_update_and_delete_of_audit_events(sqlite_demo_app):
    with sqlite_demo_app.app_context():
        s = get_session()
        for stmt in (
            "UPDATE audit_events SET actor = 'mallory' WHERE seq = 1",
            "DELETE FROM audit_events WHERE seq = 1",
            "DELETE FROM audit_events",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                s.execute(text(stmt))
            s.rollback()
        assert s.scalar(select(AuditEvent.actor).where(AuditEvent.seq == 1)) == "demo"
        assert audit_review.verify_chain(s).ok
        # Appending still works.
        with transaction(s):
            record_event(s, Actor.system("test"), "test:append", "test", 1)
        assert audit_review.verify_chain(s).ok


def test_checkpoints_come_by_themselves_from_first_start_and_tick(keyed, tmp_path):
    app = keyed
    runner = app.test_cli_runner()
    first = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        head = audit_review.chain_head(get_session())[0]
    assert _checkpoints(app) == [head]  # the demo's events, signed on first start
    assert "audit checkpoint: signed event" in first.stderr
    # Fewer events than the threshold, within the hours: nothing to sign yet.
    _append(app, 2)
    res = runner.invoke(args=["tick"])
    assert res.exit_code == 0 and "audit checkpoint: not due" in res.stderr
    assert _checkpoints(app) == [head]
    # The threshold reached: the next tick signs, and prints the checkpoint line.
    _append(app, 1)
    kept = tmp_path / "kept-elsewhere.jsonl"
    res = runner.invoke(args=["tick", "--checkpoint-log", str(kept)])
    assert res.exit_code == 0 and "signed event" in res.stderr
    assert _checkpoints(app) == [head, head + 3]
    assert f'"seq":{head + 3}' in kept.read_text() and '"type":"checkpoint"' in kept.read_text()
    verified = runner.invoke(args=["audit", "verify", "--no-record", "--checkpoint", str(kept)])
    assert verified.exit_code == 0, verified.output
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert _checkpoints(app) == [head, head + 3]  # idempotent
    # One event, but the hours have passed.
    _append(app, 1)
    with app.app_context():
        s = get_session()
        kw = {"audit_key": app.config["AUDIT_KEY"], "checkpoint_events": 3, "checkpoint_hours": 6}
        assert (
            duties.tick(
                s, Actor.system("cli"), utcnow() + timedelta(hours=1), **kw
            ).checkpoint.created
            is False
        )
        later = duties.tick(s, Actor.system("cli"), utcnow() + timedelta(hours=7), **kw)
        assert later.checkpoint.created
    assert _checkpoints(app) == [head, head + 3, head + 4]


def test_without_a_key_tick_makes_no_checkpoint_and_says_so(keyed):
    app = keyed
    res = app.test_cli_runner().invoke(args=["tick"])
    assert res.exit_code == 0
    assert "automatic checkpoints are off: no signing key" in res.stderr
    assert _checkpoints(app) == []
    assert not Path(app.config["AUDIT_KEY"]).exists()  # tick does not create the key


def _rewrite_chain(app, seq: int) -> None:
    """What someone with the database file could do: drop the triggers, change an event,
    and recompute every hash from there so that the chain is consistent again."""
    with app.app_context():
        s = get_session()
        s.execute(text("DROP TRIGGER audit_events_no_update"))
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.seq >= seq).order_by(AuditEvent.seq)
        ).all()
        prev = s.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq - 1))
        for ev in events:
            if ev.seq == seq:
                ev.data = {**ev.data, "rewritten": True}
            ev.prev_hash = prev
            ev.hash = event_hash(event_as_dict(ev))
            prev = ev.hash
            s.flush()
        s.execute(AuditChainHead.__table__.update().values(hash=prev))
        s.commit()


def test_a_rewritten_chain_no_longer_matches_the_automatic_checkpoint(keyed):
    app = keyed
    _append(app, 3)
    res = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert res.exit_code == 0
    assert _checkpoints(app)
    with app.app_context():
        target = get_session().scalar(select(func.max(AuditEvent.seq))) - 1
    _rewrite_chain(app, target)
    with app.app_context():
        s = get_session()
        # Link by link, the rewritten chain is whole again …
        assert audit_review.verify_chain(s, checkpoints=[]).ok
        # … but it no longer matches what was signed.
        key = audit_review.try_load_key(app.config["AUDIT_KEY"])
        result = audit_review.verify_chain(s, key=key)
        assert not result.ok, result.as_dict()
    res = app.test_cli_runner().invoke(args=["audit", "verify", "--no-record"])
    assert res.exit_code == 1


def test_auditors_download_the_public_key_from_the_console(sqlite_demo_app, tmp_path):
    app = sqlite_demo_app
    app.config["AUDIT_KEY"] = str(tmp_path / "audit_ed25519.pem")
    auditor = login(app.test_client(), "auditor@kdc.test")
    assert auditor.get("/auditor/chain/public-key.pem").status_code == 404  # no key yet
    assert app.test_cli_runner().invoke(args=["audit", "checkpoint"]).exit_code == 0
    page = auditor.get("/auditor/chain").get_data(as_text=True)
    assert "/auditor/chain/public-key.pem" in page
    resp = auditor.get("/auditor/chain/public-key.pem")
    assert resp.status_code == 200
    pem = resp.get_data(as_text=True)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and "PRIVATE" not in pem
    api_key = app.test_client().get("/api/v1/audit/public-key").json
    assert pem == api_key["public_key_pem"]
    assert f"kdc-audit-{api_key['key_id']}.pem" in resp.headers["Content-Disposition"]
    for who in ("naver-lead@kdc.test", "nikh@kdc.test"):
        other = login(app.test_client(), who)
        assert other.get("/auditor/chain/public-key.pem").status_code == 403
    assert app.test_client().get("/auditor/chain/public-key.pem").status_code == 302
