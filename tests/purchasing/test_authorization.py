"""Who may do what to which purchase: the role × team × institution matrix.

Every refused attempt is a problem with a stable code, and changes nothing.
"""

from __future__ import annotations

import pytest

from tests.purchasing.conftest import audit_actions, balance


@pytest.fixture
def world(sqlite_api, sqlite_dataset_factory):
    api = sqlite_api
    ds = sqlite_dataset_factory(institution="NIKH")
    draft = api.buy("naver-member", ds).json["id"]  # naver's individual request (a draft)
    joint = api.buy("upstage-lead", ds, "joint").json["id"]
    assert api.act("skt-lead", joint, "join").status_code == 200
    return api, ds, draft, joint


READS = [
    # who, which, status
    ("naver-member", "draft", 200),
    ("naver-lead", "draft", 200),
    ("upstage-lead", "draft", 404),
    ("upstage-member", "draft", 404),
    ("nikh", "draft", 200),
    ("kbs", "draft", 404),
    ("auditor", "draft", 200),
    ("admin", "draft", 200),
    ("naver-member", "joint", 200),
    ("lgai-member", "joint", 200),
    ("nikh", "joint", 200),
    ("kbs", "joint", 404),
    ("auditor", "joint", 200),
]

ACTIONS = [
    # who, which, action, status, code
    ("upstage-lead", "draft", "cancel", 404, "not_found"),
    ("upstage-lead", "draft", "confirm", 404, "not_found"),
    ("upstage-lead", "draft", "join", 404, "not_found"),
    ("naver-lead", "draft", "join", 409, "not_joint"),
    ("naver-lead", "draft", "leave", 409, "not_joint"),
    ("naver-lead", "draft", "close", 409, "not_joint"),
    ("naver-member", "draft", "approve", 403, "insufficient_scope"),
    ("kbs", "draft", "approve", 403, "wrong_institution"),
    ("kbs", "draft", "reject", 403, "wrong_institution"),
    ("nikh", "draft", "cancel", 403, "insufficient_scope"),
    ("auditor", "draft", "cancel", 403, "insufficient_scope"),
    ("auditor", "draft", "approve", 403, "insufficient_scope"),
    ("naver-member", "draft", "confirm", 403, "lead_required"),
    ("nikh", "draft", "approve", 409, "confirmation_pending"),
    ("naver-lead", "joint", "close", 403, "not_opener"),
    ("skt-lead", "joint", "close", 403, "not_opener"),
    ("skt-lead", "joint", "cancel", 403, "not_opener"),
    ("upstage-member", "joint", "close", 403, "lead_required"),
    ("upstage-member", "joint", "cancel", 403, "lead_required"),
    ("upstage-member", "joint", "join", 409, "already_participant"),
    ("upstage-lead", "joint", "leave", 409, "opener_cannot_leave"),
    ("naver-lead", "joint", "leave", 409, "not_participant"),
    ("skt-member", "joint", "leave", 403, "lead_required"),
    ("naver-member", "joint", "confirm", 409, "not_participant"),
    ("nikh", "joint", "join", 403, "insufficient_scope"),
    ("admin", "joint", "join", 403, "team_role_required"),
    ("nikh", "joint", "approve", 409, "purchase_open"),
    ("nikh", "joint", "reject", 409, "purchase_open"),
    ("kbs", "joint", "approve", 403, "wrong_institution"),
    ("admin", "joint", "approve", 409, "purchase_open"),
    ("skt-lead", "joint", "approve", 403, "insufficient_scope"),
]


def test_reads(world):
    api, _ds, draft, joint = world
    ids = {"draft": draft, "joint": joint}
    for who, which, status in READS:
        r = api.get(who, f"/api/v1/purchases/{ids[which]}")
        assert r.status_code == status, (who, which, r.json)
    listed = {p["id"] for p in api.get("upstage-member", "/api/v1/purchases").json["items"]}
    assert draft not in listed and joint in listed
    listed = {p["id"] for p in api.get("kbs", "/api/v1/purchases").json["items"]}
    assert listed == set()
    listed = {p["id"] for p in api.get("auditor", "/api/v1/purchases").json["items"]}
    assert {draft, joint} <= listed


