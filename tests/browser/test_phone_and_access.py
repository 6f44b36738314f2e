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

from tests.browser.conftest import PASSWORD, shot

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
# Phone screenshots for docs/screenshots: (role, kind of page) → file name.
PHONE_SHOTS = {
    ("anonymous", "/datasets/*"): "phone-dataset",
    ("lead", "/team"): "phone-team",
    ("provider", "/provider/datasets/*"): "phone-provider-dataset",
    ("auditor", "/auditor/teams"): "phone-auditor-teams",
}
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
            page.goto("/login?next=/")
            page.fill("#email", ROLES[role])
            page.fill("#password", PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(re.compile(r"^https?://[^/]+/$"))
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
            name = PHONE_SHOTS.pop((role, kind_of(urlsplit(path).path)), None)
            if name:
                shot(page, name)
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
        shot(page, "phone-catalog")
        page.locator(".chip").click()
        page.wait_for_url(re.compile(r"/(\?)?$"))
        expect(page.locator(".chip")).to_have_count(0)
        # Korean breaks between words, and a table's rows are cards labelled by column.
        page.goto("/datasets/joseon-annals-original")
        assert page.evaluate("getComputedStyle(document.body).wordBreak") == "keep-all"
        row = page.locator("table tbody tr").first
        assert row.evaluate("tr => getComputedStyle(tr).display") == "block"
        label = row.locator("td").first.get_attribute("data-label")
        assert label and label == page.locator("table thead th").first.inner_text().strip()
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
        shot(page, "catalog-filters")
    finally:
        context.close()


def tab_to(page, locator, limit: int = 120) -> None:
    """Press Tab until ``locator`` has the focus; every stop on the way shows its focus."""
    target = locator.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        outline = page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0; }"
        )
        assert outline, page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
        if page.evaluate("t => document.activeElement === t", target):
            return
    raise AssertionError(f"{locator} not reached with Tab")


def keyboard_login(page, email: str) -> None:
    page.goto("/login?next=/")
    tab_to(page, page.locator("#email"))
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


def test_a_purchase_with_the_keyboard_only(browser, server):
    lead_ctx = browser.new_context(base_url=server.url, locale="ko-KR")
    provider_ctx = browser.new_context(base_url=server.url, locale="ko-KR")
    try:
        page = lead_ctx.new_page()
        page.on("dialog", lambda d: d.accept())
        keyboard_login(page, "ncai-lead@kdc.test")
        tab_to(page, page.locator("#q"))
        page.keyboard.type("실록 원문")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"q="))
        tab_to(page, page.get_by_role("link", name="조선왕조실록 원문"))
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/datasets/joseon-annals-original$"))
        individual = page.locator("section.offer", has_text="개별 구매")
        tab_to(page, individual.get_by_role("button", name="개별 구매 요청"))
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/purchases/\d+$"))
        purchase = int(page.url.rsplit("/", 1)[1])
        expect(page.locator(".flash-success")).to_contain_text(f"#{purchase}")

        page = provider_ctx.new_page()
        page.on("dialog", lambda d: d.accept())
        keyboard_login(page, "nikh@kdc.test")
        tab_to(page, page.get_by_role("link", name="제공 기관 콘솔"))
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/provider/$"))
        item = page.locator(f"#queue-{purchase}")
        tab_to(page, item.get_by_role("button", name="승인"))
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/provider/$"))
        expect(page.locator(".flash-success")).to_contain_text(f"#{purchase}")
        expect(page.locator(f"#queue-{purchase}")).to_have_count(0)
    finally:
        lead_ctx.close()
        provider_ctx.close()


def test_provider_wizard_helps_while_typing_and_lists_uploaded_files(browser, server, tmp_path):
    ctx = browser.new_context(base_url=server.url, locale="ko-KR")
    try:
        page = ctx.new_page()
        page.on("dialog", lambda d: d.accept())
        keyboard_login(page, "nikh@kdc.test")
        page.goto("/provider/datasets/new")
        expect(page.locator(".step.current")).to_contain_text("데이터셋 설명")
        page.fill("#title_ko", "승정원 장계")
        page.fill("#title_en", "Royal Reports of the Secretariat, 1623")
        expect(page.locator("#slug")).to_have_value("royal-reports-of-the-secretariat-1623")
        page.fill("#slug", "royal-reports")
        page.fill("#title_en", "Royal Reports")
        expect(page.locator("#slug")).to_have_value("royal-reports")  # edited: left alone
        page.get_by_role("button", name="초안 만들기").click()
        page.wait_for_url(re.compile(r"/provider/datasets/royal-reports$"))
        expect(page.locator(".step.current")).to_contain_text("판매 조건 추가")

        page.locator("summary", has_text="판매 조건 추가").click()
        expect(page.locator("#min_teams")).to_be_hidden()
        page.select_option("#mode", "joint")
        expect(page.locator("#min_teams")).to_be_visible()
        page.fill("#price_krw", "450000000")
        expect(page.locator("#price_krw-words")).to_have_text("= 4억 5,000만 원")
        page.locator("#price_krw").scroll_into_view_if_needed()
        shot(page, "provider-wizard")

        page.locator("summary", has_text="새 버전").click()
        page.fill("#label", "2026.1")
        page.get_by_role("button", name="초안 버전 만들기").click()
        page.wait_for_url(re.compile(r"/versions/2026\.1$"))
        expect(page.locator("#version-summary")).to_contain_text("파일 0개")
        sample = tmp_path / "reports.csv"
        sample.write_bytes(b"year,text\n" + b"1623,report\n" * 17)
        page.set_input_files("#files", str(sample))
        page.get_by_role("button", name="올리기").click()
        expect(page.locator("#upload-list .all-done")).to_be_visible()
        # Without a reload, the list, the count and the size are the server's.
        expect(page.locator("#version-files tbody")).to_contain_text("reports.csv")
        expect(page.locator("#version-summary")).to_contain_text("파일 1개")
        expect(page.locator("#version-summary")).to_contain_text("214 B")
    finally:
        ctx.close()
