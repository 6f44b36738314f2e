"""The journeys of every role, in a real Chromium against a real server process.

They run in order and share one server: the joint purchase opened in journey 1 is joined
in 2, approved in 3 and downloaded from in 4; the auditor reviews it in 6. Every journey
ends in an assertion on what its user sees (the Korean UI, the default).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from catalog.web.formatting import josa
from tests.browser.conftest import shot

ANNALS = "joseon-annals-original"
STATE: dict = {}


def db(server, fn):
    from catalog.db import get_session

    with server.app.app_context():
        session = get_session()
        try:
            return fn(session)
        finally:
            session.rollback()


def balance(server, code: str) -> int:
    from catalog.models.teams import Team

    return db(server, lambda s: s.scalar(select(Team.balance_krw).where(Team.code == code)))


def won(amount: int) -> str:
    return f"₩{amount:,}"


def test_1_naver_member_searches_opens_dataset_and_opens_a_joint_purchase(user_factory, server):
    anonymous = user_factory()
    anonymous.page.goto("/?q=실록")
    expect(anonymous.page.locator("html")).to_have_attribute("lang", "ko")
    shot(anonymous.page, "catalog")

    member = user_factory("naver-member@kdc.test")
    page = member.page
    page.fill("#q", "실록")
    page.press("#q", "Enter")
    expect(page.locator(".results")).to_contain_text("데이터셋 2개")
    page.get_by_role("link", name="조선왕조실록 원문").click()
    expect(page.locator("h1")).to_have_text("조선왕조실록 원문")
    joint = page.locator("section.offer", has_text="공동 구매")
    expect(joint.locator(".badge.yes", has_text="AI 학습")).to_be_visible()
    expect(joint.locator(".badge.no", has_text="재배포")).to_be_visible()
    expect(joint.locator(".price")).to_have_text("₩600,000,000")
    shot(page, "dataset")
    joint.get_by_role("button", name="공동 구매 열기").click()

    page.wait_for_url(re.compile(r"/purchases/\d+$"))
    STATE["purchase"] = int(page.url.rsplit("/", 1)[1])
    card = page.locator(f"#purchase-{STATE['purchase']}")
    expect(page.locator(".flash-success")).to_contain_text(f"공동 구매 #{STATE['purchase']}")
    expect(card.locator(".tag.status-open")).to_have_text("모집 중")
    expect(card.locator('td.share[data-team="naver"]')).to_have_text("₩600,000,000")
    # The deadline counts down in the browser (30 days from now).
    expect(card.locator("time[data-countdown]")).to_have_text(re.compile(r"^29일 23시간 .*남음$"))
    assert not member.errors, member.errors

    # The member's request counts once a lead of naver confirms it.
    lead = user_factory("naver-lead@kdc.test")
    lead.page.goto(f"/purchases/{STATE['purchase']}")
    lead.page.get_by_role("button", name="우리 팀 참여 확정").click()
    expect(lead.page.locator(".flash-success")).to_contain_text("참여를 확정했습니다")
    expect(lead.page.locator(f"#purchase-{STATE['purchase']} tbody tr").first).to_contain_text("✓")


def test_2_upstage_lead_joins_from_the_board_and_the_opener_closes(user_factory, server):
    pid = STATE["purchase"]
    lead = user_factory("upstage-lead@kdc.test")
    page = lead.page
    page.locator("nav a.purchases-link").click()
    card = page.locator(f"#purchase-{pid}")
    expect(card.locator('td.share[data-team="naver"]')).to_have_text("₩600,000,000")
    expect(card.locator(".preview")).to_contain_text("₩300,000,000")
    shot(page, "joint-purchases")
    card.get_by_role("button", name="참여").click()
    expect(page.locator(".flash-success")).to_contain_text(f"구매 #{pid}에 참여했습니다")
    card = page.locator(f"#purchase-{pid}")
    # The share halves: each of the two teams now pays ₩300,000,000.
    expect(card.locator('td.share[data-team="naver"]')).to_have_text("₩300,000,000")
    expect(card.locator('td.share[data-team="upstage"]')).to_have_text("₩300,000,000")

    opener = user_factory("naver-member@kdc.test")
    opener.page.goto(f"/purchases/{pid}")
    opener.page.get_by_role("button", name="참여 마감").click()
    expect(opener.page.locator(".flash-success")).to_contain_text(
        josa(f"구매 #{pid}", "을/를") + " 마감했습니다"
    )
    expect(opener.page.locator(f"#purchase-{pid} .tag.status-pending_approval")).to_have_text(
        "제공 기관 승인 대기"
    )


def test_3_nikh_approves_and_both_teams_see_a_licence_and_a_lower_balance(user_factory, server):
    pid = STATE["purchase"]
    before = {code: balance(server, code) for code in ("naver", "upstage")}
    provider = user_factory("nikh@kdc.test")
    page = provider.page
    page.get_by_role("link", name="제공 기관 콘솔").click()
    item = page.locator(f"#queue-{pid}")
    # Shares and lead confirmations, never a team's balance (catalog/policy.py).
    expect(item).to_contain_text("₩300,000,000")
    expect(item).not_to_contain_text(won(before["naver"]))
    expect(item).not_to_contain_text(won(before["upstage"]))
    shot(page, "provider-console")
    item.get_by_role("button", name="승인").click()
    expect(page.locator(".flash-success")).to_contain_text(
        josa(f"구매 #{pid}", "을/를") + " 승인했습니다"
    )
    expect(page.locator(f"#queue-{pid}")).to_have_count(0)

    for email, code in (("naver-member@kdc.test", "naver"), ("upstage-lead@kdc.test", "upstage")):
        member = user_factory(email)
        member.page.get_by_role("link", name="우리 팀").click()
        row = member.page.locator(f'tr[data-dataset="{ANNALS}"]')
        expect(row.locator(".tag")).to_have_text("유효")
        expect(member.page.locator("#balance")).to_have_text(won(before[code] - 300_000_000))
        if code == "naver":
            shot(member.page, "my-team")


def test_4_naver_member_accepts_the_terms_and_downloads_a_file(user_factory, server):
    from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion

    member = user_factory("naver-member@kdc.test")
    page = member.page
    page.goto("/team")
    page.locator(f'tr[data-dataset="{ANNALS}"]').get_by_role("link").last.click()
    expect(page.locator(".info-box")).to_contain_text("조건에 동의하십시오")
    expect(page.locator("a.download")).to_have_count(0)
    page.get_by_label("이 조건을 읽었으며 우리 팀을 대표해 동의합니다.").check()
    page.get_by_role("button", name="조건에 동의").click()
    expect(page.locator("#accepted")).to_contain_text("팀을 대표해 동의했습니다")
    expect(page.locator("#fetch-cmd")).to_contain_text(f"kdc fetch {ANNALS} --version 2025.1")
    shot(page, "licence")

    key = "sejong/001.jsonl"
    row = page.locator("tr", has=page.locator(f"td:text-is('{key}')"))
    with page.expect_download() as info:
        row.get_by_role("link", name="내려받기").click()
    download = info.value
    data = Path(download.path()).read_bytes()
    expected = db(
        server,
        lambda s: s.scalar(
            select(DatasetObject.sha256)
            .join(DatasetVersion)
            .join(Dataset)
            .where(Dataset.slug == ANNALS, DatasetObject.key == key)
        ),
    )
    assert download.suggested_filename == "001.jsonl"
    assert len(data) > 0 and hashlib.sha256(data).hexdigest() == expected


def test_5_skt_member_without_licence_gets_a_clear_refusal(user_factory, server):
    member = user_factory("skt-member@kdc.test")
    page = member.page
    page.goto(f"/datasets/{ANNALS}")
    expect(page.locator(".holding")).to_contain_text("아직 이 데이터셋의 라이선스가 없습니다")
    expect(page.locator(".licensed-by")).to_have_text("naver, upstage")
    # A shared download link: refused with a page that says why and what to do.
    resp = page.goto(f"/datasets/{ANNALS}/download/README.txt?version=2025.1")
    assert resp.status == 403
    expect(page.locator("h1")).to_have_text("내려받기 거부")
    expect(page.locator(".refused .lead")).to_have_text(
        "우리 팀은 이 데이터셋의 라이선스가 없습니다. 데이터셋 페이지에서 구매를 요청하면 "
        "접근할 수 있습니다."
    )
    expect(page.locator(".refused")).to_contain_text("license_required")
    page.get_by_role("link", name="데이터셋과 판매 조건 보기").click()
    expect(page.locator("section.offer").first).to_be_visible()


def test_6_the_auditor_reviews_the_purchase_verifies_the_chain_and_exports(user_factory, server):
    pid = STATE["purchase"]
    auditor = user_factory("auditor@kdc.test")
    page = auditor.page
    page.get_by_role("link", name="감사").click()
    page.goto("/auditor/purchases")
    expect(page.locator("main")).to_contain_text(ANNALS)
    expect(page.locator("main")).to_contain_text("₩600,000,000")
    shot(page, "auditor-purchases")
    page.goto("/auditor/teams")
    naver = page.locator("table.audit-table tr", has=page.locator("th", has_text="naver")).first
    expect(naver).to_contain_text(ANNALS)  # held jointly
    expect(naver).to_contain_text("₩300,000,000")  # its half of the joint price
    page.goto("/auditor/chain")
    page.get_by_role("button", name="지금 전체 체인 검증").click()
    expect(page.locator(".flash-success, .flash")).to_contain_text("체인 검증 성공")
    page.goto("/auditor/purchases")
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").first.click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert ANNALS in text and str(pid) in text and "300000000" in text.replace(",", "")


def test_7_admin_eliminates_a_team_and_its_licences_show_revoked(user_factory, server):
    from catalog.models.offers import Offer, OfferMode
    from catalog.services import purchasing
    from catalog.services.context import Actor
    from catalog.services.users import find_user

    # lgai buys the Annals individually (terms revoked on elimination), approved by NIKH.
    def buy(session):
        offer = session.scalar(
            select(Offer.id)
            .join(Offer.dataset)
            .where(Offer.mode == OfferMode.INDIVIDUAL, Offer.dataset.has(slug=ANNALS))
        )
        lead = Actor.for_user(find_user(session, "lgai-lead@kdc.test"))
        p = purchasing.request_purchase(session, lead, dataset=ANNALS, offer=offer)
        nikh = Actor.for_user(find_user(session, "nikh@kdc.test"))
        purchasing.approve_purchase(session, nikh, p.id)

    db(server, buy)
    admin = user_factory("admin@kdc.test")
    page = admin.page
    page.get_by_role("link", name="관리").click()
    page.goto("/admin/teams/lgai/eliminate")
    expect(page.locator(f'.revoke-list li[data-dataset="{ANNALS}"]')).to_be_visible()
    page.get_by_label("평가 차수").select_option("1")
    page.get_by_label("확인을 위해 팀 코드를 입력하십시오").fill("lgai")
    shot(page, "admin-eliminate")
    page.get_by_role("button", name="lgai 탈락 처리").click()
    expect(page.locator(".flash-success")).to_contain_text("라이선스 1개 취소")
    row = page.locator(f'tr[data-dataset="{ANNALS}"]')
    expect(row.locator(".tag")).to_have_text("취소됨")

    member = user_factory("lgai-member@kdc.test")
    member.page.goto("/team")
    expect(member.page.locator(f'tr[data-dataset="{ANNALS}"] .tag')).to_have_text("취소됨")
    expect(member.page.locator(".warn-box")).to_contain_text("1차 평가에서 탈락했습니다")


@pytest.mark.parametrize("path", ["/", f"/datasets/{ANNALS}", "/login"])
def test_pages_switch_to_english(user_factory, path):
    visitor = user_factory()
    page = visitor.page
    page.goto(path)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="한국어")).to_be_visible()
    assert page.url.endswith(path)


def test_8_provider_uploads_files_from_the_browser_and_publishes(user_factory, server, tmp_path):
    """upload.js + sha256.js: hashes in the page, presigned PUT with progress, server check."""
    from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion

    small = tmp_path / "note.txt"
    small.write_text("조선왕조실록 보유 목록\n" * 50, encoding="utf-8")
    big = tmp_path / "bulk.bin"
    big.write_bytes(bytes(range(256)) * 40_000 + b"tail")  # 10 MB: several hashing chunks
    provider = user_factory("nikh@kdc.test")
    page = provider.page
    page.goto(f"/provider/datasets/{ANNALS}")
    page.locator("summary", has_text="새 버전").click()
    page.get_by_label("버전 이름").fill("2026.2")
    page.get_by_role("button", name="초안 버전 만들기").click()
    expect(page.locator("h1")).to_contain_text("2026.2")
    page.set_input_files("#files", [str(small), str(big)])
    page.fill("#prefix", "extra")
    page.get_by_role("button", name="올리기", exact=True).click()
    expect(page.locator("#upload-list li.all-done")).to_be_visible(timeout=30_000)
    expect(page.locator("#upload-list li.done")).to_have_count(2)
    expect(page.locator("#upload-list progress").first).to_have_attribute("value", "100")
    shot(page, "provider-upload")
    assert not provider.errors, provider.errors
    page.reload()
    page.get_by_role("button", name="버전 게시").click()
    expect(page.locator(".flash-success")).to_contain_text("버전 2026.2를 게시했습니다")
    stored = db(
        server,
        lambda s: dict(
            s.execute(
                select(DatasetObject.key, DatasetObject.sha256)
                .join(DatasetVersion)
                .join(Dataset)
                .where(Dataset.slug == ANNALS, DatasetVersion.label == "2026.2")
            ).all()
        ),
    )
    assert stored == {
        "extra/note.txt": hashlib.sha256(small.read_bytes()).hexdigest(),
        "extra/bulk.bin": hashlib.sha256(big.read_bytes()).hexdigest(),
    }
