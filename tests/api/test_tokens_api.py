"""``/api/v1/tokens``: create (shown once), list, revoke; revoked and expired refused at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def test_token_is_shown_once_and_works_at_once(client, token_for):
    me = token_for("naver-member@kdc.test")
    resp = client.post("/api/v1/tokens", json={"name": "nightly fetch", "days": 7}, headers=me)
    assert resp.status_code == 201, resp.json
    body = resp.json
    raw = body["token"]
    assert raw.startswith("kdc_") and len(raw) >= 40  # ≥ 128 random bits, URL-safe
    assert raw.startswith(body["prefix"])
    assert body["status"] == "active" and body["name"] == "nightly fetch"
    assert sorted(body["scopes"]) == ["catalog:read", "data:read", "purchase:write"]
    # The new token authenticates; the listing never shows a raw token again.
    listing = client.get("/api/v1/tokens", headers=bearer(raw))
    assert listing.status_code == 200
    items = listing.json["items"]
    assert body["id"] in [t["id"] for t in items]
    assert all("token" not in t for t in items)
    assert raw not in listing.get_data(as_text=True)


def test_token_cannot_grant_more_than_it_holds(client, token_for):
    narrow = token_for("naver-member@kdc.test", ["catalog:read"])
    resp = client.post("/api/v1/tokens", json={"scopes": ["data:read"]}, headers=narrow)
    assert resp.status_code == 403
    assert resp.content_type == "application/problem+json"
    assert resp.json["code"] == "scope_not_allowed"
    # Without scopes the new token inherits the narrow one's.
    resp = client.post("/api/v1/tokens", json={}, headers=narrow)
    assert resp.status_code == 201 and resp.json["scopes"] == ["catalog:read"]
    # A provider cannot ask for a team scope at all.
    resp = client.post(
        "/api/v1/tokens", json={"scopes": ["purchase:write"]}, headers=token_for("nikh@kdc.test")
    )
    assert resp.status_code == 403 and resp.json["code"] == "scope_not_allowed"
    resp = client.post("/api/v1/tokens", json={"scopes": ["root"]}, headers=narrow)
    assert resp.status_code == 422 and "scopes" in resp.json["errors"]


def test_revoked_token_is_refused_at_once(client, token_for):
    me = token_for("upstage-lead@kdc.test")
    created = client.post("/api/v1/tokens", json={"name": "short"}, headers=me).json
    other = bearer(created["token"])
    assert client.get("/api/v1/licenses", headers=other).status_code == 200
    resp = client.delete(f"/api/v1/tokens/{created['id']}", headers=me)
    assert resp.status_code == 204 and resp.get_data() == b""
    resp = client.get("/api/v1/licenses", headers=other)
    assert resp.status_code == 401
    assert resp.json["code"] == "token_revoked"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    listed = {t["id"]: t for t in client.get("/api/v1/tokens", headers=me).json["items"]}
    assert listed[created["id"]]["status"] == "revoked"


def test_cannot_revoke_someone_elses_token(client, token_for):
    theirs = client.post("/api/v1/tokens", json={}, headers=token_for("skt-member@kdc.test")).json
    resp = client.delete(
        f"/api/v1/tokens/{theirs['id']}", headers=token_for("naver-member@kdc.test")
    )
    assert resp.status_code == 404 and resp.json["code"] == "token_not_found"
    # Still works for its owner.
    assert client.get("/api/v1/tokens", headers=bearer(theirs["token"])).status_code == 200
    assert (
        client.delete(
            "/api/v1/tokens/99999999999999999999", headers=token_for("naver-member@kdc.test")
        ).status_code
        == 404
    )


def test_expired_token_is_refused_at_once(demo_app, client, token_for):
    from catalog.db import get_session, utcnow
    from catalog.models.users import ApiToken

    me = token_for("lgai-member@kdc.test")
    created = client.post("/api/v1/tokens", json={"days": 1}, headers=me).json
    with demo_app.app_context():
        session = get_session()
        tok = session.scalar(select(ApiToken).where(ApiToken.id == created["id"]))
        tok.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    resp = client.get("/api/v1/tokens", headers=bearer(created["token"]))
    assert resp.status_code == 401 and resp.json["code"] == "token_expired"


def test_bad_token_input_is_a_problem(client, token_for):
    me = token_for("naver-member@kdc.test")
    for body in (
        {"days": 0},
        {"days": 367},
        {"days": "7"},
        {"name": "x" * 101},
        {"scopes": []},
        {"surprise": 1},
    ):
        resp = client.post("/api/v1/tokens", json=body, headers=me)
        assert resp.status_code == 422, body
        assert resp.content_type == "application/problem+json"
    resp = client.post("/api/v1/tokens", json={})
    assert resp.status_code == 401 and resp.json["code"] == "authentication_required"
