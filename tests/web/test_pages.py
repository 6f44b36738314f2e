"""Server-rendered pages through the Flask test client (no browser): catalog, dataset, login.

These run on the SQLite demo catalogue only; the pages do not depend on the database kind.
"""

from __future__ import annotations

import html
import re

import pytest

CARD = re.compile(r'<article class="card">.*?href="/datasets/([a-z0-9-]+)"', re.S)


@pytest.fixture
def web(sqlite_demo_app):
    client = sqlite_demo_app.test_client()
    # These tests read the English strings; Korean, the default, has its own tests
    # (tests/web/test_ui_i18n.py). Issue 7 edit: the UI is translated now.
    client.post("/lang/en")
    return client


def _page(resp) -> str:
    assert resp.content_type.startswith("text/html"), resp.content_type
    return html.unescape(resp.get_data(as_text=True))


def _cards(resp) -> list[str]:
    return CARD.findall(resp.get_data(as_text=True))


def _logged_in_user(client) -> str | None:
    with client.session_transaction() as sess:
        return sess.get("_user_id")


# --- catalog ---------------------------------------------------------------------------------


def test_catalog_page_lists_datasets_with_facets(web):
    resp = web.get("/")
    assert resp.status_code == 200
    page = _page(resp)
    assert "22 datasets" in page
    assert len(_cards(resp)) == 20  # the first page
    for label in ("조선왕조실록 원문", "특허 전문", "KBS 뉴스 음성·자막"):
        assert label in page
    # facets with counts, a search box, and a pager to the rest
    assert 'name="q"' in page and 'name="institution" value="KIPO"' in page
    assert 'name="modality" value="audio"' in page and 'name="sensitivity"' in page
    rest = web.get("/?page=2")
    assert len(_cards(rest)) == 2
    assert not set(_cards(rest)) & set(_cards(resp))


def test_catalog_card_shows_lowest_price_per_team_and_demo_tag(web):
    page = _page(web.get("/", query_string={"q": "조선왕조실록 원문"}))
    # ₩450,000,000 alone, or ₩600,000,000 split between up to five teams: ₩120,000,000 each.
    assert "from ₩120,000,000 per team" in page
    assert "(joint purchase shared by 5 teams)" in page
    assert "₩600,000,000" not in page and "₩450,000,000" not in page
    assert "demo data" in page


def test_search_for_annals_in_korean(web):
    resp = web.get("/", query_string={"q": "실록"})
    assert resp.status_code == 200
    assert sorted(_cards(resp)) == ["joseon-annals-original", "joseon-annals-translation"]
    page = _page(resp)
    # The matched word is marked in each title.
    assert "조선왕조<mark>실록</mark> 원문" in page and "조선왕조<mark>실록</mark> 국역본" in page
    assert "2 datasets" in page
    assert 'value="실록"' in page  # the query stays in the box


def test_search_without_match_says_so(web):
    resp = web.get("/", query_string={"q": "존재하지않는자료"})
    assert resp.status_code == 200 and _cards(resp) == []
    assert "No dataset matches" in _page(resp)


def test_facet_filter_narrows_the_results(web):
    all_slugs = _cards(web.get("/", query_string={"limit": 100}))
    kipo = web.get("/", query_string={"institution": "KIPO", "limit": 100})
    assert sorted(_cards(kipo)) == [
        "design-registrations",
        "patent-abstracts-ko-en",
        "patent-full-texts",
        "trademark-images",
    ]
    assert len(all_slugs) > len(_cards(kipo))
    assert 'name="institution" value="KIPO" checked' in kipo.get_data(as_text=True)
    narrow = web.get(
        "/", query_string={"modality": "audio", "sensitivity": "deidentified_personal"}
    )
    assert _cards(narrow) == ["ebs-children-speech"]
    both = web.get("/", query_string={"institution": ["KBS", "MBC"], "limit": 100})
    assert set(_cards(both)) == {
        "kbs-news-speech",
        "kbs-sign-language-news",
        "mbc-drama-scripts",
        "mbc-radio-talk-speech",
    }


def test_search_and_facet_combine(web):
    resp = web.get("/", query_string={"q": "자막", "modality": "video"})
    assert set(_cards(resp)) == {
        "daehan-newsreels",
        "kbs-sign-language-news",
        "sbs-documentary-video",
    }


def test_a_bad_filter_is_reported_and_the_rest_still_applies(web):
    resp = web.get("/", query_string={"q": "실록", "modality": "hologram"})
    assert resp.status_code == 200
    assert "not understood" in _page(resp)
    assert sorted(_cards(resp)) == ["joseon-annals-original", "joseon-annals-translation"]
    resp = web.get("/", query_string={"page": "abc"})
    assert resp.status_code == 200 and len(_cards(resp)) == 20


# --- dataset page ----------------------------------------------------------------------------


def test_dataset_page_shows_offers_badges_and_files(web):
    resp = web.get("/datasets/joseon-annals-original")
    assert resp.status_code == 200
    page = _page(resp)
    # English page (see the fixture): the English title heads it, the Korean one follows.
    assert "<h1>Annals of the Joseon Dynasty" in page and "조선왕조실록 원문" in page
    assert "Annals of the Joseon Dynasty — Original Classical Chinese Text" in page
    assert "₩600,000,000" in page and "₩450,000,000" in page
    assert "Joint purchase" in page and "Individual purchase" in page
    assert "2–5 teams" in page and "24 months" in page and "12 months" in page
    # permitted-use badges: allowed ✓, not allowed ✗
    assert '<li class="badge yes">Publish excerpts ✓</li>' in page
    assert '<li class="badge no">Redistribution ✗</li>' in page
    assert "국사편찬위원회" in page and "Demo data" in page
    # the published version and its files with sizes and SHA-256 prefixes
    assert "2025.1" in page and "3 files" in page
    for key in ("README.txt", "sejong/001.jsonl", "taejo/001.jsonl"):
        assert f"<td>{key}</td>" in page
    assert re.search(r"<code>[0-9a-f]{16}…</code>", page)


