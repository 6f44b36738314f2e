"""API-wide limits and caching: ETag/304, body size (413), rate limits (429), id range."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/datasets?q=%EC%8B%A4%EB%A1%9D",
        "/api/v1/datasets/joseon-annals-original",
        "/api/v1/institutions",
    ],
)
def test_catalog_reads_answer_304_to_a_matching_etag(client, path):
    first = client.get(path)
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert tag and first.headers["Cache-Control"] == "no-cache"
    again = client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == tag
    stale = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200 and stale.json == first.json


def test_etag_changes_when_the_catalog_changes(demo_app, client):
    from catalog.db import get_session
    from catalog.services.catalog import get_published_dataset

    path = "/api/v1/datasets/joseon-annals-original"
    tag = client.get(path).headers["ETag"]
    with demo_app.app_context():
        session = get_session()
        get_published_dataset(session, "joseon-annals-original").title_en = "Renamed"
        session.commit()
    resp = client.get(path, headers={"If-None-Match": tag})
    assert resp.status_code == 200 and resp.json["title_en"] == "Renamed"
    assert resp.headers["ETag"] != tag


def test_oversized_body_is_a_413_problem(client, token_for):
    headers = {**token_for("naver-member@kdc.test"), "Content-Type": "application/json"}
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    body = b'{"dataset": "' + b"x" * limit + b'", "offer": 1}'
    resp = client.post("/api/v1/purchases", data=body, headers=headers)
    assert resp.status_code == 413
    assert resp.content_type == "application/problem+json"
    assert resp.json["code"] == "payload_too_large" and resp.json["status"] == 413


def test_page_size_is_capped(client):
    resp = client.get("/api/v1/datasets", query_string={"limit": 101})
    assert resp.status_code == 422 and "limit" in resp.json["errors"]
    assert client.get("/api/v1/datasets", query_string={"limit": 100}).status_code == 200


def test_token_creation_is_rate_limited(demo_app, client, token_for):
    demo_app.config["RATE_LIMIT_TOKEN_CREATE"] = (3, 3600)
    me = token_for("naver-member@kdc.test")
    for _ in range(3):
        assert client.post("/api/v1/tokens", json={}, headers=me).status_code == 201
    resp = client.post("/api/v1/tokens", json={}, headers=me)
    assert resp.status_code == 429
    assert resp.content_type == "application/problem+json"
    assert resp.json["code"] == "rate_limited"
    assert 1 <= int(resp.headers["Retry-After"]) <= 3600
    # Another user has their own allowance.
    other = token_for("skt-member@kdc.test")
    assert client.post("/api/v1/tokens", json={}, headers=other).status_code == 201


def test_login_is_rate_limited_per_account_and_address(demo_app):
    demo_app.config.update(RATE_LIMIT_LOGIN_ACCOUNT=(3, 300), RATE_LIMIT_LOGIN_ADDR=(5, 300))
    web = demo_app.test_client()
    wrong = {"email": "naver-lead@kdc.test", "password": "wrong"}
    for _ in range(3):
        assert web.post("/login", data=wrong).status_code == 400
    resp = web.post("/login", data={**wrong, "password": "kdc-demo"})
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) >= 1
    assert "text/html" in resp.content_type
    # Other accounts from the same address: until the address's own limit.
    assert (
        web.post("/login", data={"email": "skt-lead@kdc.test", "password": "kdc-demo"}).status_code
        == 302
    )
    assert web.post("/login", data={"email": "kbs@kdc.test", "password": "x"}).status_code == 429
    # A GET of the form is never counted.
    assert web.get("/login").status_code == 200


def test_ids_beyond_any_database_range_are_404(client, token_for):
    me = token_for("naver-member@kdc.test")
    for path in (
        "/api/v1/purchases/99999999999999999999999",
        "/api/v1/purchases/0",
        "/api/v1/purchases/2147483648",
    ):
        resp = client.get(path, headers=me)
        assert resp.status_code == 404, path
        assert resp.content_type == "application/problem+json"
