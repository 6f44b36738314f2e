"""The log in the database (SQLite and PostgreSQL): appending, verifying, checkpoints, the
signing key, export, the operator CLI and the JSON API."""

from __future__ import annotations

import json
import os
import stat

import pytest
from sqlalchemy import func, select, text

from auditchain import canonical_json, event_hash, verify_export
from catalog.db import get_session, transaction
from catalog.models.audit import AuditCheckpoint, AuditEvent
from catalog.services import audit_review
from catalog.services.audit import record_event
from catalog.services.context import Actor


@pytest.fixture
def keyed_app(demo_app, tmp_path):
    demo_app.config["AUDIT_KEY"] = str(tmp_path / "keys" / "audit_ed25519.pem")
    return demo_app


def test_events_hash_what_the_database_gives_back(keyed_app):
    with keyed_app.app_context():
        s = get_session()
        with transaction(s):
            record_event(
                s,
                Actor.system("test"),
                "test:odd_values",
                "test",
                1,
                {
                    "tuple": (1, 2),
                    3: "int key",
                    "float": 2.5,
                    "whole": 4.0,
                    "ko": "감사 기록",
                    "nested": {"b": [None, True, {"z": -1}]},
                    "emoji": "😀",
                },
            )
        s.close()
        ev = s.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        assert ev.data["tuple"] == [1, 2] and ev.data["3"] == "int key" and ev.data["whole"] == 4
        result = audit_review.verify_chain(s)
        assert result.ok, result.as_dict()
        with pytest.raises((ValueError, TypeError)):
            record_event(s, Actor.system("test"), "test:bad", "test", 1, {"n": float("nan")})
        with pytest.raises(ValueError):
            record_event(s, Actor.system("test"), "test:bad", "test", 1, {"n": 2**60})
        with pytest.raises(ValueError):
            record_event(s, Actor.system("test"), "x" * 65, "test", 1)
        s.rollback()


def test_checkpoint_is_idempotent_and_the_key_stays_private(keyed_app):
    runner = keyed_app.test_cli_runner()
    key_path = keyed_app.config["AUDIT_KEY"]
    res = runner.invoke(args=["audit", "checkpoint"])
    assert res.exit_code == 0, res.output
    cp = json.loads(res.stdout)
    assert cp["type"] == "checkpoint" and cp["seq"] > 0
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    res = runner.invoke(args=["audit", "checkpoint"])  # head unchanged: nothing new
    assert res.exit_code == 0 and res.stdout == "" and "already signed" in res.stderr
    with keyed_app.app_context():
        s = get_session()
        assert s.scalar(select(func.count()).select_from(AuditCheckpoint)) == 1
        with transaction(s):
            record_event(s, Actor.system("test"), "test:more", "test", 1)
    res = runner.invoke(args=["audit", "checkpoint"])
    assert res.exit_code == 0 and json.loads(res.stdout)["seq"] == cp["seq"] + 1
    res = runner.invoke(args=["audit", "public-key"])
    assert res.exit_code == 0 and res.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    with open(key_path) as fh:
        assert "PRIVATE KEY" in fh.read()
    with keyed_app.app_context():  # the private key never reaches the database
        s = get_session()
        for table in ("audit_checkpoints", "audit_events"):
            dump = " ".join(str(r) for r in s.execute(text(f"SELECT * FROM {table}")))
            assert "PRIVATE" not in dump


def test_cli_verify_export_and_offline_round_trip(keyed_app, tmp_path):
    runner = keyed_app.test_cli_runner()
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    res = runner.invoke(args=["audit", "verify"])
    assert res.exit_code == 0, res.output
    assert "events valid" in res.stdout and "1/1 checkpoints valid" in res.stdout
    out = tmp_path / "export.jsonl"
    res = runner.invoke(args=["audit", "export", "--out", str(out)])
    assert res.exit_code == 0 and "checkpoint(s)" in res.stderr
    pub = tmp_path / "pub.pem"
    pub.write_text(runner.invoke(args=["audit", "public-key"]).stdout)
    from click.testing import CliRunner

    from kdc.audit_cmd import verify_command

    res = CliRunner().invoke(verify_command, [str(out), "--public-key", str(pub)])
    assert res.exit_code == 0, res.output
    with keyed_app.app_context():
        total = get_session().scalar(select(func.count()).select_from(AuditEvent))
    # The export came after the CLI verify recorded itself: every event is in it.
    assert f"{total}/{total} events valid" in res.output
    # A partial export verifies on its own.
    part = tmp_path / "part.jsonl"
    assert (
        runner.invoke(args=["audit", "export", "--out", str(part), "--after", "10"]).exit_code == 0
    )
    result = verify_export(str(part))
    assert result.ok and result.valid_events == total - 10
    assert runner.invoke(args=["audit", "export", "--after", "-1"]).exit_code == 2


def test_tampering_in_the_database_is_found_and_checkpoint_refuses_to_sign(keyed_app):
    runner = keyed_app.test_cli_runner()
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    with keyed_app.app_context():
        s = get_session()
        with transaction(s):
            record_event(s, Actor.system("test"), "test:after_checkpoint", "test", 1)
        # The event after the newest checkpoint: the next checkpoint verifies from there.
        seq = s.scalar(select(func.max(AuditEvent.seq)))
        if keyed_app.config["KDC_BACKEND"] == "postgresql":
            s.execute(
                text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete")
            )
        else:  # someone with the database file can drop SQLite's trigger too
            s.execute(text("DROP TRIGGER audit_events_no_update"))
        s.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = :s"), {"s": seq})
        s.commit()
    res = runner.invoke(args=["audit", "verify", "--no-record"])
    assert res.exit_code == 1
    assert f"First problem: seq {seq}, kind edited" in res.stdout
    res = runner.invoke(args=["audit", "checkpoint"])
    assert res.exit_code == 1 and "Refusing to sign" in res.stderr


