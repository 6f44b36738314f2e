"""Drift the rights policy fixed, on SQLite and PostgreSQL (``demo_app``).

- The provider console showed every participating team's balance, which
  ``GET /api/v1/teams/{code}`` hides from providers.
- A 409 ``budget_exceeded`` answered to a provider named the team's balance.
- An eliminated opener kept control of a joint purchase; the remaining teams had none.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from catalog.db import get_session
from tests.purchasing.conftest import Api, audit_actions, balance, make_dataset, shrink_budget
from tests.web.conftest import login, text_of


@pytest.fixture
def api(demo_app, token_for):
    api = Api(demo_app.test_client(), token_for)
    api.app = demo_app
    return api


@pytest.fixture
def dataset(demo_app):
    with demo_app.app_context():
        return make_dataset(
            get_session(), institution="NIKH", individual=100_000_000, joint=300_000_000
        )


def _page(app, email: str, path: str):
    client = app.test_client()
    login(client, email, lang="en")
    return client.get(path)


def _won(amount: int) -> str:
    return f"₩{amount:,}"


def test_the_provider_console_shows_no_team_balance(demo_app, api, dataset):
    pid = api.buy("naver-lead", dataset, "joint").json["id"]
    assert api.act("upstage-lead", pid, "join").status_code == 200
    assert api.act("naver-lead", pid, "close").json["status"] == "pending_approval"
    req = api.buy("skt-member", dataset).json["id"]  # waits for skt's lead
    balances = {t: balance(demo_app, t) for t in ("naver", "upstage", "skt")}

    resp = _page(demo_app, "nikh@kdc.test", "/provider/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    queue = text_of(resp)
    # The queue lists both purchases with shares and who confirmed …
    assert f"#{pid}" in queue and _won(150_000_000) in queue
    assert f"#{req}" in queue and _won(100_000_000) in queue
    assert "Confirmed by a lead" in queue and "waiting for a lead" in queue
    # … and nothing of any team's money.
    for team, amount in balances.items():
        assert _won(amount) not in html, team
        assert f"{amount:,}" not in html, team
    assert "Balance" not in queue and "Can pay" not in queue and "not enough budget" not in queue
    assert not re.search(r'class="[^"]*\bbalance\b', html)
    # The purchase pages a provider opens from the queue show no balance either.
    for purchase in (pid, req):
        page = _page(demo_app, "nikh@kdc.test", f"/purchases/{purchase}").get_data(as_text=True)
        assert all(f"{amount:,}" not in page for amount in balances.values())
    # Neither does the API.
    for team in balances:
        assert api.get("nikh", f"/api/v1/teams/{team}").json["balance_krw"] is None

    # The programme office may see money, and sees it in the same console.
    office = text_of(_page(demo_app, "admin@kdc.test", "/provider/"))
    assert "Can pay" in office and _won(balances["skt"]) in office


def test_budget_exceeded_names_the_balance_only_to_those_who_may_see_it(demo_app, api, dataset):
    pid = api.buy("lgai-lead", dataset).json["id"]
    shrink_budget(demo_app, "lgai", 12_345)
    api.headers("nikh"), api.headers("admin")  # their tokens' creation is audited: first
    before = audit_actions(demo_app)

    refused = api.act("nikh", pid, "approve")
    assert refused.status_code == 409 and refused.json["code"] == "budget_exceeded"
    body = refused.json
    assert body["team"] == "lgai" and body["needed_krw"] == 100_000_000
    assert body["teams"] == ["lgai"]
    assert "balance_krw" not in body
    assert "12,345" not in body["detail"] and "12345" not in refused.get_data(as_text=True)

    office = api.act("admin", pid, "approve").json
    assert office["code"] == "budget_exceeded" and office["balance_krw"] == 12_345
    assert "₩12,345" in office["detail"]
    assert audit_actions(demo_app) == before  # nothing changed either time

    # The team's own lead is entitled to the figure (the provider only to the need).
    from catalog.models.teams import Team
    from catalog.services.context import Actor
    from catalog.services.ledger import budget_exceeded
    from catalog.services.users import find_user

    with demo_app.app_context():
        session = get_session()
        lgai = session.scalar(select(Team).where(Team.code == "lgai"))
        for email, sees in [
            ("lgai-lead@kdc.test", True),
            ("lgai-member@kdc.test", True),
            ("auditor@kdc.test", True),
            ("nikh@kdc.test", False),
            ("naver-lead@kdc.test", False),
        ]:
            error = budget_exceeded(Actor.for_user(find_user(session, email)), lgai, 100_000_000)
            assert ("balance_krw" in error.extra) is sees, email
            assert ("12,345" in error.detail) is sees, email
            assert error.extra["team"] == "lgai" and error.extra["needed_krw"] == 100_000_000
    assert api.get("lgai-lead", "/api/v1/teams/lgai").json["balance_krw"] == 12_345

    # On the provider's web page the refusal names no figure either.
    client = demo_app.test_client()
    login(client, "nikh@kdc.test", lang="en")
    page = client.post(
        f"/purchases/{pid}/approve", data={"note": "", "next": "/provider/"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Not enough budget" in page and "12,345" not in page


def test_after_the_opener_is_eliminated_the_remaining_leads_close(demo_app, api, dataset):
    pid = api.buy("naver-lead", dataset, "joint").json["id"]
    assert api.act("upstage-lead", pid, "join").status_code == 200
    assert api.act("skt-lead", pid, "join").status_code == 200
    assert api.act("skt-member", pid, "confirm").json["code"] == "lead_required"
    r = api.post("admin", "/api/v1/teams/naver/eliminate", {"phase": 1})
    assert r.json["withdrawn"] == [{"purchase": pid, "outcome": "left"}]
    assert api.get("upstage-lead", f"/api/v1/purchases/{pid}").json["status"] == "open"

    # The eliminated team's people have lost control …
    for who in ("naver-lead", "naver-member"):
        for action in ("close", "cancel"):
            r = api.act(who, pid, action)
            assert (r.status_code, r.json["code"]) == (403, "team_eliminated"), (who, action)
    # … members of the remaining teams need their lead, outsiders have none …
    r = api.act("upstage-member", pid, "close")
    assert (r.status_code, r.json["code"]) == (403, "lead_required")
    r = api.act("lgai-lead", pid, "close")
    assert (r.status_code, r.json["code"]) == (403, "not_opener")
    assert audit_actions(demo_app, "purchase", pid)[-1] == "purchase:withdraw"

    # … and the remaining leads hold it: the API and the page offer it, and it works.
    actions = api.get("skt-lead", f"/api/v1/purchases/{pid}").json["actions"]
    assert {"close", "cancel"} <= set(actions)
    assert "close" not in api.get("naver-lead", f"/api/v1/purchases/{pid}").json["actions"]
    page = text_of(_page(demo_app, "upstage-lead@kdc.test", f"/purchases/{pid}"))
    assert "Close to new teams" in page and "Cancel purchase" in page
    closed = api.act("upstage-lead", pid, "close")
    assert closed.status_code == 200, closed.json
    assert closed.json["status"] == "pending_approval"
    assert [p["team"] for p in closed.json["participants"]] == ["upstage", "skt"]
    assert audit_actions(demo_app, "purchase", pid)[-1] == "purchase:close"
    assert api.act("nikh", pid, "approve").json["status"] == "approved"


def test_a_remaining_lead_may_cancel_and_the_office_still_may(demo_app, api, dataset):
    pid = api.buy("naver-member", dataset, "joint").json["id"]
    assert api.act("naver-lead", pid, "confirm").status_code == 200
    assert api.act("ncai-lead", pid, "join").status_code == 200
    other = make_second_purchase(demo_app, api)
    assert api.post("admin", "/api/v1/teams/naver/eliminate", {"phase": 1}).status_code == 200
    # The member who opened it is no opener any more.
    r = api.act("naver-member", pid, "cancel", {"note": "mine"})
    assert (r.status_code, r.json["code"]) == (403, "team_eliminated")
    cancelled = api.act("ncai-lead", pid, "cancel", {"note": "without naver"})
    assert cancelled.json["status"] == "cancelled", cancelled.json
    # Elsewhere the admin keeps the office's authority over any purchase.
    assert api.act("admin", other, "cancel").json["status"] == "cancelled"


def make_second_purchase(demo_app, api) -> int:
    with demo_app.app_context():
        ds = make_dataset(get_session(), institution="KBS", individual=None, joint=50_000_000)
    return api.buy("lgai-lead", ds, "joint").json["id"]
