"""Purchase flows through the API, on SQLite and PostgreSQL: states, money, licences, audit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from catalog.db import get_session, utcnow
from catalog.models.ledger import LedgerEntry
from tests.purchasing.conftest import audit_actions, balance, shrink_budget


def ledger_sum(app) -> int:
    with app.app_context():
        return int(get_session().scalar(select(func.coalesce(func.sum(LedgerEntry.amount_krw), 0))))


def test_individual_purchase_approved_charges_team_and_issues_frozen_licence(
    demo_app, api, dataset_factory
):
    ds = dataset_factory(individual=123_456_789, term_months=12)
    before = balance(demo_app, "naver")
    r = api.buy("naver-lead", ds)
    assert r.status_code == 201, r.json
    p = r.json
    assert (p["mode"], p["status"], p["dataset"], p["offer"], p["price_krw"]) == (
        "individual",
        "requested",
        ds["slug"],
        ds["individual"],
        123_456_789,
    )
    assert p["participants"] == [
        {
            "team": "naver",
            "share_krw": 123_456_789,
            "join_order": 1,
            "joined_at": p["participants"][0]["joined_at"],
            "confirmed": True,
        }
    ]
    assert balance(demo_app, "naver") == before  # nothing moves before approval

    r = api.act("nikh", p["id"], "approve", {"note": "ok"})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "approved" and r.json["shares_final"] is True
    assert r.json["participants"][0]["share_krw"] == 123_456_789
    assert balance(demo_app, "naver") == before - 123_456_789
    assert ledger_sum(demo_app) == 0

    lic = api.get("naver-member", "/api/v1/licenses").json["items"][0]
    assert (lic["team"], lic["dataset"], lic["status"], lic["purchase"]) == (
        "naver",
        ds["slug"],
        "active",
        p["id"],
    )
    assert lic["terms"]["price_krw"] == 123_456_789 and lic["terms"]["term_months"] == 12
    assert lic["terms"]["uses"] == ["ai_training"]
    assert lic["valid_until"][:4] == str(int(lic["valid_from"][:4]) + 1)

    team = api.get("naver-member", "/api/v1/teams/naver").json
    assert team["balance_krw"] == team["money"]["balance_krw"] == before - 123_456_789
    assert team["ledger"][0]["amount_krw"] == -123_456_789
    assert team["ledger"][0]["purchase_id"] == p["id"]
    assert team["holdings"] == [
        {
            "license_id": lic["id"],
            "dataset": ds["slug"],
            "mode": "individual",
            "purchase_id": p["id"],
            "price_krw": 123_456_789,
            "paid_krw": 123_456_789,
            "status": "active",
            "valid_until": lic["valid_until"],
        }
    ]

    actions = audit_actions(demo_app, "purchase", p["id"])
    assert actions == ["purchase:request", "purchase:approve"]
    assert "ledger:purchase" in audit_actions(demo_app, "ledger_transaction")
    assert "license:issue" in audit_actions(demo_app, "license", lic["id"])

    # Buying it again while licensed is refused; deciding again too.
    r = api.buy("naver-member", ds)
    assert r.status_code == 409 and r.json["code"] == "already_licensed"
    r = api.act("nikh", p["id"], "approve")
    assert r.status_code == 409 and r.json["code"] == "already_decided"
    r = api.act("naver-lead", p["id"], "cancel")
    assert r.status_code == 409 and r.json["code"] == "already_decided"


def test_member_request_waits_for_lead_confirmation(demo_app, api, dataset_factory):
    ds = dataset_factory()
    p = api.buy("skt-member", ds).json
    assert p["participants"][0]["confirmed"] is False
    assert "confirm" not in p["actions"] and "cancel" in p["actions"]
    r = api.act("nikh", p["id"], "approve")
    assert r.status_code == 409 and r.json["code"] == "confirmation_pending"
    assert r.json["teams"] == ["skt"]
    r = api.act("skt-member", p["id"], "confirm")
    assert r.status_code == 403 and r.json["code"] == "lead_required"
    r = api.act("skt-lead", p["id"], "confirm")
    assert r.status_code == 200 and r.json["participants"][0]["confirmed"] is True
    r = api.act("skt-lead", p["id"], "confirm")
    assert r.status_code == 409 and r.json["code"] == "already_confirmed"
    assert api.act("nikh", p["id"], "approve").status_code == 200
    assert audit_actions(demo_app, "purchase", p["id"]) == [
        "purchase:request",
        "purchase:confirm",
        "purchase:approve",
    ]


def test_reject_and_cancel(demo_app, api, dataset_factory):
    ds = dataset_factory()
    before = balance(demo_app, "lgai")
    p = api.buy("lgai-lead", ds).json
    r = api.act("nikh", p["id"], "reject", {"note": "licence scope unclear"})
    assert r.json["status"] == "rejected" and r.json["decision_note"] == "licence scope unclear"
    assert r.json["participants"][0]["share_krw"] is None
    # After a rejection the team may ask again; a member may cancel their own request.
    p2 = api.buy("lgai-member", ds).json
    r = api.act("lgai-member", p2["id"], "cancel")
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    r = api.act("nikh", p2["id"], "approve")
    assert r.status_code == 409 and r.json["code"] == "already_decided"
    assert balance(demo_app, "lgai") == before
    assert audit_actions(demo_app, "purchase", p["id"]) == ["purchase:request", "purchase:reject"]
    assert audit_actions(demo_app, "purchase", p2["id"]) == ["purchase:request", "purchase:cancel"]


def test_joint_purchase_shares_preview_and_atomic_charge(demo_app, api, dataset_factory):
    ds = dataset_factory(joint=1_000_000_001, max_teams=4, min_teams=2, survives=True)
    before = {t: balance(demo_app, t) for t in ("naver", "upstage", "skt", "ncai", "lgai")}
    p = api.buy("upstage-lead", ds, "joint").json
    assert p["status"] == "open" and p["opener_team"] == "upstage"
    assert p["participants"][0]["share_krw"] == 1_000_000_001
    pid = p["id"]
    r = api.act("naver-lead", pid, "join")
    assert [x["share_krw"] for x in r.json["participants"]] == [500_000_001, 500_000_000]
    r = api.act("skt-lead", pid, "join")
    assert [(x["team"], x["share_krw"]) for x in r.json["participants"]] == [
        ("upstage", 333_333_334),
        ("naver", 333_333_334),
        ("skt", 333_333_333),
    ]
    # Everyone sees the board, with the live preview.
    board = api.get("lgai-member", f"/api/v1/purchases/{pid}").json
    assert sum(x["share_krw"] for x in board["participants"]) == 1_000_000_001
    assert "join" in board["actions"]
    assert api.act("naver-lead", pid, "join").json["code"] == "already_participant"
    assert api.act("skt-lead", pid, "leave").json["status"] == "open"
    assert api.act("skt-lead", pid, "leave").json["code"] == "not_participant"
    assert api.act("upstage-lead", pid, "leave").json["code"] == "opener_cannot_leave"
    assert api.act("skt-lead", pid, "join").status_code == 200  # rejoins at the end
    assert api.act("ncai-lead", pid, "join").status_code == 200
    r = api.act("lgai-lead", pid, "join")
    assert r.status_code == 409 and r.json["code"] == "purchase_full"
    r = api.act("nikh", pid, "approve")
    assert r.status_code == 409 and r.json["code"] == "purchase_open"
    r = api.act("naver-lead", pid, "close")
    assert r.status_code == 403 and r.json["code"] == "not_opener"

    # ncai cannot pay its share: the approval charges nobody and names ncai.
    shrink_budget(demo_app, "ncai", 100)
    r = api.act("upstage-lead", pid, "close")
    assert r.json["status"] == "pending_approval"
    assert api.act("lgai-lead", pid, "join").json["code"] == "purchase_closed"
    assert api.act("naver-lead", pid, "leave").json["code"] == "purchase_closed"
    r = api.act("nikh", pid, "approve")
    assert r.status_code == 409 and r.json["code"] == "budget_exceeded"
    assert r.json["team"] == "ncai" and "ncai" in r.json["detail"]
    assert balance(demo_app, "naver") == before["naver"]
    assert balance(demo_app, "upstage") == before["upstage"]
    assert api.get("upstage-lead", f"/api/v1/purchases/{pid}").json["status"] == "pending_approval"

    shrink_budget(demo_app, "ncai", before["ncai"])
    r = api.act("nikh", pid, "approve")
    assert r.status_code == 200, r.json
    shares = {x["team"]: x["share_krw"] for x in r.json["participants"]}
    assert shares == {
        "upstage": 250_000_001,
        "naver": 250_000_000,
        "skt": 250_000_000,
        "ncai": 250_000_000,
    }
    for team, share in shares.items():
        assert balance(demo_app, team) == before[team] - share
    assert ledger_sum(demo_app) == 0
    lics = api.get("admin", "/api/v1/licenses", query_string={"dataset": ds["slug"]}).json
    assert sorted(x["team"] for x in lics["items"]) == ["naver", "ncai", "skt", "upstage"]
    holdings = api.get("ncai-member", "/api/v1/teams/ncai").json["holdings"]
    assert holdings[0]["mode"] == "joint" and holdings[0]["paid_krw"] == 250_000_000
    assert api.act("nikh", pid, "approve").json["code"] == "already_decided"
    assert audit_actions(demo_app, "purchase", pid) == [
        "purchase:open",
        "purchase:join",
        "purchase:join",
        "purchase:leave",
        "purchase:join",
        "purchase:join",
        "purchase:close",
        "purchase:approve",
    ]


def test_close_with_too_few_teams_fails_and_unconfirmed_teams_are_dropped(
    demo_app, api, dataset_factory
):
    ds = dataset_factory(min_teams=2)
    pid = api.buy("naver-lead", ds, "joint").json["id"]
    api.act("upstage-member", pid, "join")  # never confirmed by upstage's lead
    r = api.act("naver-lead", pid, "close")
    assert r.json["status"] == "failed"
    assert [x["team"] for x in r.json["participants"]] == ["naver"]
    assert api.act("nikh", pid, "approve").json["code"] == "already_decided"
    assert api.act("naver-lead", pid, "cancel").json["code"] == "already_decided"


def test_tick_closes_past_deadline_and_expires_licences(demo_app, api, dataset_factory):
    from catalog.services import duties
    from catalog.services.context import Actor

    ds = dataset_factory(min_teams=2, term_months=1)
    pid = api.buy("naver-lead", ds, "joint").json["id"]
    api.act("skt-lead", pid, "join")
    other = dataset_factory(min_teams=3)
    pid2 = api.buy("lgai-lead", other, "joint").json["id"]
    system = Actor.system("test")
    with demo_app.app_context():
        later = utcnow() + timedelta(days=31)
        first = duties.tick(get_session(), system, now=later)
        again = duties.tick(get_session(), system, now=later)
    assert sorted(first.closed) == [(pid, "pending_approval"), (pid2, "failed")]
    assert again.closed == [] and again.expired_licenses == []
    assert api.act("nikh", pid, "approve").status_code == 200
    lic = api.get("naver-lead", "/api/v1/licenses").json["items"][0]
    with demo_app.app_context():
        much_later = utcnow() + timedelta(days=62)
        result = duties.tick(get_session(), system, now=much_later)
        assert duties.tick(get_session(), system, now=much_later).expired_licenses == []
    assert lic["id"] in result.expired_licenses and len(result.expired_licenses) == 2
    lic = api.get("naver-lead", "/api/v1/licenses").json["items"][0]
    assert lic["status"] == "expired"
    assert "license:expire" in audit_actions(demo_app, "license", lic["id"])
    # With the licence expired, the team may buy the dataset again.
    assert api.buy("naver-lead", ds).status_code == 201


def test_joining_after_deadline_is_refused_before_tick_runs(demo_app, api, dataset_factory):
    from catalog.services import purchasing
    from catalog.services.context import Actor
    from catalog.services.users import find_user

    ds = dataset_factory()
    pid = api.buy("naver-lead", ds, "joint").json["id"]
    with demo_app.app_context():
        session = get_session()
        actor = Actor.for_user(find_user(session, "skt-lead@kdc.test"))
        import pytest

        from catalog.errors import Conflict

        with pytest.raises(Conflict) as exc:
            purchasing.join_purchase(session, actor, pid, now=utcnow() + timedelta(days=31))
        assert exc.value.code == "purchase_closed"


def test_usable_license_reports_why_not(demo_app, api, dataset_factory):
    """The access broker's check at the moment of use names why a licence does not count."""
    import pytest

    from catalog.errors import Forbidden
    from catalog.models.datasets import Dataset
    from catalog.services import access, licensing
    from catalog.services.context import Actor
    from catalog.services.users import find_user

    ds = dataset_factory(term_months=1)
    pid = api.buy("ncai-lead", ds).json["id"]
    api.act("nikh", pid, "approve")
    lic_id = api.get("ncai-lead", "/api/v1/licenses").json["items"][0]["id"]
    with demo_app.app_context():
        session = get_session()
        dataset = session.get(Dataset, ds["id"])
        ncai = Actor.for_user(find_user(session, "ncai-lead@kdc.test"))
        naver = Actor.for_user(find_user(session, "naver-lead@kdc.test"))
        assert access.check_license(session, ncai, dataset).id == lic_id
        with pytest.raises(Forbidden) as exc:
            access.check_license(session, ncai, dataset, now=utcnow() + timedelta(days=40))
        assert exc.value.code == "license_expired"
        with pytest.raises(Forbidden) as exc:
            access.check_license(session, naver, dataset)
        assert exc.value.code == "license_required"
        licensing.suspend_license(session, Actor.system("test"), lic_id, "audit")
        with pytest.raises(Forbidden) as exc:
            access.check_license(session, ncai, dataset)
        assert exc.value.code == "license_suspended"
    r = api.post("admin", f"/api/v1/licenses/{lic_id}/reinstate", {"reason": "cleared"})
    assert r.status_code == 200 and r.json["status"] == "active"
    r = api.post("admin", f"/api/v1/licenses/{lic_id}/revoke", {})
    assert r.json["status"] == "revoked"
    r = api.post("admin", f"/api/v1/licenses/{lic_id}/revoke", {})
    assert r.status_code == 409 and r.json["code"] == "license_not_live"
    r = api.post("ncai-lead", f"/api/v1/licenses/{lic_id}/revoke", {})
    assert r.status_code == 403
    assert audit_actions(demo_app, "license", lic_id) == [
        "license:issue",
        "license:suspend",
        "license:reinstate",
        "license:revoke",
    ]


