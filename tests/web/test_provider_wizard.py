"""The provider's path from a draft to a dataset on sale: the steps checklist, every form
error at once in the page's language, the web address name explained in plain words,
joint fields counted only for joint offers, and sales, licence and download figures."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.web.conftest import login, text_of

NEW = "/provider/datasets/new"


def errors_of(resp) -> dict[str, list[str]]:
    """The error messages shown under each field, by field id."""
    body = resp.get_data(as_text=True)
    out: dict[str, list[str]] = {}
    for field_id, block in re.findall(r'<div id="([a-z_]+)-err">(.*?)</div>', body, re.S):
        out[field_id] = [text_of_fragment(m) for m in re.findall(r"<p[^>]*>(.*?)</p>", block)]
    return out


def text_of_fragment(fragment: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def test_every_error_of_the_dataset_form_shows_at_once_in_korean(ui):
    nikh = ui("nikh@kdc.test")
    resp = nikh.post(
        NEW,
        data={
            "slug": "Bad Slug",
            "title_ko": "승정원 보고서",
            "title_en": "",
            "modality": "text",
            "sensitivity": "open",
            "record_count": "10",
            "coverage_start": "2020-06",
            "coverage_end": "18세기",
        },
    )
    assert resp.status_code == 400
    found = errors_of(resp)
    assert set(found) == {"slug", "title_en", "coverage_end"}
    assert found["slug"] == ["영문 소문자, 숫자, '-'만 쓸 수 있습니다. 예: joseon-annals-2025."]
    assert found["title_en"] == ["이 항목은 필수입니다."]
    assert "연도, 연-월 또는 날짜" in found["coverage_end"][0]
    assert "항목 3개를 고쳐야 합니다" in text_of(resp)
    # An end before the start is caught in the same round as the rest.
    resp = nikh.post(
        NEW,
        data={
            "slug": "royal-reports",
            "title_ko": "승정원 보고서",
            "title_en": "Royal reports",
            "modality": "text",
            "sensitivity": "open",
            "coverage_start": "1800",
            "coverage_end": "1700",
        },
    )
    assert errors_of(resp) == {"coverage_end": ["끝이 시작보다 앞섭니다."]}


def test_a_taken_address_name_is_refused_in_korean_and_the_field_is_explained(ui):
    nikh = ui("nikh@kdc.test")
    page = nikh.get(NEW)
    body = text_of(page)
    assert "주소 이름" in body and "영문 제목에서 자동으로 채워지며" in body
    assert "슬러그" not in body
    assert 'data-slug-from="title_en"' in page.get_data(as_text=True)
    resp = nikh.post(
        NEW,
        data={
            "slug": "joseon-annals-original",
            "title_ko": "중복",
            "title_en": "Duplicate",
            "modality": "text",
            "sensitivity": "open",
        },
    )
    assert resp.status_code == 400
    assert errors_of(resp) == {"slug": ["이미 쓰이는 주소 이름입니다."]}


def steps_of(resp) -> list[tuple[str, str]]:
    body = resp.get_data(as_text=True)
    return [
        (state, text_of_fragment(label).split(":", 1)[1].strip())
        for state, label in re.findall(r'<li class="step (\w+)"[^>]*>(.*?)</li>', body, re.S)
    ]


def test_steps_checklist_follows_the_draft_to_its_offer(ui, run):
    nikh = ui("nikh@kdc.test", lang="en")
    assert [s for s, _ in steps_of(nikh.get(NEW))] == ["current", "todo", "todo", "todo", "todo"]
    resp = nikh.post(
        NEW,
        data={
            "slug": "royal-reports",
            "title_ko": "승정원 보고서",
            "title_en": "Royal reports",
            "modality": "text",
            "sensitivity": "open",
        },
    )
    assert resp.status_code == 302
    page = nikh.get("/provider/datasets/royal-reports")
    assert [s for s, _ in steps_of(page)] == ["done", "current", "todo", "todo", "todo"]
    assert steps_of(page)[1][1].startswith("Add an offer")
    # An individual offer: whatever the (hidden) joint fields hold is not kept.
    resp = nikh.post(
        "/provider/datasets/royal-reports/offers",
        data={
            "mode": "individual",
            "price_krw": "90000000",
            "term_months": "12",
            "min_teams": "9",
            "max_teams": "2",
            "join_window_days": "",
            "uses": ["ai_training"],
        },
    )
    assert resp.status_code == 302, errors_of(resp)
    page = nikh.get("/provider/datasets/royal-reports")
    assert [s for s, _ in steps_of(page)] == ["done", "done", "current", "todo", "todo"]
    assert "data-joint-only" in page.get_data(as_text=True)
    assert 'data-krw-words=""' in page.get_data(as_text=True)

    from catalog.models.datasets import Dataset
    from catalog.models.offers import Offer

    offer = run(
        lambda s: s.execute(
            select(Offer.mode, Offer.min_teams, Offer.max_teams, Offer.join_window_days)
            .join(Dataset)
            .where(Dataset.slug == "royal-reports")
        ).one()
    )
    assert tuple(offer) == (offer[0], None, None, None) and offer[0].value == "individual"


def test_joint_offer_errors_all_at_once(ui):
    nikh = ui("nikh@kdc.test")
    resp = nikh.post(
        "/provider/datasets/seungjeongwon-diaries/offers",
        data={
            "mode": "joint",
            "price_krw": "",
            "term_months": "12",
            "min_teams": "4",
            "max_teams": "3",
            "join_window_days": "",
        },
    )
    assert resp.status_code == 400
    found = errors_of(resp)
    assert found["price_krw"] == ["이 항목은 필수입니다."]
    assert found["max_teams"] == ["최소 팀 수 이상이어야 합니다."]
    assert found["join_window_days"] == ["필수 항목입니다."]


@pytest.fixture
def licensed_sqlite_app(request, templates, tmp_path):
    from tests.conftest import _make_app

    yield from _make_app(request, templates, tmp_path, "sqlite", demo=True, licences=True)


def test_provider_console_shows_sales_licences_and_downloads_per_dataset(licensed_sqlite_app):
    from catalog.db import get_session
    from catalog.models.access import AccessGrant
    from catalog.models.datasets import Dataset
    from catalog.models.licenses import License, LicenseStatus
    from catalog.models.purchases import Purchase, PurchaseStatus

    slug = "historical-manuscripts-ocr"
    with licensed_sqlite_app.app_context():
        s = get_session()
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        provider = f"{ds.institution.code.lower()}@kdc.test"
        sold = s.scalars(
            select(Purchase.price_krw).where(
                Purchase.dataset_id == ds.id, Purchase.status == PurchaseStatus.APPROVED
            )
        ).all()
        in_force = len(
            s.scalars(
                select(License.id).where(
                    License.dataset_id == ds.id, License.status == LicenseStatus.ACTIVE
                )
            ).all()
        )
        batches = len(
            s.scalars(select(AccessGrant.id).where(AccessGrant.dataset_id == ds.id)).all()
        )
    assert sold and batches, "the demo licences sell this dataset and download from it"
    client = login(licensed_sqlite_app.test_client(), provider, "en")
    body = client.get("/provider/").get_data(as_text=True)
    row = re.search(rf'<tr><td><a href="/provider/datasets/{slug}">.*?</tr>', body, re.S).group(0)
    row_text = text_of_fragment(row)
    assert f"{len(sold)} sale" in row_text and f"₩{sum(sold):,}" in row_text
    assert re.search(r'class="num figure-licences">\s*' + str(in_force) + r"\s*<", row)
    assert f"{batches} batch" in row_text