def test_refused_actions_have_stable_codes_and_change_nothing(world):
    api, _ds, draft, joint = world
    ids = {"draft": draft, "joint": joint}
    for who in {a[0] for a in ACTIONS}:
        api.headers(who)  # create the tokens (an audited event) before counting events
    events_before = audit_actions(api.app)
    balances = {t: balance(api.app, t) for t in ("naver", "upstage", "skt")}
    for who, which, action, status, code in ACTIONS:
        r = api.act(who, ids[which], action)
        assert (r.status_code, r.json.get("code")) == (status, code), (who, which, action, r.json)
        assert r.content_type == "application/problem+json"
    assert audit_actions(api.app) == events_before
    assert {t: balance(api.app, t) for t in balances} == balances
    assert api.get("admin", f"/api/v1/purchases/{draft}").json["status"] == "requested"
    assert api.get("admin", f"/api/v1/purchases/{joint}").json["status"] == "open"


def test_who_may_create_purchases(world):
    api, ds, _draft, _joint = world
    for who, status, code in [
        ("admin", 403, "team_role_required"),
        ("nikh", 403, "insufficient_scope"),
        ("auditor", 403, "insufficient_scope"),
        ("naver-lead", 409, "purchase_pending"),
    ]:
        r = api.buy(who, ds)
        assert (r.status_code, r.json["code"]) == (status, code), (who, r.json)
    read_only = api._token_for("lgai-lead@kdc.test", ["catalog:read"])
    r = api.client.post(
        "/api/v1/purchases",
        headers=read_only,
        json={"dataset": ds["slug"], "offer": ds["individual"]},
    )
    assert r.status_code == 403 and r.json["code"] == "insufficient_scope"
    r = api.client.post("/api/v1/purchases", json={"dataset": ds["slug"], "offer": 1})
    assert r.status_code == 401


def test_permitted_actors_succeed(world):
    api, _ds, draft, joint = world
    # The lead may withdraw a member's request; the opener's lead closes; the provider decides.
    assert api.act("naver-lead", draft, "cancel").json["status"] == "cancelled"
    assert api.act("upstage-lead", joint, "close").json["status"] == "pending_approval"
    assert api.act("admin", joint, "reject").json["status"] == "rejected"


def test_licences_and_team_money_visibility(world, sqlite_dataset_factory):
    api, _ds, _draft, _joint = world
    ds = sqlite_dataset_factory(institution="KBS")
    pid = api.buy("lgai-lead", ds).json["id"]
    assert api.act("kbs", pid, "approve").status_code == 200
    assert [x["team"] for x in api.get("lgai-member", "/api/v1/licenses").json["items"]] == ["lgai"]
    assert api.get("naver-member", "/api/v1/licenses").json["items"] == []
    assert api.get("kbs", "/api/v1/licenses").json["total"] == 1
    assert api.get("nikh", "/api/v1/licenses").json["total"] == 0
    assert api.get("auditor", "/api/v1/licenses").json["total"] == 1
    # Asking for another team's licences shows nothing of it.
    r = api.get("naver-member", "/api/v1/licenses", query_string={"team": "lgai"})
    assert r.json["items"] == []
    outsider = api.get("naver-member", "/api/v1/teams/lgai").json
    assert outsider["balance_krw"] is None and outsider["ledger"] is None
    assert outsider["holdings"] is None and outsider["money"] is None
    for who in ("lgai-member", "auditor", "admin"):
        team = api.get(who, "/api/v1/teams/lgai").json
        assert team["holdings"][0]["dataset"] == ds["slug"] and team["ledger"], who
    teams = api.get("lgai-member", "/api/v1/teams").json["items"]
    assert {t["code"]: t["balance_krw"] is not None for t in teams} == {
        "naver": False,
        "upstage": False,
        "skt": False,
        "ncai": False,
        "lgai": True,
    }
    r = api.post("auditor", "/api/v1/teams/lgai/grants", {"amount_krw": 1})
    assert r.status_code == 403