def test_elimination_revokes_unless_terms_survive(demo_app, api, dataset_factory):
    keep = dataset_factory(individual=10_000, survives=True)
    lose = dataset_factory(individual=20_000, survives=False)
    pending = dataset_factory()
    for ds in (keep, lose):
        pid = api.buy("ncai-lead", ds).json["id"]
        assert api.act("nikh", pid, "approve").status_code == 200
    req = api.buy("ncai-member", pending).json["id"]
    joint = api.buy("naver-lead", pending, "joint").json["id"]
    assert api.act("ncai-lead", joint, "join").json["code"] == "purchase_pending"
    assert api.act("ncai-lead", req, "cancel").status_code == 200
    assert api.act("ncai-lead", joint, "join").status_code == 200
    before = balance(demo_app, "ncai")

    r = api.post("admin", "/api/v1/teams/ncai/eliminate", {"phase": 1})
    assert r.status_code == 200, r.json
    assert [x["dataset"] for x in r.json["revoked"]] == [lose["slug"]]
    assert [x["dataset"] for x in r.json["kept"]] == [keep["slug"]]
    assert r.json["withdrawn"] == [{"purchase": joint, "outcome": "left"}]
    lics = {
        x["dataset"]: x["status"] for x in api.get("ncai-lead", "/api/v1/licenses").json["items"]
    }
    assert lics == {keep["slug"]: "active", lose["slug"]: "revoked"}
    team = api.get("ncai-lead", "/api/v1/teams/ncai").json
    assert team["status"] == "eliminated" and team["eliminated_phase"] == 1
    assert team["balance_krw"] == before and len(team["ledger"]) >= 3  # history stays
    assert [
        x["team"] for x in api.get("naver-lead", f"/api/v1/purchases/{joint}").json["participants"]
    ] == ["naver"]
    r = api.buy("ncai-lead", dataset_factory())
    assert r.status_code == 403 and r.json["code"] == "team_eliminated"
    assert api.act("ncai-lead", joint, "join").json["code"] == "team_eliminated"
    r = api.post("admin", "/api/v1/teams/ncai/eliminate", {"phase": 2})
    assert r.status_code == 409 and r.json["code"] == "already_eliminated"
    r = api.post("admin", "/api/v1/teams/lgai/eliminate", {"phase": 9})
    assert r.status_code == 422 and r.json["code"] == "unknown_phase"
    assert "team:eliminate" in audit_actions(demo_app, "team", "ncai")
    assert ledger_sum(demo_app) == 0


