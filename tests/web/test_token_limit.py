"""Token creation has one limit, whether through the API or the web tokens page."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from catalog.db import get_session
from catalog.models.users import ApiToken, User
from tests.conftest import make_token
from tests.web.conftest import login, text_of

MEMBER = "naver-member@kdc.test"


def _count(app) -> int:
    with app.app_context():
        s = get_session()
        uid = s.scalar(select(User.id).where(User.email == MEMBER))
        return s.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == uid))


def test_the_tokens_page_and_the_api_share_one_allowance(sqlite_demo_app):
    app = sqlite_demo_app
    app.config["RATE_LIMIT_TOKEN_CREATE"] = (3, 3600)
    bearer = {"Authorization": f"Bearer {make_token(app, MEMBER)}"}  # set up outside the limit
    api = app.test_client()
    web = login(app.test_client(), MEMBER, "en")
    assert api.post("/api/v1/tokens", json={}, headers=bearer).status_code == 201
    assert api.post("/api/v1/tokens", json={}, headers=bearer).status_code == 201
    form = {"name": "page", "days": "30", "scopes": "data:read"}
    assert web.post("/tokens", data=form).status_code == 201
    before = _count(app)
    resp = web.post("/tokens", data=form)
    assert resp.status_code == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 3600
    assert "Too many API tokens were created lately" in text_of(resp)
    assert not re.search(r"kdc_[A-Za-z0-9_-]{20,}", resp.get_data(as_text=True))  # none shown
    refused = api.post("/api/v1/tokens", json={}, headers=bearer)
    assert refused.status_code == 429 and refused.json["code"] == "rate_limited"
    assert _count(app) == before
