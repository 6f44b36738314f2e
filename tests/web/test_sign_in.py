"""Signing in and out: limits that hold (JSON bodies, proxies, CSRF), no lock-out of a
correct password, sessions that end, and the audit events of it all."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from catalog.db import get_session
from catalog.models.audit import AuditEvent
from catalog.models.users import ApiToken
from catalog.services.users import find_user
from tests.conftest import _make_app, make_token
from tests.web.conftest import login

LEAD = "naver-lead@kdc.test"
PASSWORD = "kdc-demo"


def _signed_in(client) -> str | None:
    with client.session_transaction() as sess:
        return sess.get("_user_id")


def _csrf(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    return found.group(1)


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            get_session().scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            )
        )


@pytest.fixture
def proxied_app(request, templates, tmp_path):
    """The demo catalogue behind one trusted reverse proxy (``KDC_TRUSTED_PROXIES=1``)."""
    yield from _make_app(request, templates, tmp_path, "sqlite", True, TRUSTED_PROXIES=1)


def _from(addr: str) -> dict:
    return {"headers": {"X-Forwarded-For": addr}}


# --- the per-account limit holds whatever the body --------------------------------------------


def test_a_json_body_neither_signs_in_nor_escapes_the_account_limit(sqlite_demo_app):
    sqlite_demo_app.config.update(RATE_LIMIT_LOGIN_ACCOUNT=(3, 300))
    sqlite_demo_app.config["WTF_CSRF_ENABLED"] = True
    web = sqlite_demo_app.test_client()
    token = _csrf(web)
    for _ in range(5):
        resp = web.post(
            "/login",
            json={"email": LEAD, "password": "wrong"},
            headers={"X-CSRFToken": token},
        )
        assert resp.status_code == 415
    resp = web.post(
        "/login", json={"email": LEAD, "password": PASSWORD}, headers={"X-CSRFToken": token}
    )
    assert resp.status_code == 415 and not _signed_in(web)
    assert "text/html" in resp.content_type
    # The form itself still works, and counts per account.
    for _ in range(3):
        resp = web.post("/login", data={"email": LEAD, "password": "x", "csrf_token": token})
        assert resp.status_code == 400
    resp = web.post("/login", data={"email": LEAD, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 429 and not _signed_in(web)


def test_a_multipart_form_signs_in(sqlite_demo_app):
    web = sqlite_demo_app.test_client()
    resp = web.post(
        "/login", data={"email": LEAD, "password": PASSWORD}, content_type="multipart/form-data"
    )
    assert resp.status_code == 302 and _signed_in(web)


# --- proxies, CSRF, and no lock-out --------------------------------------------------------------


def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(proxied_app):
    proxied_app.config.update(RATE_LIMIT_LOGIN_ADDR=(3, 300))
    web = proxied_app.test_client()
    for email in ("a@x.test", "b@x.test", "c@x.test"):
        resp = web.post("/login", data={"email": email, "password": "x"}, **_from("203.0.113.7"))
        assert resp.status_code == 400
    assert (
        web.post(
            "/login", data={"email": LEAD, "password": "x"}, **_from("203.0.113.7")
        ).status_code
        == 429
    )
    # Another client behind the same proxy is not held back by the first one.
    resp = web.post("/login", data={"email": LEAD, "password": PASSWORD}, **_from("198.51.100.2"))
    assert resp.status_code == 302
    signed = _events(proxied_app, "auth:sign_in")[-1]
    assert signed.client_addr == "198.51.100.2"
    failed = _events(proxied_app, "auth:sign_in_failed")
    assert {e.client_addr for e in failed} == {"203.0.113.7"}


def test_without_trusted_proxies_a_forwarded_address_is_ignored(sqlite_demo_app):
    web = sqlite_demo_app.test_client()
    resp = web.post("/login", data={"email": LEAD, "password": PASSWORD}, **_from("203.0.113.9"))
    assert resp.status_code == 302
    assert _events(sqlite_demo_app, "auth:sign_in")[-1].client_addr == "127.0.0.1"


def test_requests_without_a_csrf_token_do_not_count(sqlite_demo_app):
    sqlite_demo_app.config.update(RATE_LIMIT_LOGIN_ACCOUNT=(3, 300), RATE_LIMIT_LOGIN_ADDR=(3, 300))
    sqlite_demo_app.config["WTF_CSRF_ENABLED"] = True
    attacker = sqlite_demo_app.test_client()
    for _ in range(10):
        resp = attacker.post("/login", data={"email": LEAD, "password": "guess"})
        assert resp.status_code == 400  # the CSRF token is missing
    owner = sqlite_demo_app.test_client()
    resp = owner.post(
        "/login", data={"email": LEAD, "password": PASSWORD, "csrf_token": _csrf(owner)}
    )
    assert resp.status_code == 302 and _signed_in(owner)


def test_guesses_from_elsewhere_slow_the_owner_down_but_never_lock_them_out(
    proxied_app, monkeypatch
):
    from catalog import ratelimit

    waits: list[float] = []
    monkeypatch.setattr(ratelimit, "pause", waits.append)
    proxied_app.config.update(
        RATE_LIMIT_LOGIN_ACCOUNT=(2, 300),
        RATE_LIMIT_LOGIN_SLOWDOWN=(4, 300),
        LOGIN_SLOWDOWN_DELAY=0.5,
        LOGIN_SLOWDOWN_MAX_DELAY=4.0,
    )
    attacker = proxied_app.test_client()
    for n in range(12):
        addr = f"203.0.113.{n // 3 + 1}"  # three guesses per address: the third is refused
        resp = attacker.post("/login", data={"email": LEAD, "password": f"guess{n}"}, **_from(addr))
        assert resp.status_code == (429 if n % 3 == 2 else 400), n
    assert waits and max(waits) <= 4.0 and waits == sorted(waits)
    waits.clear()
    owner = proxied_app.test_client()
    resp = owner.post("/login", data={"email": LEAD, "password": PASSWORD}, **_from("198.51.100.4"))
    assert resp.status_code == 302 and _signed_in(owner)
    assert waits == [4.0]  # slowed down, not refused
    # A wrong password after the wait is still wrong.
    other = proxied_app.test_client()
    resp = other.post("/login", data={"email": LEAD, "password": "nope"}, **_from("198.51.100.5"))
    assert resp.status_code == 400 and not _signed_in(other)


# --- sessions that end ------------------------------------------------------------------------


def _copy_session(src, dst) -> None:
    dst.set_cookie("session", src.get_cookie("session").value)


def test_a_cookie_saved_before_sign_out_no_longer_works(sqlite_demo_app):
    browser = login(sqlite_demo_app.test_client(), LEAD)
    thief = sqlite_demo_app.test_client()
    _copy_session(browser, thief)
    assert thief.get("/team").status_code == 200  # the copy works while the session lives
    assert browser.post("/logout").status_code == 302
    resp = thief.get("/team")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert browser.get("/team").status_code == 302
    out = _events(sqlite_demo_app, "auth:sign_out")
    assert len(out) == 1 and out[0].actor == LEAD


def _edit_user(admin, app, email: str, **changes):
    with app.app_context():
        user = find_user(get_session(), email)
        form = {
            "role": user.role.value,
            "team": user.team.code if user.team else "",
            "institution": user.institution.code if user.institution else "",
            "active": "y" if user.active else "",
            **changes,
        }
        uid = user.id
    form = {k: v for k, v in form.items() if v not in ("", None)}
    return admin.post(f"/admin/users/{uid}", data=form)


def test_a_new_password_ends_sessions_and_may_revoke_tokens(sqlite_demo_app):
    app = sqlite_demo_app
    lead = login(app.test_client(), LEAD)
    kept = make_token(app, LEAD)
    admin = login(app.test_client(), "admin@kdc.test")
    resp = _edit_user(admin, app, LEAD, password="a-new-password-1")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert lead.get("/team").status_code == 302  # the old session ended
    api = app.test_client()
    assert api.get("/api/v1/tokens", headers={"Authorization": f"Bearer {kept}"}).status_code == 200
    # The old password is gone, the new one works.
    again = app.test_client()
    assert again.post("/login", data={"email": LEAD, "password": PASSWORD}).status_code == 400
    assert (
        again.post("/login", data={"email": LEAD, "password": "a-new-password-1"}).status_code
        == 302
    )
    # With the box ticked, every token of the user goes too.
    resp = _edit_user(admin, app, LEAD, password="a-new-password-2", revoke_tokens="y")
    assert resp.status_code == 302
    refused = api.get("/api/v1/tokens", headers={"Authorization": f"Bearer {kept}"})
    assert refused.status_code == 401 and refused.json["code"] == "token_revoked"
    assert again.get("/team").status_code == 302
    events = _events(app, "user:set_password")
    assert [e.data["revoke_tokens"] for e in events] == [False, True]
    # The admin's own session survived editing someone else.
    assert admin.get("/admin/users").status_code == 200
    with app.app_context():
        everything = " ".join(str(e.data) for e in get_session().scalars(select(AuditEvent)))
    assert "a-new-password" not in everything and kept not in everything


@pytest.mark.parametrize(
    "changes, reason",
    [({"role": "team_member"}, "role_changed"), ({"active": ""}, "deactivated")],
)
def test_a_new_role_or_deactivation_ends_sessions_and_tokens(sqlite_demo_app, changes, reason):
    app = sqlite_demo_app
    lead = login(app.test_client(), LEAD)
    token = make_token(app, LEAD)
    admin = login(app.test_client(), "admin@kdc.test")
    with app.app_context():
        uid = find_user(get_session(), LEAD).id
        form = {"role": "team_lead", "team": "naver", "active": "y", **changes}
    resp = admin.post(f"/admin/users/{uid}", data={k: v for k, v in form.items() if v})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert lead.get("/team").status_code == 302
    refused = app.test_client().get("/api/v1/tokens", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and refused.json["code"] in ("token_revoked", "user_inactive")
    with app.app_context():
        tokens = get_session().scalars(select(ApiToken).where(ApiToken.user_id == uid)).all()
        assert tokens and all(t.revoked_at is not None for t in tokens)
    revocations = _events(app, "token:revoke")
    assert revocations and revocations[-1].data["reason"] == reason
    if reason == "role_changed":
        change = _events(app, "user:change_role")[-1]
        assert change.data["before"]["role"] == "team_lead"
        assert change.data["after"]["role"] == "team_member"


def test_an_admin_who_sets_their_own_password_stays_signed_in(sqlite_demo_app):
    app = sqlite_demo_app
    admin = login(app.test_client(), "admin@kdc.test")
    other = login(app.test_client(), "admin@kdc.test")
    resp = _edit_user(admin, app, "admin@kdc.test", password="admin-new-password")
    assert resp.status_code == 302
    assert admin.get("/admin/users").status_code == 200
    assert other.get("/admin/users").status_code == 302


@pytest.mark.parametrize("key, age", [("_kdc_seen_at", 31 * 60), ("_kdc_login_at", 12 * 3600 + 1)])
def test_idle_and_absolute_timeouts_end_a_session(sqlite_demo_app, key, age):
    web = login(sqlite_demo_app.test_client(), LEAD, "en")
    assert web.get("/team").status_code == 200
    with web.session_transaction() as sess:
        sess[key] = int(sess[key]) - age
        if key == "_kdc_login_at":
            sess["_kdc_seen_at"] = int(sess["_kdc_seen_at"])  # used just now
    resp = web.get("/team", follow_redirects=True)
    assert "/login" in resp.request.path
    assert "Your session has ended" in resp.get_data(as_text=True)
    with web.session_transaction() as sess:
        assert "_user_id" not in sess and sess.get("lang") == "en"


def test_an_active_session_is_kept_alive_by_use(sqlite_demo_app):
    web = login(sqlite_demo_app.test_client(), LEAD)
    with web.session_transaction() as sess:
        sess["_kdc_seen_at"] = int(sess["_kdc_seen_at"]) - 29 * 60
    assert web.get("/team").status_code == 200
    with web.session_transaction() as sess:
        sess["_kdc_seen_at"] = int(sess["_kdc_seen_at"]) - 29 * 60
    assert web.get("/team").status_code == 200  # the request before renewed it


def test_signing_in_starts_a_fresh_session_with_a_new_csrf_token(sqlite_demo_app):
    sqlite_demo_app.config["WTF_CSRF_ENABLED"] = True
    web = sqlite_demo_app.test_client()
    before = _csrf(web)
    with web.session_transaction() as sess:
        sess["planted"] = "by someone else"
        raw_before = sess["csrf_token"]
    resp = web.post("/login", data={"email": LEAD, "password": PASSWORD, "csrf_token": before})
    assert resp.status_code == 302
    with web.session_transaction() as sess:
        assert "planted" not in sess and sess.get("csrf_token") != raw_before
    # The token of the signed-out page is no good any more; the new page's token is.
    resp = web.post("/tokens", data={"name": "x", "days": "30", "csrf_token": before})
    assert resp.status_code == 400
    page = web.get("/tokens").get_data(as_text=True)
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert fresh.group(1) != before


# --- what the audit log says -------------------------------------------------------------------


def test_sign_in_and_out_are_audited_without_secrets(sqlite_demo_app):
    app = sqlite_demo_app
    web = app.test_client()
    assert web.post("/login", data={"email": LEAD, "password": "wrong-pass"}).status_code == 400
    typo = "kdc-demo-typed-as-email"
    assert web.post("/login", data={"email": typo, "password": PASSWORD}).status_code == 400
    login(web, LEAD)
    web.post("/logout")
    failed = _events(app, "auth:sign_in_failed")
    assert [e.data.get("reason") for e in failed] == ["wrong_password", "unknown_account"]
    assert failed[0].data["email"] == LEAD and failed[0].actor == "anonymous"
    assert failed[1].subject_id == "unknown" and "email" not in failed[1].data
    ok = _events(app, "auth:sign_in")
    assert len(ok) == 1 and ok[0].actor == LEAD and ok[0].client_addr == "127.0.0.1"
    assert len(_events(app, "auth:sign_out")) == 1
    with app.app_context():
        everything = " ".join(str(e.data) for e in get_session().scalars(select(AuditEvent)))
    for secret in ("wrong-pass", typo):
        assert secret not in everything
