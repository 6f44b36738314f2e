"""Security of the pages: role guards, CSRF on every form, headers, no stray 500s."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import login, text_of

PAGES = {
    "/purchases/": None,  # any signed-in user
    "/tokens": None,
    "/team": ("team_member", "team_lead"),
    "/provider/": ("provider", "admin"),
    "/provider/datasets/new": ("provider", "admin"),
    "/admin/": ("admin",),
    "/admin/teams": ("admin",),
    "/admin/users": ("admin",),
    "/admin/institutions": ("admin",),
    "/admin/phases": ("admin",),
    "/admin/teams/naver/eliminate": ("admin",),
}
ACCOUNTS = {
    "admin": "admin@kdc.test",
    "auditor": "auditor@kdc.test",
    "provider": "nikh@kdc.test",
    "team_lead": "naver-lead@kdc.test",
    "team_member": "naver-member@kdc.test",
}


def test_anonymous_visitors_are_sent_to_the_login_page(ui):
    client = ui()
    for path in PAGES:
        resp = client.get(path)
        assert resp.status_code == 302, path
        assert resp.headers["Location"].startswith("/login?next="), path


@pytest.mark.parametrize("role", sorted(ACCOUNTS))
def test_each_role_reaches_its_pages_and_gets_a_helpful_403_elsewhere(ui, role):
    client = ui(ACCOUNTS[role], lang="en")
    for path, roles in PAGES.items():
        resp = client.get(path)
        if roles is None or role in roles:
            assert resp.status_code == 200, (role, path)
        else:
            assert resp.status_code == 403, (role, path)
            page = text_of(resp)
            assert "403 · Not allowed" in page and "Back to the catalog" in page, (role, path)


def test_navigation_shows_what_the_role_may_use(ui):
    member = text_of(ui("naver-member@kdc.test", lang="en").get("/"))
    assert "My team" in member and "Provider console" not in member and "Admin" not in member
    provider = text_of(ui("nikh@kdc.test", lang="en").get("/"))
    assert "Provider console" in provider and "My team" not in provider
    admin = text_of(ui("admin@kdc.test", lang="en").get("/"))
    assert "Admin" in admin and "Audit" in admin


def _forms(body: str) -> list[str]:
    return re.findall(r"<form[^>]*method=\"post\".*?</form>", body, flags=re.S | re.I)


def test_every_form_on_every_page_carries_a_csrf_token(ui, sqlite_demo_app):
    clients = {
        email: ui(email) for email in ("naver-lead@kdc.test", "nikh@kdc.test", "admin@kdc.test")
    }
    sqlite_demo_app.config["WTF_CSRF_ENABLED"] = True
    checked = 0
    for email, paths in {
        "naver-lead@kdc.test": [
            "/",
            "/datasets/joseon-annals-original",
            "/team",
            "/tokens",
            "/purchases/",
        ],
        "nikh@kdc.test": [
            "/provider/",
            "/provider/datasets/joseon-annals-original",
            "/provider/datasets/new",
        ],
        "admin@kdc.test": [
            "/admin/teams",
            "/admin/users",
            "/admin/institutions",
            "/admin/phases",
            "/admin/teams/skt/eliminate",
            "/admin/teams/skt",
        ],
    }.items():
        client = clients[email]
        for path in paths:
            body = client.get(path).get_data(as_text=True)
            for form in _forms(body):
                assert 'name="csrf_token"' in form, (path, form[:200])
                checked += 1
    assert checked > 30


def test_posts_without_a_csrf_token_are_refused(sqlite_demo_app):
    client = sqlite_demo_app.test_client()
    login(client, "naver-lead@kdc.test")  # CSRF is off while signing in here
    sqlite_demo_app.config["WTF_CSRF_ENABLED"] = True
    for path, data in [
        ("/datasets/joseon-annals-original/purchases", {"offer_id": "1"}),
        ("/tokens", {"name": "x", "days": "30"}),
        ("/purchases/1/join", {}),
        ("/logout", {}),
    ]:
        resp = client.post(path, data=data)
        assert resp.status_code == 400, path
        assert "reload the page" in resp.get_data(as_text=True) or "새로 고친" in resp.get_data(
            as_text=True
        )
    from catalog.db import get_session
    from catalog.models.purchases import Purchase
    from catalog.models.users import ApiToken

    with sqlite_demo_app.app_context():
        assert get_session().query(Purchase).count() == 0
        assert get_session().query(ApiToken).count() == 0


@pytest.mark.parametrize("path", ["/", "/team", "/tokens", "/purchases/"])
def test_security_headers_on_pages_with_urls(ui, path):
    resp = ui("naver-member@kdc.test").get(path)
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]
    body = resp.get_data(as_text=True)
    assert "<script>" not in body and " style=" not in body and " onclick=" not in body


def test_session_cookie_flags(sqlite_demo_app, monkeypatch):
    client = sqlite_demo_app.test_client()
    resp = client.post("/login", data={"email": "admin@kdc.test", "password": "kdc-demo"})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    from catalog.config import load_config

    monkeypatch.setenv("KDC_SECURE_COOKIES", "1")
    assert (
        load_config(sqlite_demo_app.instance_path, {"SECRET_KEY": "x"})["SESSION_COOKIE_SECURE"]
        is True
    )


@pytest.mark.parametrize(
    "path",
    [
        "/purchases/99999999999",
        "/team/licenses/0",
        "/team/licenses/99999999999",
        "/admin/users/99999999999",
        "/provider/datasets/nope",
        "/admin/teams/nope",
        "/admin/teams/nope/eliminate",
    ],
)
def test_unknown_things_are_404_pages_not_500(ui, path):
    email = (
        "admin@kdc.test" if path.startswith(("/admin", "/provider")) else "naver-member@kdc.test"
    )
    resp = ui(email).get(path)
    assert resp.status_code == 404, path
    assert "카탈로그로 돌아가기" in text_of(resp)


def test_bad_posts_are_4xx_not_500(ui):
    client = ui("naver-lead@kdc.test")
    assert client.post("/purchases/1/explode").status_code == 404
    resp = client.post("/purchases/99999/join", follow_redirects=True)
    assert resp.status_code == 404
    resp = client.post("/datasets/joseon-annals-original/purchases", data={"offer_id": "abc"})
    assert resp.status_code == 302
    resp = client.post("/tokens/99999999999/revoke", follow_redirects=True)
    assert resp.status_code == 200 and "error" in resp.get_data(as_text=True)
