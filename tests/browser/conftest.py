"""Browser fixtures: one Chromium per session (Debian's, never a downloaded one), one
live server per module over a copy of the demo catalogue, a fresh context per user.

Run: ``.venv/bin/python -m pytest -q tests/browser``. Screenshots of the main pages are
written to ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("KDC_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "kdc-demo"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(templates, tmp_path_factory):
    """A real server process on 127.0.0.1 (demo catalogue on SQLite, local storage), shared
    by the journeys of one module; ``.app`` reads and prepares state through services."""
    from app import create_app
    from tests.conftest import _config
    from tests.live import LiveServer

    tmp = tmp_path_factory.mktemp("browser")
    url, storage, _ = templates("sqlite", True).instantiate(tmp, None)
    srv = LiveServer(url, storage, tmp / "instance").start()
    srv.app = create_app(_config(url, storage, SECRET_KEY="live-test-secret"))
    yield srv
    srv.stop()
    srv.app.extensions["kdc_engine"].dispose()


class User:
    """A signed-in browser user: its own context (cookies), page and base URL."""

    def __init__(self, browser, base: str, email: str):
        self.context = browser.new_context(
            base_url=base,
            locale="ko-KR",
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.email = email
        self.errors: list[str] = []
        # Answer every confirmation dialog with OK, as a user who means it.
        self.page.on("dialog", lambda d: d.accept())
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(
            "console",
            lambda m: (
                self.errors.append(m.text) if m.type == "error" and "403" not in m.text else None
            ),
        )
        if email:
            self.login()

    def login(self, landing: str | None = "/") -> None:
        """Sign in through the form. Signing in lands on the to-do list (``/todo``); the
        journeys start from the catalogue (``landing="/"``, the ``next`` of the form), and
        ``landing=None`` follows the default landing."""
        page = self.page
        page.goto("/login" if landing is None else f"/login?next={landing}")
        page.fill("#email", self.email)
        page.fill("#password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/todo$" if landing is None else re.escape(landing) + "$"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def user_factory(browser, server):
    made: list[User] = []

    def make(email: str = "") -> User:
        u = User(browser, server.url, email)
        made.append(u)
        return u

    yield make
    for u in made:
        u.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
