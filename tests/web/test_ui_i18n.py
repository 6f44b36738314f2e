"""Korean first: every UI string has a Korean translation, the compiled catalogue is
current, pages default to Korean and switch to English, money and dates follow the locale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.web.conftest import text_of

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "catalog/translations/ko/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")


def _po(path):
    with open(path, "rb") as fh:
        return read_po(fh)


def _key(msgid):
    return tuple(msgid) if isinstance(msgid, list | tuple) else msgid


def test_every_ui_string_has_a_korean_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [
            str(pybabel),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        check=True,
        cwd=ROOT,
    )
    wanted = {m.id for m in _po(pot) if m.id}
    catalogue = _po(PO)
    translated = {
        m.id
        for m in catalogue
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    missing = sorted(str(m) for m in wanted - translated)
    assert not missing, f"untranslated (run `make translations`, then translate): {missing[:20]}"


def test_the_compiled_catalogue_matches_the_po_file():
    po = {_key(m.id): _key(m.string) for m in _po(PO) if m.id}
    with open(MO, "rb") as fh:
        mo = {_key(m.id): _key(m.string) for m in read_mo(fh) if m.id}
    assert mo == po, "messages.mo is stale: run `make translations`"


def test_placeholders_survive_translation():
    import re

    for m in _po(PO):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        want = set(re.findall(r"%\(\w+\)[sd]", ids[-1]))
        for s in strings:
            assert set(re.findall(r"%\(\w+\)[sd]", s)) == want, m.id


def test_pages_are_korean_by_default_and_english_on_request(ui):
    korean = ui()
    page = text_of(korean.get("/"))
    assert "데이터셋 22개" in page and "필터 적용" in page and "로그인" in page
    assert "Apply filters" not in page
    english = ui(lang="en")
    page = text_of(english.get("/"))
    assert "22 datasets" in page and "Apply filters" in page and "필터 적용" not in page


def test_money_and_dates_follow_the_locale(ui, run):
    from catalog.services import purchasing
    from tests.web.conftest import actor_for

    def open_joint(session):
        from sqlalchemy import select

        from catalog.models.datasets import Dataset
        from catalog.models.offers import Offer, OfferMode

        offer = session.scalar(
            select(Offer.id)
            .join(Dataset)
            .where(Dataset.slug == "joseon-annals-original", Offer.mode == OfferMode.JOINT)
        )
        return purchasing.request_purchase(
            session,
            actor_for(session, "naver-lead@kdc.test"),
            dataset="joseon-annals-original",
            offer=offer,
        ).id

    pid = run(open_joint)
    ko = text_of(ui("naver-lead@kdc.test").get(f"/purchases/{pid}"))
    en = text_of(ui("naver-lead@kdc.test", lang="en").get(f"/purchases/{pid}"))
    assert "₩600,000,000" in ko and "₩600,000,000" in en
    # One date format in both languages, in Korean time with a four-digit year:
    # "2026-12-28 15:09".
    import re

    assert re.search(r"20\d\d-\d\d-\d\d \d\d:\d\d", ko)
    assert re.search(r"20\d\d-\d\d-\d\d \d\d:\d\d", en)
    assert not re.search(r"(오전|오후) \d{1,2}:\d\d|\d{1,2}/\d{1,2}/\d\d,", ko + en)
    assert "남음" in ko and " left" in en