def test_trigger_refuses_update_delete_and_truncate(pg_demo_app):
    from sqlalchemy.exc import DBAPIError

    with pg_demo_app.app_context():
        s = get_session()
        for stmt in (
            "UPDATE audit_events SET actor = 'x' WHERE seq = 1",
            "DELETE FROM audit_events WHERE seq = 1",
            "TRUNCATE audit_events CASCADE",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                s.execute(text(stmt))
            s.rollback()
        assert s.scalar(select(func.count()).select_from(AuditEvent)) > 0
        assert audit_review.verify_chain(s).ok


# --------------------------------------------------------------------------- the API


def test_api_events_pages_through_the_chain(keyed_app, token_for):
    client = keyed_app.test_client()
    auditor = token_for("auditor@kdc.test")
    seen, url = [], "/api/v1/audit/events?limit=25"
    while url:
        resp = client.get(url, headers=auditor)
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        seen += body["items"]
        url = body["next"]
    assert [e["seq"] for e in seen] == list(range(1, len(seen) + 1))
    assert all(event_hash(e) == e["hash"] for e in seen)
    assert client.get("/api/v1/audit/events?limit=0", headers=auditor).status_code == 422
    assert client.get("/api/v1/audit/events?after=x", headers=auditor).status_code == 422
    assert client.get("/api/v1/audit/events?colour=1", headers=auditor).status_code == 422


def test_api_who_may_read(keyed_app, token_for):
    client = keyed_app.test_client()
    for path in (
        "/api/v1/audit/events",
        "/api/v1/audit/verify",
        "/api/v1/audit/checkpoints",
        "/api/v1/audit/export",
    ):
        assert client.get(path).status_code == 401
        resp = client.get(path, headers=token_for("naver-lead@kdc.test"))
        assert resp.status_code == 403 and resp.mimetype == "application/problem+json"
        assert client.get(path, headers=token_for("admin@kdc.test")).status_code == 200
    # A token that lacks audit:read is refused even for an auditor.
    resp = client.get(
        "/api/v1/audit/events", headers=token_for("auditor@kdc.test", ["catalog:read"])
    )
    assert resp.status_code == 403 and resp.get_json()["code"] == "insufficient_scope"


def test_api_verify_checkpoints_export_and_public_key(keyed_app, token_for, tmp_path):
    client = keyed_app.test_client()
    auditor = token_for("auditor@kdc.test")
    resp = client.get("/api/v1/audit/public-key")
    assert resp.status_code == 409 and resp.get_json()["code"] == "audit_key_missing"
    assert keyed_app.test_cli_runner().invoke(args=["audit", "checkpoint"]).exit_code == 0
    key = client.get("/api/v1/audit/public-key").get_json()
    assert key["algorithm"] == "Ed25519" and "BEGIN PUBLIC KEY" in key["public_key_pem"]
    body = client.get("/api/v1/audit/verify", headers=auditor).get_json()
    assert body["ok"] is True and body["problem"] is None
    assert body["valid_events"] == body["total_events"] and body["checkpoints_valid"] == 1
    with keyed_app.app_context():
        last = get_session().scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        assert last.action == "audit:verify" and last.actor == "auditor@kdc.test"
        assert last.seq == body["recorded_seq"] and last.data["via"] == "api"
    cps = client.get("/api/v1/audit/checkpoints", headers=auditor).get_json()["items"]
    assert len(cps) == 1 and cps[0]["key_id"] == key["key_id"]
    resp = client.get("/api/v1/audit/export", headers=auditor)
    assert resp.mimetype == "application/x-ndjson"
    path = tmp_path / "api-export.jsonl"
    path.write_bytes(resp.get_data())
    keyfile = tmp_path / "key.json"
    keyfile.write_text(json.dumps(key))  # the public-key document works as a key file
    from click.testing import CliRunner

    from kdc.audit_cmd import verify_command

    res = CliRunner().invoke(verify_command, [str(path), "--public-key", str(keyfile)])
    assert res.exit_code == 0, res.output


def test_canonical_json_follows_rfc_8785():
    # Numbers from RFC 8785 appendix B / ECMAScript, keys sorted by UTF-16 code units.
    assert canonical_json(
        [
            1e21,
            1e20,
            1.5e-7,
            0.000001,
            -0.0,
            333333333.3333333,
            5e-324,
            1.7976931348623157e308,
            9007199254740991,
        ]
    ) == (
        b"[1e+21,100000000000000000000,1.5e-7,0.000001,0,333333333.3333333,5e-324,"
        b"1.7976931348623157e+308,9007199254740991]"
    )
    assert canonical_json({"\u20ac": 1, "\r": 2, "\U0001f600": 3, "\ufb33": 4, "1": 5}) == (
        '{"\\r":2,"1":5,"\u20ac":1,"\U0001f600":3,"\ufb33":4}'.encode()
    )
    assert canonical_json({"a": '\u2028\x7f\x1f"\\'}) == b'{"a":"\xe2\x80\xa8\x7f\\u001f\\"\\\\"}'
    for bad in (float("inf"), 2**53, {1: 2}, b"bytes", "\ud800"):
        with pytest.raises((ValueError, TypeError)):
            canonical_json(bad)
