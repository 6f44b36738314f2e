"""``Idempotency-Key``: a retry returns the first response and changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from catalog.db import get_session
from catalog.models.ledger import LedgerTransaction
from catalog.models.purchases import Purchase
from tests.purchasing.conftest import audit_actions, balance


def count(app, model) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(model))


def test_retry_of_a_purchase_request_replays_the_first_response(demo_app, api, dataset_factory):
    ds = dataset_factory()
    body = {"dataset": ds["slug"], "offer": ds["individual"], "mode": "individual"}
    first = api.post("naver-lead", "/api/v1/purchases", body, key="req-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = api.post("naver-lead", "/api/v1/purchases", dict(reversed(body.items())), key="req-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert count(demo_app, Purchase) == 1
    assert audit_actions(demo_app, "purchase") == ["purchase:request"]

    other = {**body, "mode": None}
    r = api.post("naver-lead", "/api/v1/purchases", other, key="req-1")
    assert r.status_code == 422 and r.json["code"] == "idempotency_key_reused"
    r = api.act("naver-lead", first.json["id"], "cancel")  # no key: runs
    assert r.status_code == 200
    r = api.post("naver-lead", f"/api/v1/purchases/{first.json['id']}/cancel", {}, key="req-1")
    assert r.status_code == 422 and r.json["code"] == "idempotency_key_reused"
    # Keys belong to their user: the same key from someone else is a new request.
    r = api.post("upstage-lead", "/api/v1/purchases", body, key="req-1")
    assert r.status_code == 201 and r.json["id"] != first.json["id"]


def test_approval_retry_charges_once(demo_app, api, dataset_factory):
    ds = dataset_factory(joint=1_000_000)
    pid = api.buy("naver-lead", ds, "joint").json["id"]
    api.act("skt-lead", pid, "join")
    api.act("naver-lead", pid, "close")
    before = balance(demo_app, "naver"), balance(demo_app, "skt")
    txns = count(demo_app, LedgerTransaction)
    first = api.post("nikh", f"/api/v1/purchases/{pid}/approve", {"note": "ok"}, key="appr")
    assert first.status_code == 200 and first.json["status"] == "approved"
    for _ in range(3):
        again = api.post("nikh", f"/api/v1/purchases/{pid}/approve", {"note": "ok"}, key="appr")
        assert again.status_code == 200 and again.json == first.json
        assert again.headers["Idempotent-Replayed"] == "true"
    # Without the key the retry is an ordinary (refused) second approval.
    assert api.act("nikh", pid, "approve", {"note": "ok"}).json["code"] == "already_decided"
    assert (balance(demo_app, "naver"), balance(demo_app, "skt")) == (
        before[0] - 500_000,
        before[1] - 500_000,
    )
    assert count(demo_app, LedgerTransaction) == txns + 1


def test_a_failed_request_is_not_stored_and_can_be_retried(demo_app, api, dataset_factory):
    from tests.purchasing.conftest import shrink_budget

    ds = dataset_factory(individual=50_000)
    pid = api.buy("lgai-lead", ds).json["id"]
    full = balance(demo_app, "lgai")
    shrink_budget(demo_app, "lgai", 10)
    r = api.post("nikh", f"/api/v1/purchases/{pid}/approve", {}, key="k")
    assert r.status_code == 409 and r.json["code"] == "budget_exceeded" and r.json["team"] == "lgai"
    shrink_budget(demo_app, "lgai", full)
    r = api.post("nikh", f"/api/v1/purchases/{pid}/approve", {}, key="k")
    assert r.status_code == 200 and r.json["status"] == "approved"
    assert "Idempotent-Replayed" not in r.headers


def test_budget_grants_are_idempotent(demo_app, api):
    before = balance(demo_app, "upstage")
    for _ in range(2):
        r = api.post("admin", "/api/v1/teams/upstage/grants", {"amount_krw": 777}, key="g-1")
        assert r.status_code == 201 and r.json["balance_krw"] == before + 777
    assert balance(demo_app, "upstage") == before + 777
    r = api.post("admin", "/api/v1/teams/upstage/grants", {"amount_krw": 778}, key="g-1")
    assert r.status_code == 422 and r.json["code"] == "idempotency_key_reused"


def test_malformed_keys_are_refused(demo_app, api, dataset_factory):
    ds = dataset_factory()
    body = {"dataset": ds["slug"], "offer": ds["individual"]}
    for key in ("x" * 256, " padded ", ""):
        r = api.post("naver-lead", "/api/v1/purchases", body, key=key)
        assert r.status_code == 422 and r.json["code"] == "invalid_idempotency_key", key
    assert count(demo_app, Purchase) == 0