def test_grants_and_clawbacks_through_the_api(demo_app, api):
    before = balance(demo_app, "skt")
    r = api.post("admin", "/api/v1/teams/skt/grants", {"amount_krw": 5_000, "memo": "top-up"})
    assert r.status_code == 201 and r.json["balance_krw"] == before + 5_000
    assert r.json["kind"] == "grant"
    r = api.post("admin", "/api/v1/teams/skt/grants", {"amount_krw": -(before + 5_001)})
    assert r.status_code == 409 and r.json["code"] == "budget_exceeded"
    r = api.post("admin", "/api/v1/teams/skt/grants", {"amount_krw": -(before + 5_000)})
    assert r.status_code == 201 and r.json["balance_krw"] == 0 and r.json["kind"] == "clawback"
    for bad in (
        {"amount_krw": 0},
        {"amount_krw": 1.5},
        {"amount_krw": "7"},
        {},
        {"amount_krw": 10**16},
        {"amount_krw": 5, "x": 1},
    ):
        r = api.post("admin", "/api/v1/teams/skt/grants", bad)
        assert r.status_code == 422, (bad, r.json)
        assert r.content_type == "application/problem+json"
    assert api.post("skt-lead", "/api/v1/teams/skt/grants", {"amount_krw": 5}).status_code == 403
    assert api.post("admin", "/api/v1/teams/nope/grants", {"amount_krw": 5}).status_code == 404
    assert ledger_sum(demo_app) == 0
    assert audit_actions(demo_app, "ledger_transaction")[-2:] == ["ledger:grant", "ledger:clawback"]


