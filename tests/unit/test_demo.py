"""The demo catalogue: its content, the loader (idempotent), demo accounts and search.

The first group checks ``catalog.demo.data`` itself (no database): the catalogue covers
what SPEC §5 promises and every sample file is a well-formed file of its kind. The rest
runs on the demo database of each backend, as loaded by the real loader.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import struct
import wave
import zlib
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from catalog.demo import data as demo_data
from catalog.models import Base
from catalog.models.datasets import Dataset, DatasetObject, DatasetStatus, VersionStatus
from catalog.models.offers import Offer
from catalog.models.users import Role, User

MIN_PRICE, MAX_PRICE = 50_000_000, 3_000_000_000
TEAMS = ["naver", "upstage", "skt", "ncai", "lgai"]
INSTITUTIONS = ["NAK", "NIKH", "KOSTAT", "KIPO", "KBS", "MBC", "SBS", "EBS"]
# SPEC §6, written out rather than derived from the data, so that a missing account fails.
DEMO_ACCOUNTS = {
    "admin@kdc.test": ("admin", None, None),
    "auditor@kdc.test": ("auditor", None, None),
    **{f"{code.lower()}@kdc.test": ("provider", None, code) for code in INSTITUTIONS},
    **{f"{t}-lead@kdc.test": ("team_lead", t, None) for t in TEAMS},
    **{f"{t}-member@kdc.test": ("team_member", t, None) for t in TEAMS},
}
HANGUL = re.compile("[\uac00-\ud7a3]")


def _bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


# --- the catalogue's content ---------------------------------------------------------------


def test_catalogue_covers_institutions_modalities_and_sensitivities():
    datasets = demo_data.DATASETS
    assert 18 <= len(datasets) <= 30
    assert len({d["slug"] for d in datasets}) == len(datasets)
    assert {d["institution"] for d in datasets} == set(INSTITUTIONS)
    assert {d["modality"] for d in datasets} == {
        "text",
        "tabular",
        "image",
        "audio",
        "video",
        "multimodal",
    }
    assert {d["sensitivity"] for d in datasets} == {"open", "restricted", "deidentified_personal"}
    assert [t[0] for t in demo_data.TEAMS] == TEAMS


def test_every_dataset_is_described_in_korean_and_english():
    for d in demo_data.DATASETS:
        slug = d["slug"]
        assert HANGUL.search(d["title_ko"]) and HANGUL.search(d["description_ko"]), slug
        assert not HANGUL.search(d["title_en"]) and not HANGUL.search(d["description_en"]), slug
        assert len(d["description_en"]) > 60, slug
        assert any(HANGUL.search(k) for k in d["keywords"]), slug
        assert any(not HANGUL.search(k) for k in d["keywords"]), slug
        assert d["record_count"] > 0 and d["total_bytes"] > 0, slug
        assert d["languages"] and d["formats"], slug
        assert d["coverage_start"] <= d["coverage_end"], slug


def test_offers_follow_the_programme_rules_and_vary():
    modes, survives, quotas, uses_seen = set(), set(), 0, set()
    for d in demo_data.DATASETS:
        assert d["offers"], d["slug"]
        modes.add(frozenset(o["mode"] for o in d["offers"]))
        for o in d["offers"]:
            where = (d["slug"], o["mode"])
            assert type(o["price_krw"]) is int, where
            assert MIN_PRICE <= o["price_krw"] <= MAX_PRICE, where
            assert 12 <= o["term_months"] <= 36, where
            assert o["uses"] and set(o["uses"]) <= set(demo_data.ALL_USES), where
            assert o["attribution"], where
            if o["mode"] == "joint":
                assert 2 <= o["min_teams"] <= o["max_teams"] <= 5, where
                assert o["join_window_days"] > 0, where
            else:
                assert o["mode"] == "individual", where
                assert not {"min_teams", "max_teams", "join_window_days"} & set(o), where
            survives.add(o["survives_elimination"])
            quotas += o.get("download_quota") is not None
            uses_seen.update(o["uses"])
    # individual only, joint only, and both
    assert modes == {
        frozenset({"individual"}),
        frozenset({"joint"}),
        frozenset({"individual", "joint"}),
    }
    assert survives == {True, False}
    assert quotas >= 2
    assert uses_seen == set(demo_data.ALL_USES)


def _check_png(data: bytes) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(tag + body) & 0xFFFFFFFF == crc, tag
        chunks.append(tag)
        if tag == b"IDAT":
            idat += body
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 2) and width > 0 and height > 0
    assert len(zlib.decompress(idat)) == height * (1 + 3 * width)


def _check_sample_file(key: str, data: bytes) -> None:
    ext = key.rsplit(".", 1)[-1]
    if ext == "png":
        _check_png(data)
        return
    if ext == "wav":
        with wave.open(io.BytesIO(data)) as w:
            assert w.getnframes() > 0 and w.getnchannels() == 1 and w.getsampwidth() == 2
            assert len(w.readframes(w.getnframes())) == 2 * w.getnframes()
        return
    text = data.decode("utf-8")
    assert text.endswith("\n")
    if ext == "jsonl":
        rows = [json.loads(line) for line in text.splitlines()]
        assert rows and all(isinstance(r, dict) for r in rows)
    elif ext in ("csv", "tsv"):
        rows = list(csv.reader(io.StringIO(text), delimiter="\t" if ext == "tsv" else ","))
        assert len(rows) >= 2 and len({len(r) for r in rows}) == 1, key
    elif ext == "vtt":
        assert text.startswith("WEBVTT\n\n") and " --> " in text
    elif ext == "srt":
        assert text.startswith("1\n") and re.search(r"\d\d:\d\d:\d\d,\d{3} --> ", text)
    elif ext == "xml":
        ElementTree.fromstring(data)  # noqa: S314 - our own sample file
    else:
        assert ext == "txt", key


def test_sample_files_are_small_well_formed_and_marked_demo():
    total = 0
    for d in demo_data.DATASETS:
        files = d["files"]
        assert 2 <= len(files) <= 8, d["slug"]
        readme = _bytes(files["README.txt"]).decode()
        assert "(DEMO)" in readme and "데모" in readme, d["slug"]
        for key, content in files.items():
            data = _bytes(content)
            assert 0 < len(data) < 20_000, (d["slug"], key)
            _check_sample_file(key, data)
            total += len(data)
        exts = {k.rsplit(".", 1)[-1] for k in files}
        if d["modality"] == "image":
            assert "png" in exts, d["slug"]
        if d["modality"] == "audio":
            assert "wav" in exts, d["slug"]
    assert total < 300_000


# --- the loader ----------------------------------------------------------------------------


def _row_counts(session) -> dict[str, int]:
    return {
        t.name: session.execute(select(func.count()).select_from(t)).scalar_one()
        for t in Base.metadata.sorted_tables
    }


def test_loading_again_adds_nothing(demo_app, demo_session):
    from catalog.demo import load_demo

    before = _row_counts(demo_session)
    assert before["datasets"] == len(demo_data.DATASETS)
    assert before["users"] == len(DEMO_ACCOUNTS)
    added = load_demo(demo_session, demo_app.extensions["kdc_store"])
    assert added == 0
    demo_session.expire_all()
    assert _row_counts(demo_session) == before


def test_demo_command_is_idempotent(demo_app):
    result = demo_app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "0 datasets added" in result.output


def test_every_demo_account_exists_with_its_role(demo_session):
    users = {u.email: u for u in demo_session.scalars(select(User))}
    assert set(users) == set(DEMO_ACCOUNTS)
    for email, (role, team, inst) in DEMO_ACCOUNTS.items():
        user = users[email]
        assert user.role == Role(role) and user.active, email
        assert (user.team.code if user.team else None) == team, email
        assert (user.institution.code if user.institution else None) == inst, email


def test_every_demo_account_can_sign_in(sqlite_demo_app):
    for email, (role, _team, _inst) in DEMO_ACCOUNTS.items():
        client = sqlite_demo_app.test_client()
        resp = client.post("/login", data={"email": email, "password": "kdc-demo"})
        assert resp.status_code == 302, email
        with client.session_transaction() as sess:
            assert sess.get("_user_id"), email
        page = client.get("/").get_data(as_text=True)
        with sqlite_demo_app.test_request_context("/"):
            from catalog.web.formatting import role_label

            label = str(role_label(role))  # the role as the header names it, in Korean
        assert email in page and label in page, email


def test_every_dataset_is_published_with_offers_and_verified_files(demo_app, demo_session):
    store = demo_app.extensions["kdc_store"]
    specs = {d["slug"]: d for d in demo_data.DATASETS}
    datasets = demo_session.scalars(select(Dataset)).all()
    assert {d.slug for d in datasets} == set(specs)
    for ds in datasets:
        spec = specs[ds.slug]
        assert ds.status == DatasetStatus.PUBLISHED and ds.is_demo, ds.slug
        assert ds.institution.code == spec["institution"]
        active = [o for o in ds.offers if o.active]
        assert len(active) == len(spec["offers"]) >= 1, ds.slug
        published = [v for v in ds.versions if v.status == VersionStatus.PUBLISHED]
        assert len(published) == 1 and published[0].published_at, ds.slug
        version = published[0]
        objects = demo_session.scalars(
            select(DatasetObject).where(DatasetObject.version_id == version.id)
        ).all()
        assert sorted(o.key for o in objects) == sorted(spec["files"]), ds.slug
        assert version.object_count == len(objects)
        assert version.total_bytes == sum(o.size for o in objects)
        for obj in objects:
            stored = store.read_bytes(f"{version.prefix}/{obj.key}")
            assert len(stored) == obj.size, (ds.slug, obj.key)
            assert hashlib.sha256(stored).hexdigest() == obj.sha256, (ds.slug, obj.key)
            assert stored == _bytes(spec["files"][obj.key]), (ds.slug, obj.key)


def test_offers_are_stored_with_exact_terms(demo_session):
    offers = demo_session.scalars(
        select(Offer).join(Dataset).where(Dataset.slug == "patent-full-texts").order_by(Offer.id)
    ).all()
    assert [(o.mode.value, o.price_krw, o.term_months) for o in offers] == [
        ("joint", 2_400_000_000, 36),
        ("individual", 3_000_000_000, 36),
    ]
    assert offers[0].min_teams == 2 and offers[0].max_teams == 5
    assert offers[1].min_teams is None and offers[1].join_window_days is None


# --- search over the demo catalogue ---------------------------------------------------------

KIPO = {"patent-full-texts", "trademark-images", "design-registrations", "patent-abstracts-ko-en"}
KOSTAT = {
    "census-microdata",
    "household-income-expenditure",
    "economically-active-population",
    "kosis-statistical-tables",
}


@pytest.mark.parametrize(
    ("q", "must_include", "all_match"),
    [
        ("특허", KIPO, lambda d: d["institution"] == "KIPO"),
        (
            "방송",
            {"kbs-news-speech", "mbc-drama-scripts", "sbs-documentary-video", "ebs-lecture-video"},
            lambda d: d["institution"] in ("KBS", "MBC", "SBS", "EBS"),
        ),
        ("통계", KOSTAT, lambda d: d["institution"] == "KOSTAT"),
        (
            "음성",
            {"kbs-news-speech", "ebs-children-speech", "mbc-radio-talk-speech"},
            lambda d: d["modality"] in ("audio", "video", "multimodal"),
        ),
        (
            "자막",
            {"kbs-news-speech", "mbc-drama-scripts", "sbs-documentary-video"},
            lambda d: d["institution"] in ("KBS", "MBC", "SBS", "EBS", "NAK"),
        ),
        (
            "영상",
            {"sbs-documentary-video", "daehan-newsreels", "kbs-sign-language-news"},
            lambda d: d["modality"] in ("video", "multimodal"),
        ),
        (
            "실록",
            {"joseon-annals-original", "joseon-annals-translation"},
            lambda d: d["slug"].startswith("joseon-annals-"),
        ),
        ("census", {"census-microdata"}, lambda d: d["institution"] == "KOSTAT"),
    ],
)
def test_korean_two_syllable_search_finds_the_right_datasets(client, q, must_include, all_match):
    resp = client.get("/api/v1/datasets", query_string={"q": q, "limit": 100})
    assert resp.status_code == 200
    items = resp.json["items"]
    assert must_include <= {d["slug"] for d in items}, q
    assert all(all_match(d) for d in items), (q, [d["slug"] for d in items])
    assert resp.json["total"] == len(items)


# --- demo licences (``flask demo``) -----------------------------------------------------------


def test_every_demo_offer_has_its_licence_text(demo_session):
    from catalog.services.licence_texts import sha256_text

    offers = demo_session.scalars(select(Offer)).all()
    for offer in offers:
        doc = offer.current_document
        assert doc is not None and doc.version == 1, offer.id
        assert HANGUL.search(doc.text_ko) and doc.text_en
        assert doc.sha256 == sha256_text(doc.text)
    assert {o.kogl_type for o in offers} >= {None, 1, 3, 4}


def test_the_demo_licences_show_a_quota_in_use_an_ending_one_and_an_attestation_due(
    licensed_demo_app,
):
    from datetime import timedelta

    from catalog.db import get_session, utcnow
    from catalog.models.licenses import License
    from catalog.services.myteam import license_state
    from catalog.services.usage import current_usage

    with licensed_demo_app.app_context():
        session = get_session()
        lics = {(lic.team.code, lic.dataset.slug): lic for lic in session.scalars(select(License))}
        now = utcnow()
        quota = lics[("naver", "historical-manuscripts-ocr")]
        usage = current_usage(quota, now)
        assert license_state(quota, now) == "active" and quota.terms_accepted_sha256
        assert usage.allowed_objects == 50 and 0 < usage.objects < 50 and usage.bytes > 0
        ending = lics[("upstage", "census-microdata")]
        assert license_state(ending, now) == "expiring"
        assert ending.valid_until - now < timedelta(days=7)
        ended = lics[("skt", "nak-photo-archive")]
        assert ended.status.value == "expired" and ended.attested_at is None
        assert ended.attestation_due_at is not None
        assert (now - ended.attestation_due_at).days >= 9
        assert current_usage(ended, now).objects > 0


def test_loading_the_demo_licences_again_adds_nothing(licensed_demo_app):
    from catalog.db import get_session
    from catalog.demo import load_demo

    with licensed_demo_app.app_context():
        session = get_session()
        before = _row_counts(session)
        assert before["licenses"] == 3 and before["destruction_attestations"] == 0
        assert load_demo(session, licensed_demo_app.extensions["kdc_store"], licences=True) == 0
        session.expire_all()
        assert _row_counts(session) == before
