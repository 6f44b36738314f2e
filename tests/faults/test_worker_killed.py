"""kill -9 of a gunicorn worker inside purchase approval and URL issuance.

gunicorn (2 sync workers) runs with fault points (``catalog/faults.py``): the test arms a
point, and the worker that reaches it inside the open transaction writes its pid and
sleeps; the test SIGKILLs it there. After gunicorn has replaced the worker, nothing of the killed unit of
work is left, the same request succeeds, and every purchase has matching ledger entries,
licences and audit events; the chain verifies.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from app import create_app
from catalog.db import get_session
from tests.conftest import _config, make_token
from tests.faults.conftest import assert_consistent, buy_and_accept, snapshot
from tests.live import GunicornServer
from tests.purchasing.conftest import make_dataset
from tests.storage.conftest import DATASET, MEMBER

POINTS = ["purchase.approve.charged", "purchase.approve.licensed", "access.issue.granted"]


@pytest.fixture(params=["postgresql", "sqlite"])
def crashable(request, templates, tmp_path):
    """gunicorn with fault points over a copy of the demo catalogue, and an app on the same
    database to set up and inspect state."""
    pg = request.getfixturevalue("pg") if request.param == "postgresql" else None
    url, storage, pg_name = templates(request.param, True).instantiate(tmp_path, pg)
    app = create_app(_config(url, storage, SECRET_KEY="live-test-secret"))
    faults = tmp_path / "faults"
    faults.mkdir()
    server = GunicornServer(
        url,
        f"file://{storage}",
        tmp_path / "instance",
        KDC_FAULT_DIR=str(faults),
    )
    server.app, server.faults = app, faults
    yield server
    server.stop()
    app.extensions["kdc_engine"].dispose()
    if pg_name:
        pg.drop(pg_name)


def _kill_at(server, point: str, send) -> None:
    """Arm ``point``, send a request in a thread, SIGKILL the worker that pauses there."""
    outcome: dict = {}
    (server.faults / f"{point}.armed").touch()

    def go():
        try:
            outcome["response"] = send()
        except httpx.HTTPError as exc:  # the worker died with the connection open
            outcome["error"] = exc

    marker: Path = server.faults / f"{point}.pid"
    thread = threading.Thread(target=go)
    thread.start()
    deadline = time.monotonic() + 60
    while not (marker.exists() and marker.read_text()):
        assert time.monotonic() < deadline, f"no worker reached {point}"
        assert thread.is_alive(), outcome
        time.sleep(0.02)
    pid = int(marker.read_text())
    assert pid in server.worker_pids()
    os.kill(pid, signal.SIGKILL)
    thread.join(60)
    assert "error" in outcome or outcome["response"].status_code >= 500, outcome
    server.wait_for_workers(exclude={pid})


@pytest.mark.slow
def test_killed_workers_lose_nothing_and_break_nothing(crashable):
    server, app = crashable, crashable.app
    with app.app_context():
        s = get_session()
        single = make_dataset(s, individual=50_000_000, joint=None)
        joint = make_dataset(s, individual=None, joint=200_000_000, min_teams=2)
    buy_and_accept(app, "naver", DATASET)  # the licence for the issuance
    tokens = {
        who: {"Authorization": f"Bearer {make_token(app, who)}"}
        for who in ("naver-lead@kdc.test", "skt-lead@kdc.test", "nikh@kdc.test", MEMBER)
    }
    server.start()
    http = httpx.Client(base_url=server.url, timeout=90)
    lead, other, provider = (
        tokens["naver-lead@kdc.test"],
        tokens["skt-lead@kdc.test"],
        tokens["nikh@kdc.test"],
    )
    r = http.post(
        "/api/v1/purchases",
        headers=lead,
        json={"dataset": single["slug"], "offer": single["individual"]},
    )
    assert r.status_code == 201, r.text
    first = r.json()["id"]
    r = http.post(
        "/api/v1/purchases", headers=other, json={"dataset": joint["slug"], "offer": joint["joint"]}
    )
    assert r.status_code == 201, r.text
    second = r.json()["id"]
    assert http.post(f"/api/v1/purchases/{second}/join", headers=lead, json={}).status_code == 200
    assert http.post(f"/api/v1/purchases/{second}/close", headers=other, json={}).status_code == 200

    steps = [
        ("purchase.approve.charged", f"/api/v1/purchases/{first}/approve", "post", provider),
        ("purchase.approve.licensed", f"/api/v1/purchases/{second}/approve", "post", provider),
        ("access.issue.granted", f"/api/v1/datasets/{DATASET}/manifest", "get", tokens[MEMBER]),
    ]
    for point, path, method, headers in steps:
        before = snapshot(app)

        def send(path=path, method=method, headers=headers):
            if method == "post":
                return http.post(path, headers=headers, json={})
            return http.get(path, headers=headers)

        _kill_at(server, point, send)
        assert snapshot(app) == before, point  # nothing of the killed unit of work
        assert_consistent(app)
        retry = send()  # the point pauses once: the replacement worker serves it
        assert retry.status_code == 200, (point, retry.text)
        after = snapshot(app)
        if method == "post":
            assert retry.json()["status"] == "approved"
            assert after["ledger"] == before["ledger"] + 1
        else:
            assert after["grants"] == before["grants"] + 1
    assert_consistent(app)
