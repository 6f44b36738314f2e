"""Helpers for the test-client tests of the UI pages (tests/web/test_ui_*.py)."""

from __future__ import annotations

import html
import re

import pytest


def text_of(resp) -> str:
    """The page as a reader sees it: tags removed, entities decoded, spaces collapsed."""
    body = resp.get_data(as_text=True)
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def login(client, email: str, lang: str | None = None):
    resp = client.post("/login", data={"email": email, "password": "kdc-demo"})
    assert resp.status_code == 302, (email, resp.status_code)
    if lang:
        client.post(f"/lang/{lang}")
    return client


@pytest.fixture
def ui(sqlite_demo_app):
    """``ui(email, lang=None)`` → a test client signed in as that demo account."""

    def make(email: str | None = None, lang: str | None = None):
        client = sqlite_demo_app.test_client()
        if email:
            login(client, email, lang)
        elif lang:
            client.post(f"/lang/{lang}")
        return client

    return make


@pytest.fixture
def run(sqlite_demo_app):
    """``run(fn)`` calls ``fn(session)`` inside the app context and returns its result."""
    from catalog.db import get_session

    def call(fn):
        with sqlite_demo_app.app_context():
            session = get_session()
            try:
                return fn(session)
            finally:
                session.rollback()

    return call


def actor_for(session, email: str):
    from catalog.services.context import Actor
    from catalog.services.users import find_user

    return Actor.for_user(find_user(session, email))
