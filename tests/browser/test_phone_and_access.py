"""Every page of every role on a phone (390×844): nothing scrolls sideways, and axe-core
finds no serious or critical accessibility violation. A keyboard-only purchase.

The pages are found as a user finds them: from the landing page, following the links of
each page (one or two pages of each kind: one dataset stands for all datasets), so that a
page added later is checked without anyone listing it here.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, SHOTS

PHONE = {"width": 390, "height": 844}
ROLES = {
    "anonymous": "",
    "member": "naver-member@kdc.test",
    "lead": "naver-lead@kdc.test",
    "provider": "nikh@kdc.test",
    "auditor": "auditor@kdc.test",
    "admin": "admin@kdc.test",
}
# Links that are not pages to look at: files, exports, signed storage URLs.
NOT_PAGES = re.compile(
    r"(^/storage/|^/static/|^/api/|\.(csv|jsonl|json|ttl|txt|zip|pdf)$|/export|/download|"
    r"/files/|/raw/|croissant)"
)
PER_KIND = 2
MAX_PAGES = 60


def kind_of(path: str) -> str:
    """``/datasets/joseon-annals/versions/2025.1`` → ``/datasets/*/versions/*``."""
    parts = path.strip("/").split("/")
    out = []
    for i, part in enumerate(parts):
        named = i > 0 and parts[i - 1] in ("datasets", "versions", "teams", "users", "offers")
        out.append("*" if named or part.isdigit() else part)
    return "/" + "/".join(out)


def crawl(page, base: str):
    """Yield each page's path once it is loaded, breadth first from the landing page."""
    seen_kinds: dict[str, int] = {}
    seen: set[str] = set()
    # The landing page, and the catalogue with no match and with filters in force.
    queue = deque(["/", "/?q=zzqx", "/?q=실록&modality=text&joint=1"])
    visited = 0
    while queue and visited < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        kind = kind_of(urlsplit(path).path) + ("?" if urlsplit(path).query else "")
        if seen_kinds.get(kind, 0) >= PER_KIND:
            continue
        seen_kinds[kind] = seen_kinds.get(kind, 0) + 1
        response = page.goto(path)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        visited += 1
        yield path, response.status
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))")
        for href in hrefs:
            parts = urlsplit(href)
            if parts.netloc and f"{parts.scheme}://{parts.netloc}" != base:
                continue
            if not parts.path.startswith("/") or NOT_PAGES.search(parts.path):
                continue
            # Links with a query string: one per kind (a catalogue filter stands for all).
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                queue.append(target)


def widest(page) -> str:
    """The elements that stick out on the right, for the failure message."""
    return page.evaluate(
        """() => {
        const w = window.innerWidth, out = [];
        for (const el of document.querySelectorAll('body *')) {
          const r = el.getBoundingClientRect();
          if (r.right > w + 1 && r.width > 0) {
            out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
              (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') +
              ' ' + Math.round(r.right));
          }
        }
        return out.slice(0, 6).join(', ');
      }"""
    )


def serious(results) -> list[str]:
    found = []
    for v in results.response["violations"]:
        if v["impact"] in ("serious", "critical"):
            targets = [", ".join(n["target"]) for n in v["nodes"][:3]]
            found.append(f"{v['id']} ({v['impact']}): {v['help']} — {targets}")
    return found


@pytest.fixture(scope="module")
def server(templates, tmp_path_factory):
    """The demo catalogue with its demo licences: purchases, licences, renewals and
    attestations give the team, provider and auditor pages something to show."""
    from tests.live import LiveServer

    tmp = tmp_path_factory.mktemp("browser-phone")
    url, storage, _ = templates("sqlite", True, True).instantiate(tmp, None)
    srv = LiveServer(url, storage, tmp / "instance").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_fits_a_phone_and_passes_axe(role, browser, server, axe):
    context = browser.new_context(
        base_url=server.url, locale="ko-KR", viewport=PHONE, device_scale_factor=1
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        if ROLES[role]:
            page.goto("/login")
            page.fill("#email", ROLES[role])
            page.fill("#password", PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(re.compile(r"/$"))
        problems: dict[str, list[str]] = {}
        pages = []
        for path, status in crawl(page, server.url.rstrip("/")):
            pages.append(path)
            found = []
            if status >= 500:
                found.append(f"HTTP {status}")
            fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            if not fits:
                found.append(f"scrolls sideways: {widest(page)}")
            found += serious(axe.run(page))
            if found:
                problems[path] = found
        assert len(pages) >= (3 if role == "anonymous" else 6), pages
        assert not problems, "\n".join(f"{p}: {'; '.join(f)}" for p, f in problems.items())
        assert not errors, errors
    finally:
        context.close()


def test_phone_catalogue_has_filters_in_a_drawer_below_the_search_box(browser, server):
    context = browser.new_context(base_url=server.url, locale="ko-KR", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto("/")
        drawer = page.locator("details[data-drawer]")
        search = page.locator("#q")
        expect(drawer).not_to_have_attribute("open", "")
        assert drawer.bounding_box()["y"] > search.bounding_box()["y"]
        first_card = page.locator("article.card").first
        # The first dataset is on the first screen, not below five boxes of filters.
        assert first_card.bounding_box()["y"] < PHONE["height"]
        drawer.locator("summary").click()
        page.locator("input[name=modality][value=audio]").check()
        page.wait_for_url(re.compile(r"modality=audio"))
        expect(page.locator(".chip")).to_have_text(re.compile("오디오|음성"))
        expect(page.locator(".apply-filters")).to_be_hidden()
        page.screenshot(path=str(SHOTS / "phone-catalog.png"))
        page.locator(".chip").click()
        page.wait_for_url(re.compile(r"/(\?)?$"))
        expect(page.locator(".chip")).to_have_count(0)
    finally:
        context.close()


def test_desktop_filters_apply_at_once_and_keep_the_focus(browser, server):
    context = browser.new_context(
        base_url=server.url, locale="ko-KR", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        page.goto("/?q=실록")
        expect(page.locator("details[data-drawer]")).to_have_attribute("open", "")
        expect(page.locator(".results mark").first).to_have_text("실록")
        page.locator("input[name=joint]").check()
        page.wait_for_url(re.compile(r"joint=1"))
        expect(page.locator("input[name=joint]")).to_be_focused()
        expect(page.locator(".chip")).to_have_text(re.compile("공동 구매 가능"))
        expect(page.locator("article.card .price").first).to_contain_text("팀당")
    finally:
        context.close()
