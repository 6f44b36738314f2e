"""One Korean style: particles, short won, one date format, memos, readable event details."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from catalog.web.formatting import (
    dt,
    dt_utc,
    final_consonant,
    josa,
    krw,
    krw_short,
    particles,
    pretty_json,
)


@pytest.mark.parametrize(
    ("word", "pair", "expected"),
    [
        ("#2", "을/를", "#2를"),
        ("#3", "을/를", "#3을"),
        ("#10", "이/가", "#10이"),
        ("#16", "은/는", "#16은"),
        ("lgai", "이/가", "lgai가"),
        ("naver", "이/가", "naver가"),
        ("team", "이/가", "team이"),
        ("KBS", "이/가", "KBS가"),
        ("NLR", "은/는", "NLR은"),
        ("데이터셋", "을/를", "데이터셋을"),
        ("라이선스", "을/를", "라이선스를"),
        ("서울", "으로/로", "서울로"),
        ("부산항", "으로/로", "부산항으로"),
        ("기관", "과/와", "기관과"),
        ("“실록”", "이/가", "“실록”이"),
    ],
)
def test_particle_follows_the_final_consonant(word, pair, expected):
    assert josa(word, pair) == expected


def test_final_consonant_of_hangul_and_vowel_endings():
    assert final_consonant("각") == "ㄱ"
    assert final_consonant("가") is None
    assert final_consonant("") is None


def test_both_spellings_in_a_translation_are_resolved_by_the_word_before():
    assert particles("구매 #12을(를) 마감했습니다.") == "구매 #12를 마감했습니다."
    assert particles("구매 #13을(를) 승인했습니다.") == "구매 #13을 승인했습니다."
    assert particles("lgai이(가) 참여했습니다") == "lgai가 참여했습니다"
    assert particles("서울(으)로") == "서울로"
    # Markup stays markup; tags before the pair are looked through.
    from markupsafe import Markup

    out = particles(Markup("<strong>데이터</strong>을(를) 샀습니다"))
    assert isinstance(out, Markup) and str(out) == "<strong>데이터</strong>를 샀습니다"
    # Nothing to attach to: left as written.
    assert particles("을(를)") == "을(를)"


def test_money_exact_and_short():
    assert krw(20_000_000_000) == "₩20,000,000,000"
    assert krw(None) == "—"
    assert krw_short(16_000_000_000, "ko") == "160억 원"
    assert krw_short(450_000_000, "ko") == "4억 5,000만 원"
    assert krw_short(123_456_789, "ko") == "1억 2,345만 원"
    assert krw_short(9_999, "ko") == "9,999원"
    assert krw_short(-300_000_000, "ko") == "−3억 원"
    assert krw_short(20_000_000_000, "en") == "₩20B"
    assert krw_short(450_000_000, "en") == "₩450M"
    assert krw_short(999, "en") == "₩999"


def test_one_date_format_in_kst_with_a_four_digit_year():
    when = datetime(2026, 12, 3, 6, 11, 24, tzinfo=UTC)
    assert dt(when) == "2026-12-03 15:11"
    assert dt(when, "short") == dt(when, "medium") == dt(when, "full") == "2026-12-03 15:11"
    assert dt(when, "date") == "2026-12-03"
    # Late in the UTC day is the next day in Korea.
    assert dt(datetime(2026, 12, 31, 20, 0, tzinfo=UTC)) == "2027-01-01 05:00"
    assert dt(datetime(2026, 12, 3, 6, 11)) == "2026-12-03 15:11"  # naive = UTC
    assert dt("2026-12-03T06:11:24Z") == "2026-12-03 15:11"
    assert dt(date(2026, 12, 3)) == "2026-12-03"
    assert dt(None) == "—"


def test_auditor_times_show_utc_on_hover():
    html = str(dt_utc(datetime(2026, 12, 3, 6, 11, 24, tzinfo=UTC)))
    assert 'title="2026-12-03 06:11:24 UTC"' in html
    assert ">2026-12-03 15:11</time>" in html


def test_event_details_keep_hangul_readable():
    text = pretty_json({"note": "날씨", "n": 1})
    assert "날씨" in text and "\\u" not in text
    assert text.splitlines()[0] == "{"
