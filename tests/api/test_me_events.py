"""``GET /api/v1/me``, the single-licence read and the event feed ``GET /api/v1/events``:
who sees what, keyset paging of the feed, and the long poll that answers when an event
arrives."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.db import get_session, transaction
from catalog.models.datasets import Dataset, DatasetVersion, VersionStatus
from catalog.services import events as event_service
from catalog.services import ledger, versions
from catalog.services.context import Actor
from catalog.services.users import find_user
from tests.purchasing.conftest import Api, make_dataset

EVENTS = "/api/v1/events"


@pytest.fixture
def api(demo_app):
    """On SQLite and PostgreSQL."""
    from tests.conftest import make_token

    def token_for(email, scopes=None):
        return {"Authorization": f"Bearer {make_token(demo_app, email, scopes)}"}

    api = Api(demo_app.test_client(), token_for)
    api.app = demo_app
    return api


def new_dataset(api, **kw) -> dict:
    with api.app.app_context():
        return make_dataset(get_session(), **kw)


def bought(api, ds: dict, team: str = "naver") -> int:
    """``team`` buys ``ds`` (individual; NIKH approves); returns the licence id."""
    pid = api.buy(f"{team}-lead", ds).json["id"]
    r = api.act("nikh", pid, "approve", {"note": "ok"})
    assert r.status_code == 200 and r.json["status"] == "approved", r.json
    lics = api.get(f"{team}-lead", "/api/v1/licenses", query_string={"dataset": ds["slug"]})
    return lics.json["items"][0]["id"]


def feed(api, who: str, **query) -> list[dict]:
    """Every event ``who`` may see, following ``next`` until no more wait."""
    r = api.get(who, EVENTS, query_string={"limit": 200, **query})
    assert r.status_code == 200, r.json
    items = list(r.json["items"])
    while r.json["more"]:
        r = api.client.get(r.json["next"], headers=api.headers(who))
        items += r.json["items"]
    return items


def test_me_for_every_role(api):
    expected = {
        "admin": ("admin", None, None),
        "auditor": ("auditor", None, None),
        "kbs": ("provider", None, "KBS"),
        "naver-lead": ("team_lead", "naver", None),
        "naver-member": ("team_member", "naver", None),
    }
    for who, (role, team, institution) in expected.items():
        r = api.get(who, "/api/v1/me")
        assert r.status_code == 200, r.json
        me = r.json
        assert me["role"] == role and me["user"]["email"] == f"{who}@kdc.test"
        assert (me["team"] or {}).get("code") == team
        assert (me["institution"] or {}).get("code") == institution
        raw = api.headers(who)["Authorization"].removeprefix("Bearer ")
        assert raw.startswith(me["token"]["prefix"])
        assert me["token"]["scopes"] and me["token"]["expires_at"]
        # The token's id is the one the caller would revoke: listed among its own tokens.
        mine = api.get(who, "/api/v1/tokens").json["items"]
        assert me["token"]["id"] in [t["id"] for t in mine]
    r = api.client.get("/api/v1/me")
    assert r.status_code == 401 and r.json["code"] == "authentication_required"
    # Any valid token may ask, whatever its scopes.
    narrow = api._token_for("naver-member@kdc.test", ["data:read"])
    assert api.client.get("/api/v1/me", headers=narrow).json["role"] == "team_member"


def test_licence_read_rights(api):
    lic = bought(api, new_dataset(api))
    for who in ("naver-lead", "naver-member", "nikh", "auditor", "admin"):
        r = api.get(who, f"/api/v1/licenses/{lic}")
        assert r.status_code == 200, (who, r.json)
        body = r.json
        assert body["id"] == lic and body["status"] == "active" and body["team"] == "naver"
        assert body["terms"] and "usage" in body and body["acceptance"]["accepted_at"] is None
    for who in ("upstage-lead", "upstage-member", "kbs"):
        r = api.get(who, f"/api/v1/licenses/{lic}")
        assert r.status_code == 404, who
    assert api.client.get(f"/api/v1/licenses/{lic}").status_code == 401


def _publish_new_version(app, slug: str, label: str) -> None:
    with app.app_context():
        session = get_session()
        store = app.extensions["kdc_store"]
        with transaction(session):
            ds = session.scalar(select(Dataset).where(Dataset.slug == slug))
            session.add(
                DatasetVersion(
                    dataset_id=ds.id,
                    label=label,
                    storage_backend=store.scheme,
                    bucket=store.bucket,
                    prefix=f"test/{slug}/{label}",
                    status=VersionStatus.DRAFT,
                    object_count=1,
                    total_bytes=5,
                )
            )
        provider = Actor.for_user(find_user(session, "nikh@kdc.test"))
        versions.publish_version(session, provider, slug, label)


def test_events_visibility_per_role(api):
    held = new_dataset(api)
    lic = bought(api, held)
    joint = new_dataset(api)
    opened = api.buy("upstage-lead", joint, "joint").json["id"]
    asked = api.buy("naver-member", new_dataset(api)).json["id"]
    _publish_new_version(api.app, held["slug"], "2026.2")

    lead = feed(api, "naver-lead")
    kinds = {(e["type"], e["subject"]["id"]) for e in lead}
    assert ("license.activated", str(lic)) in kinds
    assert ("joint.opened", str(opened)) in kinds  # open to join
    assert ("purchase.requested", str(asked)) in kinds  # a lead must confirm
    [version] = [e for e in lead if e["type"] == "dataset.version_published"]
    assert version["data"]["dataset"] == held["slug"] and version["data"]["version"] == "2026.2"
    assert {e["audience"] for e in lead} == {"team:naver"}
    ids = [e["id"] for e in lead]
    assert ids == sorted(set(ids))

    member = feed(api, "naver-member")
    assert {e["type"] for e in member} >= {"license.activated", "joint.opened"}
    assert "purchase.requested" not in {e["type"] for e in member}  # leads confirm

    upstage = feed(api, "upstage-lead")
    assert {e["audience"] for e in upstage} <= {"team:upstage"}
    assert not [e for e in upstage if e["data"].get("license_id") == lic]

    nikh = feed(api, "nikh")
    assert nikh and {e["audience"] for e in nikh} == {"institution:NIKH"}
    assert {e["type"] for e in nikh} <= {"purchase.awaiting_approval", "purchase.cancelled"}
    assert [e for e in feed(api, "kbs") if e["data"].get("dataset") == held["slug"]] == []

    everything = feed(api, "auditor")
    assert {"team:naver", "team:upstage", "institution:NIKH"} <= {e["audience"] for e in everything}
    assert len(feed(api, "admin")) == len(everything)

    # The feed carries what a webhook of the same audience receives.
    first = lead[0]
    assert first["data"]["notice_id"] == first["id"] and first["data"]["url"].startswith("http")
    only = feed(api, "naver-lead", kind="license.activated")
    assert {e["type"] for e in only} == {"license.activated"}


def test_event_feed_pages_by_cursor(api):
    start = max([e["id"] for e in feed(api, "naver-member")], default=0)
    for amount in (1000, 2000, 3000, 4000, 5000):
        with api.app.app_context():
            ledger.grant_budget(get_session(), Actor.system("test"), "naver", amount)
    query = {"limit": 2, "kind": "budget.granted", "after": start}
    r = api.get("naver-member", EVENTS, query_string=query)
    seen = []
    while True:
        body = r.json
        assert len(body["items"]) <= 2 and "kind=budget.granted" in body["next"]
        seen += [e["data"]["amount_krw"] for e in body["items"]]
        if not body["more"]:
            break
        # A grant between pages lands after the cursor: nothing repeats, nothing is lost.
        with api.app.app_context():
            ledger.grant_budget(get_session(), Actor.system("test"), "naver", len(seen))
        r = api.client.get(body["next"], headers=api.headers("naver-member"))
    assert seen[:5] == [1000, 2000, 3000, 4000, 5000]
    assert len(seen) == len(set(seen))
    # Nothing new: an empty page whose cursor stays put.
    tail = api.client.get(body["next"], headers=api.headers("naver-member")).json
    assert tail["items"] == [] and tail["last_id"] == tail["after"] == body["last_id"]


def test_long_poll_returns_when_an_event_arrives(api, monkeypatch):
    start = api.get("naver-lead", EVENTS, query_string={"limit": 200}).json["last_id"]
    polls = []
    real_end_read = event_service.end_read

    def end_read_then_grant(session):
        # Called when a read found nothing and the poll is about to sleep: the first
        # time, another session commits a grant for the team meanwhile.
        real_end_read(session)
        polls.append(session)
        if len(polls) == 1:
            with api.app.app_context():
                ledger.grant_budget(get_session(), Actor.system("test"), "naver", 777)

    monkeypatch.setattr(event_service, "end_read", end_read_then_grant)
    r = api.get("naver-lead", EVENTS, query_string={"after": start, "wait": 30})
    assert r.status_code == 200
    # The next read after the grant answered with it, instead of waiting out the 30 s.
    assert [e["data"]["amount_krw"] for e in r.json["items"]] == [777]
    assert len(polls) == 1 and r.json["last_id"] > start
    # Without wait, an empty read answers at once.
    r = api.get("naver-lead", EVENTS, query_string={"after": r.json["last_id"]})
    assert r.json["items"] == [] and len(polls) == 1


def test_event_feed_refuses_bad_input(api):
    for query, field in (
        ({"after": -1}, "after"),
        ({"wait": 31}, "wait"),
        ({"kind": "no.such"}, "kind"),
        ({"limit": 0}, "limit"),
        ({"since": 3}, "since"),
    ):
        r = api.get("naver-lead", EVENTS, query_string=query)
        assert r.status_code == 422, query
        assert r.headers["Content-Type"] == "application/problem+json"
        assert field in str(r.json.get("errors")), r.json
    narrow = api._token_for("naver-lead@kdc.test", ["data:read"])
    r = api.client.get(EVENTS, headers=narrow)
    assert r.status_code == 403 and r.json["code"] == "insufficient_scope"
    assert api.client.get(EVENTS).status_code == 401
