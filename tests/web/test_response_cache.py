"""The public reads served again from memory: never stale after a commit, never shared
personal data (CSRF tokens, signed-in pages)."""

from __future__ import annotations

import re

from sqlalchemy import select

from catalog.db import get_session, transaction
from catalog.models import Dataset
from tests.web.conftest import login

SLUG = "joseon-annals-original"


def _rename(app, title: str) -> None:
    with app.app_context():
        session = get_session()
        with transaction(session):
            ds = session.scalar(select(Dataset).where(Dataset.slug == SLUG))
            ds.title_en = title


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_commit_shows_at_once_in_the_api_and_the_pages(sqlite_demo_app):
    client = sqlite_demo_app.test_client()
    client.post("/lang/en")
    for _ in range(2):  # the second read comes from the cache
        assert client.get(f"/api/v1/datasets/{SLUG}").json["title_en"] != "Renamed annals"
        assert "Renamed annals" not in client.get(f"/datasets/{SLUG}").text
    _rename(sqlite_demo_app, "Renamed annals")
    assert client.get(f"/api/v1/datasets/{SLUG}").json["title_en"] == "Renamed annals"
    assert "Renamed annals" in client.get(f"/datasets/{SLUG}").text
    # The catalogue highlights the matched word (<mark>annals</mark>): compare the text.
    assert "Renamed annals" in re.sub(r"<[^>]+>", "", client.get("/?q=annals").text)


def test_conditional_requests_still_answer_304(sqlite_demo_app):
    client = sqlite_demo_app.test_client()
    first = client.get("/api/v1/datasets")
    again = client.get("/api/v1/datasets", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    _rename(sqlite_demo_app, "Renamed annals")
    changed = client.get("/api/v1/datasets", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]


def test_each_visitor_gets_a_working_csrf_token_of_their_own(sqlite_demo_app):
    sqlite_demo_app.config["WTF_CSRF_ENABLED"] = True
    alice, bob = sqlite_demo_app.test_client(), sqlite_demo_app.test_client()
    pages = [alice.get("/").text, bob.get("/").text, alice.get("/").text, bob.get("/").text]
    tokens = [_token(p) for p in pages]
    assert tokens[0] != tokens[1]
    assert "kdc-csrf" not in "".join(pages)
    # The language switch (a CSRF-protected form) works with the token of a cached page.
    resp = bob.post("/lang/en", data={"csrf_token": tokens[3], "next": "/"})
    assert resp.status_code == 302
    assert '<html lang="en">' in bob.get("/").text
    # Another visitor's token is refused.
    assert alice.post("/lang/en", data={"csrf_token": tokens[1]}).status_code == 400


def test_signed_in_pages_are_not_shared(sqlite_demo_app):
    anonymous, member = sqlite_demo_app.test_client(), sqlite_demo_app.test_client()
    anonymous.get(f"/datasets/{SLUG}")
    login(member, "naver-member@kdc.test")
    page = member.get(f"/datasets/{SLUG}").text
    assert "naver-member@kdc.test" in page
    assert "naver-member@kdc.test" not in anonymous.get(f"/datasets/{SLUG}").text
