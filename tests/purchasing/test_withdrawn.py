"""A withdrawn offer or dataset takes no new team and cannot be approved: 409, nothing charged."""

from __future__ import annotations

import pytest

from catalog.db import get_session
from catalog.services import publishing
from catalog.services.context import Actor
from catalog.services.users import find_user
from tests.purchasing.conftest import audit_actions, balance

PROVIDER = "nikh@kdc.test"


def _provider_does(app, fn):
    with app.app_context():
        session = get_session()
        fn(session, Actor.for_user(find_user(session, PROVIDER)))


def _withdraw(app, ds: dict, what: str) -> None:
    if what == "offer":
        _provider_does(
            app, lambda s, a: publishing.deactivate_offer(s, a, ds.get("joint") or ds["individual"])
        )
    else:
        _provider_does(
            app, lambda s, a: publishing.set_dataset_status(s, a, ds["slug"], "withdrawn")
        )


@pytest.mark.parametrize(
    "what, code", [("offer", "offer_withdrawn"), ("dataset", "dataset_withdrawn")]
)
def test_no_team_joins_a_withdrawn_offer_or_dataset(sqlite_api, sqlite_dataset_factory, what, code):
    api = sqlite_api
    ds = sqlite_dataset_factory(individual=None)
    pid = api.buy("naver-lead", ds, "joint").json["id"]
    _withdraw(api.app, ds, what)
    r = api.act("skt-lead", pid, "join")
    assert r.status_code == 409 and r.json["code"] == code, r.json
    detail = api.get("skt-lead", f"/api/v1/purchases/{pid}").json
    assert "join" not in detail["actions"]
    assert [p["team"] for p in detail["participants"]] == ["naver"]
    assert "purchase:join" not in audit_actions(api.app, "purchase", pid)


@pytest.mark.parametrize("mode", ["individual", "joint"])
@pytest.mark.parametrize(
    "what, code", [("offer", "offer_withdrawn"), ("dataset", "dataset_withdrawn")]
)
def test_a_withdrawn_offer_or_dataset_is_not_approved(
    sqlite_api, sqlite_dataset_factory, mode, what, code
):
    api = sqlite_api
    ds = sqlite_dataset_factory(
        **({"joint": None} if mode == "individual" else {"individual": None})
    )
    pid = api.buy("naver-lead", ds, mode).json["id"]
    if mode == "joint":
        assert api.act("skt-lead", pid, "join").status_code == 200
        assert api.act("naver-lead", pid, "close").status_code == 200
    before = {t: balance(api.app, t) for t in ("naver", "skt")}
    _withdraw(api.app, ds, what)
    r = api.act("nikh", pid, "approve")
    assert r.status_code == 409 and r.json["code"] == code, r.json
    assert {t: balance(api.app, t) for t in ("naver", "skt")} == before
    detail = api.get("nikh", f"/api/v1/purchases/{pid}").json
    assert detail["status"] != "approved" and "approve" not in detail["actions"]
    assert "reject" in detail["actions"]
    assert "purchase:approve" not in audit_actions(api.app, "purchase", pid)
    # The provider can still say no.
    assert api.act("nikh", pid, "reject", {"note": "withdrawn"}).status_code == 200