def test_bad_purchase_input_is_a_clear_problem(demo_app, api, dataset_factory):
    ds = dataset_factory(joint=None)
    cases = [
        ({"dataset": ds["slug"]}, 422, "invalid_input"),
        ({"dataset": ds["slug"], "offer": "x"}, 422, "invalid_input"),
        ({"dataset": ds["slug"], "offer": ds["individual"], "mode": "joint"}, 422, "mode_mismatch"),
        ({"dataset": ds["slug"], "offer": ds["individual"], "mode": "group"}, 422, "invalid_input"),
        ({"dataset": "nope", "offer": ds["individual"]}, 404, "not_found"),
        ({"dataset": ds["slug"], "offer": 999_999}, 404, "offer_not_found"),
        ({"dataset": ds["slug"], "offer": ds["individual"], "team": "upstage"}, 403, "wrong_team"),
    ]
    for body, status, code in cases:
        r = api.post("naver-lead", "/api/v1/purchases", body)
        assert (r.status_code, r.json["code"]) == (status, code), (body, r.json)
        assert r.content_type == "application/problem+json"
    r = api.post("naver-lead", "/api/v1/purchases", None)
    assert r.status_code == 422
    assert api.act("naver-lead", 999_999, "join").status_code == 404
    r = api.get("naver-lead", "/api/v1/purchases", query_string={"status": "weird"})
    assert r.status_code == 422 and "status" in r.json["errors"]
    r = api.act("nikh", 1, "approve", {"note": "x" * 1001})
    assert r.status_code == 422


def test_purchase_list_filters_and_paging(demo_app, api, dataset_factory):
    ds = [dataset_factory() for _ in range(3)]
    ids = [api.buy("naver-lead", d).json["id"] for d in ds]
    api.buy("upstage-lead", ds[0], "joint")
    r = api.get("naver-member", "/api/v1/purchases", query_string={"limit": 2})
    body = r.json
    assert body["total"] == 4 and body["pages"] == 2 and len(body["items"]) == 2
    assert body["next"] and "cursor=" in body["next"]
    r = api.get(
        "naver-member",
        "/api/v1/purchases",
        query_string={"status": "requested", "dataset": ds[1]["slug"]},
    )
    assert [p["id"] for p in r.json["items"]] == [ids[1]]
    r = api.get("admin", "/api/v1/purchases", query_string={"team": "upstage"})
    assert [p["opener_team"] for p in r.json["items"]] == ["upstage"]
    r = api.get("nikh", "/api/v1/purchases", query_string={"mode": "individual"})
    assert r.json["total"] == 3
