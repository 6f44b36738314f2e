"""The to-do landing page of every role and the purchase timeline, in Chromium.

Each role signs in through the form and lands on its to-do list ("할 일"); a member's
individual request is followed on its timeline from 요청 to 기관 승인 as the lead confirms
it from the lead's to-do list and the provider approves it from the provider's.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import shot

ANNALS = "joseon-annals-original"


def _errors(*users) -> list[str]:
    """Script errors of the pages (a missing favicon's 404 is not one of them)."""
    return [e for u in users for e in u.errors if "404" not in e]


def _land(user_factory, email: str):
    user = user_factory()
    user.email = email
    user.login(landing=None)
    page = user.page
    expect(page).to_have_url(re.compile(r"/todo$"))
    expect(page.locator("h1")).to_have_text("할 일")
    expect(page.locator("nav a.todo-link")).to_have_attribute("aria-current", "page")
    return user


def test_every_role_lands_on_its_to_do_list(user_factory):
    for email, text in (
        ("naver-member@kdc.test", "지금 처리할 일이 없습니다."),
        ("nikh@kdc.test", None),
        ("admin@kdc.test", "평가 차수"),
        ("auditor@kdc.test", "감사 체인을 검증한 적이 없습니다"),
    ):
        user = _land(user_factory, email)
        if text:
            expect(user.page.locator("main")).to_contain_text(text)
        assert not _errors(user), (email, user.errors)
    shot(user.page, "todo-auditor")


def test_a_request_moves_along_its_timeline_as_each_role_acts_from_the_to_do_list(user_factory):
    member = user_factory("naver-member@kdc.test")
    page = member.page
    page.goto(f"/datasets/{ANNALS}")
    offer = page.locator("section.offer", has_text="개별 구매")
    offer.get_by_role("button", name="개별 구매 요청").click()
    page.wait_for_url(re.compile(r"/purchases/\d+$"))
    pid = int(page.url.rsplit("/", 1)[1])
    # One message, saying the lead confirms next (no "sent to the provider" beside it).
    flashes = page.locator(".flash")
    expect(flashes).to_have_count(1)
    expect(flashes).to_contain_text("리더의 확정을 기다립니다")
    timeline = page.get_by_role("list", name="구매 단계")
    expect(timeline.locator("li")).to_have_count(5)
    expect(timeline.locator("li")).to_have_text(
        [re.compile(t) for t in ("요청", "리더 확정", "기관 승인", "약관 동의", "내려받기")]
    )
    expect(timeline.locator('li[aria-current="step"]')).to_contain_text("리더 확정")
    expect(page.locator(f"#purchase-{pid} .tag.status-lead_pending")).to_have_text("리더 확정 대기")
    shot(page, "purchase-timeline")

    lead = _land(user_factory, "naver-lead@kdc.test")
    expect(lead.page.locator("#todo-count")).to_have_text("1")
    expect(lead.page.locator("#purchases-count")).to_have_text("1")
    shot(lead.page, "todo-lead")
    lead.page.locator('li[data-kind="confirm"] a', has_text=f"#{pid}").click()
    lead.page.get_by_role("button", name="우리 팀 참여 확정").click()
    expect(lead.page.locator(".flash-success")).to_contain_text("참여를 확정했습니다")
    timeline = lead.page.get_by_role("list", name="구매 단계")
    expect(timeline.locator('li[aria-current="step"]')).to_contain_text("기관 승인")
    expect(lead.page.locator(f"#purchase-{pid} .tag.status-lead_confirmed")).to_have_text(
        "제공 기관 승인 대기"
    )
    expect(lead.page.locator("#todo-count")).to_have_count(0)

    provider = _land(user_factory, "nikh@kdc.test")
    item = provider.page.locator('li[data-kind="approve"]', has_text=f"#{pid}")
    expect(item).to_be_visible()
    item.locator("a").first.click()
    provider.page.get_by_role("button", name="승인").click()
    expect(provider.page.locator(".flash-success")).to_contain_text(f"#{pid}")

    page.goto(f"/purchases/{pid}")
    timeline = page.get_by_role("list", name="구매 단계")
    expect(timeline.locator('li[data-step="approve"]')).to_have_class(re.compile("step-done"))
    expect(timeline.locator('li[aria-current="step"]')).to_contain_text("약관 동의")
    # The member's to-do list now asks to accept the licence terms.
    page.goto("/todo")
    expect(page.locator('li[data-kind="accept_terms"]')).to_contain_text("조선왕조실록 원문")
    assert not _errors(member, lead, provider)