def test_dataset_page_shows_quota_and_elimination_terms(web):
    page = _page(web.get("/datasets/census-microdata"))
    assert "₩180,000,000" in page and "₩240,000,000" in page
    assert "Download quota" in page and "Revoked if the team is eliminated" in page
    assert "De-identified personal data" in page
    page = _page(web.get("/datasets/kosis-statistical-tables"))
    assert "₩50,000,000" in page and "Survives elimination" in page
    assert '<li class="badge yes">Redistribution ✓</li>' in page


def test_unknown_dataset_is_a_helpful_404_page(web):
    resp = web.get("/datasets/no-such-dataset")
    assert resp.status_code == 404
    page = _page(resp)
    assert "404" in page and "no-such-dataset" in page
    assert 'href="/"' in page and "Back to the catalog" in page
    resp = web.get("/no/such/page")
    assert resp.status_code == 404 and "Back to the catalog" in _page(resp)


# --- login -----------------------------------------------------------------------------------


def test_login_with_a_demo_account(web):
    assert web.get("/login").status_code == 200
    resp = web.post("/login", data={"email": "naver-lead@kdc.test", "password": "kdc-demo"})
    # Signing in lands on the to-do list; the header names the role in words.
    assert resp.status_code == 302 and resp.headers["Location"] == "/todo"
    assert _logged_in_user(web)
    page = _page(web.get("/"))
    assert "naver-lead@kdc.test" in page and "Team lead" in page and "Sign out" in page
    assert "team_lead" not in page
    resp = web.post("/logout")
    assert resp.status_code == 302 and not _logged_in_user(web)


def test_login_is_case_insensitive_on_the_email(web):
    resp = web.post("/login", data={"email": " KBS@kdc.test ", "password": "kdc-demo"})
    assert resp.status_code == 302 and _logged_in_user(web)


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("naver-lead@kdc.test", "wrong-password"),
        ("nobody@kdc.test", "kdc-demo"),
    ],
)
def test_wrong_credentials_show_a_form_error_and_no_session(web, email, password):
    resp = web.post("/login", data={"email": email, "password": password})
    assert resp.status_code in (200, 400)
    page = _page(resp)
    assert "Wrong e-mail or password." in page
    assert 'aria-invalid="true"' in page
    assert not _logged_in_user(web)
    assert "Sign out" not in _page(web.get("/"))


def test_empty_login_form_is_refused(web):
    resp = web.post("/login", data={"email": "", "password": ""})
    assert resp.status_code == 400
    assert 'class="error"' in resp.get_data(as_text=True)
    assert not _logged_in_user(web)


def test_login_redirects_only_to_local_pages(web):
    creds = {"email": "auditor@kdc.test", "password": "kdc-demo"}
    resp = web.post("/login?next=/datasets/census-microdata", data=creds)
    assert resp.headers["Location"] == "/datasets/census-microdata"
    # Browsers read "/\\host" as "//host" and drop tabs and newlines from URLs.
    for target in (
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example/x",
        "/\t/evil.example/x",
        "/\n/evil.example",
    ):
        client = web.application.test_client()
        resp = client.post("/login", query_string={"next": target}, data=creds)
        assert resp.status_code == 302, target
        location = resp.headers["Location"]
        assert location.startswith("/") and not location.startswith("//"), target
        assert not re.search(r"[\\\x00-\x20]", location), target


def test_login_form_needs_its_csrf_token(sqlite_demo_app):
    sqlite_demo_app.config["WTF_CSRF_ENABLED"] = True
    client = sqlite_demo_app.test_client()
    creds = {"email": "admin@kdc.test", "password": "kdc-demo"}
    resp = client.post("/login", data=creds)
    assert resp.status_code == 400 and not _logged_in_user(client)
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form) or re.search(
        r'name="csrf_token" value="([^"]+)"', form
    )
    resp = client.post("/login", data={**creds, "csrf_token": token.group(1)})
    assert resp.status_code == 302 and _logged_in_user(client)


# --- headers and language ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/datasets/joseon-annals-original", "/login", "/datasets/no-such-dataset"]
)
def test_security_headers(web, path):
    resp = web.get(path)
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_pages_load_no_outside_assets(web):
    for path in ("/", "/datasets/kbs-news-speech", "/login"):
        page = web.get(path).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', page), path


def test_language_switch(web):
    web = web.application.test_client()  # a fresh visitor: Korean by default
    assert '<html lang="ko">' in web.get("/").get_data(as_text=True)
    resp = web.post("/lang/en", data={"next": "/datasets/patent-full-texts"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/datasets/patent-full-texts"
    assert '<html lang="en">' in web.get("/").get_data(as_text=True)


def test_every_demo_dataset_page_renders(web):
    from catalog.demo import data as demo_data

    for spec in demo_data.DATASETS:
        resp = web.get(f"/datasets/{spec['slug']}")
        assert resp.status_code == 200, spec["slug"]
        page = _page(resp)
        assert spec["title_ko"] in page and spec["title_en"] in page, spec["slug"]
        for offer in spec["offers"]:
            assert f"₩{offer['price_krw']:,}" in page, spec["slug"]
        assert "<td>README.txt</td>" in page, spec["slug"]
