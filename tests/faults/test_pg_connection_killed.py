"""A PostgreSQL connection killed in the middle of a joint approval (pg_terminate_backend):
all of the approval or none of it, and the next request succeeds by itself.

The test times the kill with a lock it holds: the approval blocks on it after writing part
of its work (the ledger charge; or the charge, the approval and its audit events), the
test terminates every connection of the app, then lets go.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from tests.conftest import PG_ADMIN_DSN, make_token
from tests.faults.conftest import assert_consistent, snapshot
from tests.purchasing.conftest import balance, make_dataset

PRICE = 300_000_000

# What the test holds, and so where the approval stops.
BLOCKERS = {
    # The approval has locked the purchase and the teams and written the ledger charge;
    # its first audit event waits for the chain head.
    "after the charge": "SELECT seq FROM audit_chain_head WHERE id = 1 FOR UPDATE",
    # Charged, approved, both audit events written; the first licence waits.
    "after the approval event": "LOCK TABLE licenses IN SHARE MODE",
}


def _dsn(app) -> str:
    name = app.config["DATABASE_URL"].rsplit("/", 1)[1]
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name


def _joint_pending_approval(app) -> int:
    client = app.test_client()
    from catalog.db import get_session

    with app.app_context():
        ds = make_dataset(get_session(), individual=None, joint=PRICE, min_teams=2)
    lead = {
        t: {"Authorization": f"Bearer {make_token(app, f'{t}-lead@kdc.test')}"}
        for t in ("naver", "skt")
    }
    r = client.post(
        "/api/v1/purchases",
        headers=lead["naver"],
        json={"dataset": ds["slug"], "offer": ds["joint"]},
    )
    assert r.status_code == 201, r.text
    pid = r.get_json()["id"]
    assert (
        client.post(f"/api/v1/purchases/{pid}/join", headers=lead["skt"], json={}).status_code
        == 200
    )
    assert (
        client.post(f"/api/v1/purchases/{pid}/close", headers=lead["naver"], json={}).status_code
        == 200
    )
    return pid


def _wait_for_blocked_backend(admin, dbname: str, holder_pid: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> %s "
            "AND wait_event_type = 'Lock'",
            (dbname, holder_pid),
        ).fetchone()
        if row:
            return row[0]
        time.sleep(0.02)
    raise AssertionError("the approval never reached the lock")


@pytest.mark.parametrize("where", list(BLOCKERS))
def test_killed_connection_mid_approval_leaves_all_or_nothing(pg_demo_app, where):
    app = pg_demo_app
    pid = _joint_pending_approval(app)
    provider = {"Authorization": f"Bearer {make_token(app, 'nikh@kdc.test')}"}
    before = snapshot(app)
    dsn = _dsn(app)
    dbname = dsn.rsplit("/", 1)[1]
    result: dict = {}

    def approve():
        r = app.test_client().post(f"/api/v1/purchases/{pid}/approve", headers=provider, json={})
        result["status"], result["body"] = r.status_code, r.get_json()
        result["retry_after"] = r.headers.get("Retry-After")

    with psycopg.connect(dsn) as holder, psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        holder.execute(BLOCKERS[where])
        holder_pid = holder.info.backend_pid
        worker = threading.Thread(target=approve)
        worker.start()
        _wait_for_blocked_backend(admin, dbname, holder_pid)
        # Kill every connection of the app: the approving one and the idle ones in its pool.
        killed = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> %s AND backend_type = 'client backend'",
            (dbname, holder_pid),
        ).fetchall()
        assert killed and all(ok for (ok,) in killed)
        holder.rollback()
        worker.join(30)
        assert not worker.is_alive()

    assert result["status"] == 503, result
    assert result["body"]["code"] == "database_unavailable"
    assert int(result["retry_after"]) > 0
    assert snapshot(app) == before  # none of it

    # The next request succeeds by itself (dead pooled connections are replaced).
    r = app.test_client().post(f"/api/v1/purchases/{pid}/approve", headers=provider, json={})
    assert r.status_code == 200, r.text
    assert r.get_json()["status"] == "approved"
    after = snapshot(app)
    assert after["ledger"] == before["ledger"] + 1 and after["licences"] == before["licences"] + 2
    for team in ("naver", "skt"):
        assert balance(app, team) == before["balances"][team] - PRICE // 2
    assert_consistent(app)
