"""Keyset paging: following ``next`` while others insert neither repeats an item nor skips
one that existed when paging began — for datasets under every sort, purchases and
licences. ``page`` still jumps to a page; a cursor from elsewhere is a 422."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.db import get_session
from catalog.services.search import SORTS
from tests.purchasing.conftest import Api, make_dataset

EXAMPLES = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_prices = itertools.count(7)


@pytest.fixture
def api(sqlite_demo_app):
    from tests.conftest import make_token

    def token_for(email, scopes=None):
        return {"Authorization": f"Bearer {make_token(sqlite_demo_app, email, scopes)}"}

    api = Api(sqlite_demo_app.test_client(), token_for)
    api.app = sqlite_demo_app
    return api


def new_dataset(api, price: int | None = None, joint: int | None = None) -> dict:
    with api.app.app_context():
        return make_dataset(
            get_session(), individual=price or next(_prices) * 1_000_000, joint=joint
        )


def everything(api, who: str, path: str, key: str, **query) -> list:
    r = api.get(who, path, query_string={**query, "limit": 100})
    items = [i[key] for i in r.json["items"]]
    while r.json["next"]:
        r = api.client.get(r.json["next"], headers=api.headers(who))
        items += [i[key] for i in r.json["items"]]
    return items


def follow_while_inserting(api, who, path, key, query, limit, inserts, insert):
    """Page through ``path`` by ``next``, calling ``insert`` between pages."""
    r = api.get(who, path, query_string={**query, "limit": limit})
    assert r.status_code == 200, r.json
    seen = []
    for n in itertools.count():
        body = r.json
        assert len(body["items"]) <= limit
        seen += [i[key] for i in body["items"]]
        if not body["next"]:
            return seen
        assert "cursor=" in body["next"] and "page=" not in body["next"]
        for k, v in query.items():
            assert f"{k}={v}" in body["next"]  # filters kept
        for _ in range(inserts[n % len(inserts)]):
            insert()
        r = api.client.get(body["next"], headers=api.headers(who))
        assert r.status_code == 200, r.json


@EXAMPLES
@given(
    sort=st.sampled_from(SORTS),
    limit=st.integers(1, 5),
    inserts=st.lists(st.integers(0, 3), min_size=1, max_size=4),
    prices=st.lists(st.integers(1, 900), min_size=1, max_size=5),
)
def test_datasets_under_every_sort(api, sort, limit, inserts, prices):
    query = {"sort": sort, "modality": "text"}
    before = everything(api, "naver-member", "/api/v1/datasets", "slug", **query)
    price = itertools.cycle(prices)
    seen = follow_while_inserting(
        api,
        "naver-member",
        "/api/v1/datasets",
        "slug",
        query,
        limit,
        inserts,
        lambda: new_dataset(api, next(price) * 1_000_000),
    )
    assert len(seen) == len(set(seen)), "an item came twice"
    assert set(before) <= set(seen), "an item that existed was skipped"


@EXAMPLES
@given(limit=st.integers(1, 4), inserts=st.lists(st.integers(0, 2), min_size=1, max_size=4))
def test_purchases(api, limit, inserts):
    if not everything(api, "auditor", "/api/v1/purchases", "id"):
        for _ in range(5):
            api.buy("naver-lead", new_dataset(api))
    before = everything(api, "auditor", "/api/v1/purchases", "id")
    seen = follow_while_inserting(
        api,
        "auditor",
        "/api/v1/purchases",
        "id",
        {"mode": "individual"},
        limit,
        inserts,
        lambda: api.buy("upstage-lead", new_dataset(api)),
    )
    assert len(seen) == len(set(seen))
    assert set(before) <= set(seen)
    assert seen == sorted(seen, reverse=True)


def test_licences_and_page_numbers(api):
    def licence(team="naver"):
        pid = api.buy(f"{team}-lead", new_dataset(api)).json["id"]
        assert api.act("nikh", pid, "approve", {"note": ""}).json["status"] == "approved"

    for _ in range(4):
        licence()
    before = everything(api, "naver-member", "/api/v1/licenses", "id")
    seen = follow_while_inserting(
        api, "naver-member", "/api/v1/licenses", "id", {}, 1, [1], licence
    )
    assert len(seen) == len(set(seen)) and set(before) <= set(seen)

    # ``page`` still jumps; its ``prev`` is a page link, its ``next`` a cursor.
    second = api.get("naver-member", "/api/v1/licenses", query_string={"limit": 2, "page": 2})
    body = second.json
    assert body["page"] == 2 and "page=1" in body["prev"] and "cursor=" in body["next"]
    first = api.get("naver-member", "/api/v1/licenses", query_string={"limit": 2}).json
    assert [
        i["id"]
        for i in api.client.get(first["next"], headers=api.headers("naver-member")).json["items"]
    ] == [i["id"] for i in body["items"]]


def test_cursors_from_elsewhere_are_refused(api):
    for _ in range(2):
        api.buy("naver-lead", new_dataset(api))
    purchases = api.get("naver-lead", "/api/v1/purchases", query_string={"limit": 1}).json
    cursor = purchases["next"].split("cursor=")[1].split("&")[0]
    by_title = api.get("naver-lead", "/api/v1/datasets", query_string={"limit": 1, "sort": "title"})
    title_cursor = by_title.json["next"].split("cursor=")[1].split("&")[0]
    for path, query in (
        ("/api/v1/licenses", {"cursor": cursor}),
        ("/api/v1/purchases", {"cursor": "not-a-cursor"}),
        ("/api/v1/purchases", {"cursor": "eyJsIjoicHVyY2hhc2VzIiwiayI6WyJ4Il19"}),
        ("/api/v1/datasets", {"cursor": title_cursor, "sort": "newest"}),
        ("/api/v1/datasets", {"cursor": cursor}),
    ):
        r = api.get("naver-lead", path, query_string=query)
        assert r.status_code == 422, (path, query, r.json)
        assert r.json["code"] == "invalid_cursor"
        assert r.headers["Content-Type"] == "application/problem+json"


def test_tokens_page_by_cursor(api):
    from tests.conftest import make_token

    for _ in range(4):
        make_token(api.app, "naver-member@kdc.test")
    everyone = api.get("naver-member", "/api/v1/tokens").json
    assert everyone["next"] is None and len(everyone["items"]) >= 5
    ids = [t["id"] for t in everyone["items"]]
    seen = follow_while_inserting(
        api,
        "naver-member",
        "/api/v1/tokens",
        "id",
        {},
        2,
        [1],
        lambda: make_token(api.app, "naver-member@kdc.test"),
    )
    assert len(seen) == len(set(seen)) and set(ids) <= set(seen)
    assert seen == sorted(seen, reverse=True)
