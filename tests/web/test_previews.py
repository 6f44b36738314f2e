"""Previews before purchase and the dataset card, through the Flask test client."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import login, text_of

SPEECH = "ebs-children-speech"
ANNALS = "joseon-annals-original"


def _objects(app, slug: str) -> dict[str, tuple[int, bool, int]]:
    """key → (object id, preview flag, size) of the dataset's published version."""
    from sqlalchemy import select

    from catalog.db import get_session
    from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion

    with app.app_context():
        rows = get_session().execute(
            select(DatasetObject.key, DatasetObject.id, DatasetObject.preview, DatasetObject.size)
            .join(DatasetVersion, DatasetVersion.id == DatasetObject.version_id)
            .join(Dataset, Dataset.id == DatasetVersion.dataset_id)
            .where(Dataset.slug == slug)
        )
        return {k: (i, p, s) for k, i, p, s in rows}


@pytest.fixture
def anon(sqlite_demo_app):
    client = sqlite_demo_app.test_client()
    client.post("/lang/en")
    return client


def test_anonymous_visitor_sees_rows_columns_readme_and_player(anon, sqlite_demo_app):
    page = anon.get(f"/datasets/{SPEECH}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    text = text_of(page)
    # The CSV's rows as a table and its columns with inferred types and empty shares.
    assert "C0001 04-06 M 수도권" in text
    columns = re.search(r'<table class="columns">.*?</table>', body, re.S).group(0)
    assert re.search(r"<th scope=\"row\">speaker</th><td class=\"col-type\">text</td>", columns)
    assert "0%" in columns
    # The README rendered, the audio player pointing at the preview route.
    assert "Re-identifying any speaker is forbidden." in text
    objects = _objects(sqlite_demo_app, SPEECH)
    wav_id = objects["audio/C0001_001.wav"][0]
    assert f'<audio controls preload="none" src="/datasets/{SPEECH}/preview/{wav_id}"' in body
    # The second recording is not a preview: no player for it.
    assert f"/preview/{objects['audio/C0002_001.wav'][0]}" not in body


def test_jsonl_preview_is_a_table(anon):
    text = text_of(anon.get(f"/datasets/{ANNALS}"))
    assert "id reign date text" in text
    assert "wda_12508010_001 세종 1426-08-10 上御經筵。" in text


def test_preview_route_serves_preview_bytes_and_refuses_the_rest(anon, sqlite_demo_app):
    objects = _objects(sqlite_demo_app, SPEECH)
    wav_id, is_preview, size = objects["audio/C0001_001.wav"]
    assert is_preview
    resp = anon.get(f"/datasets/{SPEECH}/preview/{wav_id}")
    assert resp.status_code == 200
    assert resp.content_type == "audio/wav"
    assert resp.data[:4] == b"RIFF" and len(resp.data) == size
    other_id, other_preview, _ = objects["audio/C0002_001.wav"]
    assert not other_preview
    refused = anon.get(f"/datasets/{SPEECH}/preview/{other_id}")
    assert refused.status_code == 404
    # An object of another dataset is not reachable through this dataset either.
    annal_id = _objects(sqlite_demo_app, ANNALS)["sejong/001.jsonl"][0]
    assert anon.get(f"/datasets/{SPEECH}/preview/{annal_id}").status_code == 404


def test_preview_never_sends_more_than_the_cap(anon, sqlite_demo_app):
    sqlite_demo_app.config["PREVIEW_BYTES"] = 1024
    wav_id, _, size = _objects(sqlite_demo_app, SPEECH)["audio/C0001_001.wav"]
    assert size > 1024
    resp = anon.get(f"/datasets/{SPEECH}/preview/{wav_id}")
    assert len(resp.data) == 1024
    assert resp.headers["X-Preview-Truncated"] == "1"


def test_text_preview_is_served_as_plain_text(anon, sqlite_demo_app):
    readme_id = _objects(sqlite_demo_app, SPEECH)["README.txt"][0]
    resp = anon.get(f"/datasets/{SPEECH}/preview/{readme_id}")
    assert resp.content_type == "text/plain; charset=utf-8"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_readme_html_is_escaped(sqlite_demo_app):
    from catalog.exports.card import render_markdown

    html = str(render_markdown("# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"))
    assert "<h1>Title</h1>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_card_facts_citation_tree_and_related(anon):
    page = anon.get(f"/datasets/{ANNALS}")
    text = text_of(page)
    assert "Update frequency yearly" in text.replace("연 1회 (매년 12월) · ", "")
    assert "Contact department NIKH 데이터개방팀" in text
    assert "Personal data 개인정보 없음. No personal data." in text
    # Languages by name, not codes.
    assert "Languages Literary Chinese, Korean" in text
    # Citations to copy.
    assert "국사편찬위원회, 「조선왕조실록 원문」, 2025.1, K-Data Catalog" in text
    assert "@misc{joseon_annals_original," in text
    # The folder tree with sizes per folder.
    assert re.search(r"sejong/ 1 file · \d+ B", text)
    assert "Related datasets" in text and "Korean Translation" in text
    # The licence text of the offer.
    assert "Licence text" in text


def test_total_size_is_the_versions_when_none_was_declared(anon, sqlite_demo_app):
    from sqlalchemy import select

    from catalog.db import get_session
    from catalog.models.datasets import Dataset

    with sqlite_demo_app.app_context():
        session = get_session()
        ds = session.scalar(select(Dataset).where(Dataset.slug == ANNALS))
        ds.total_bytes = 0
        session.commit()
    total = sum(s for _, _, s in _objects(sqlite_demo_app, ANNALS).values())
    body = anon.get(f"/datasets/{ANNALS}").get_data(as_text=True)
    assert f'<dd class="total-size">{total} B</dd>' in body


def test_team_names_hidden_from_anonymous_visitors(licensed_demo_app):
    from sqlalchemy import select

    from catalog.db import get_session
    from catalog.models.datasets import Dataset
    from catalog.models.licenses import License, LicenseStatus

    with licensed_demo_app.app_context():
        lic = get_session().scalar(select(License).where(License.status == LicenseStatus.ACTIVE))
        slug = get_session().get(Dataset, lic.dataset_id).slug
    anon = licensed_demo_app.test_client()
    anon.post("/lang/en")
    body = anon.get(f"/datasets/{slug}").get_data(as_text=True)
    assert re.search(r'<dd class="holders">\d+ teams?</dd>', body)
    assert 'class="licensed-by"' not in body
    member = login(licensed_demo_app.test_client(), "naver-lead@kdc.test", "en")
    body = member.get(f"/datasets/{slug}").get_data(as_text=True)
    assert re.search(r'<dd class="licensed-by">[a-z, ]+</dd>', body)


def test_korean_page_names_languages_in_korean(sqlite_demo_app):
    client = sqlite_demo_app.test_client()
    text = text_of(client.get(f"/datasets/{ANNALS}"))
    assert "한문(고전 중국어), 한국어" in text


def test_provider_chooses_preview_files_and_card_fields(sqlite_demo_app, anon):
    objects = _objects(sqlite_demo_app, ANNALS)
    taejo_id = objects["taejo/001.jsonl"][0]
    sejong_id = objects["sejong/001.jsonl"][0]
    assert anon.get(f"/datasets/{ANNALS}/preview/{taejo_id}").status_code == 404
    provider = login(sqlite_demo_app.test_client(), "nikh@kdc.test", "en")
    form = provider.get(f"/provider/datasets/{ANNALS}/card")
    assert form.status_code == 200
    resp = provider.post(
        f"/provider/datasets/{ANNALS}/card",
        data={
            "update_frequency": "Every month",
            "contact_department": "Digital History Team, 02-500-8282",
            "preview": ["README.txt", "taejo/001.jsonl"],
        },
    )
    assert resp.status_code == 302
    assert anon.get(f"/datasets/{ANNALS}/preview/{taejo_id}").status_code == 200
    assert anon.get(f"/datasets/{ANNALS}/preview/{sejong_id}").status_code == 404
    text = text_of(anon.get(f"/datasets/{ANNALS}"))
    assert "Update frequency Every month" in text
    assert "Contact department Digital History Team, 02-500-8282" in text
    assert "太祖康獻至仁啓運聖文神武大王即位于壽昌宮。" in text
    assert "上御經筵。" not in text


def test_provider_describes_columns(sqlite_demo_app, anon):
    provider = login(sqlite_demo_app.test_client(), "ebs@kdc.test", "en")
    form = provider.get(f"/provider/datasets/{SPEECH}/card").get_data(as_text=True)
    assert 'name="colname" value="age_band"' in form
    resp = provider.post(
        f"/provider/datasets/{SPEECH}/card",
        data={
            "preview": ["README.txt", "audio/C0001_001.wav", "speakers.csv", "transcripts.tsv"],
            "colkey": ["speakers.csv", "speakers.csv"],
            "colname": ["speaker", "age_band"],
            "coldesc": ["", "Age band in years, e.g. 04-06"],
        },
    )
    assert resp.status_code == 302
    body = anon.get(f"/datasets/{SPEECH}").get_data(as_text=True)
    assert re.search(
        r'<th scope="row">age_band</th><td class="col-type">text</td>'
        r"<td>Age band in years, e.g. 04-06</td>",
        body,
    )
    doc = anon.get(f"/datasets/{SPEECH}/croissant.json").json
    fields = {f["name"]: f for rs in doc["recordSet"] for f in rs["field"]}
    assert fields["age_band"]["description"] == "Age band in years, e.g. 04-06"


def test_other_institutions_cannot_choose_previews(sqlite_demo_app):
    other = login(sqlite_demo_app.test_client(), "kbs@kdc.test", "en")
    resp = other.post(f"/provider/datasets/{ANNALS}/card", data={"preview": ["taejo/001.jsonl"]})
    assert resp.status_code == 403
    member = login(sqlite_demo_app.test_client(), "naver-member@kdc.test", "en")
    assert member.get(f"/provider/datasets/{ANNALS}/card").status_code == 403
    objects = _objects(sqlite_demo_app, ANNALS)
    assert objects["taejo/001.jsonl"][1] is False


def test_previews_of_a_draft_dataset_are_not_public(sqlite_demo_app, anon):
    from sqlalchemy import select

    from catalog.db import get_session
    from catalog.models.datasets import Dataset, DatasetStatus

    readme_id = _objects(sqlite_demo_app, ANNALS)["README.txt"][0]
    with sqlite_demo_app.app_context():
        session = get_session()
        session.scalar(select(Dataset).where(Dataset.slug == ANNALS)).status = DatasetStatus.DRAFT
        session.commit()
    assert anon.get(f"/datasets/{ANNALS}/preview/{readme_id}").status_code == 404
    assert anon.get(f"/datasets/{ANNALS}/croissant.json").status_code == 404
    provider = login(sqlite_demo_app.test_client(), "nikh@kdc.test", "en")
    assert provider.get(f"/datasets/{ANNALS}/preview/{readme_id}").status_code == 200


def test_api_marks_a_preview_file(sqlite_demo_app, anon):
    from tests.conftest import make_token

    headers = {"Authorization": f"Bearer {make_token(sqlite_demo_app, 'nikh@kdc.test')}"}
    client = sqlite_demo_app.test_client()
    url = f"/api/v1/datasets/{ANNALS}/versions/2025.1/objects/taejo/001.jsonl"
    resp = client.patch(url, json={"preview": True}, headers=headers)
    assert resp.status_code == 200, resp.json
    assert resp.json["preview"] is True and resp.json["key"] == "taejo/001.jsonl"
    taejo_id = _objects(sqlite_demo_app, ANNALS)["taejo/001.jsonl"][0]
    assert anon.get(f"/datasets/{ANNALS}/preview/{taejo_id}").status_code == 200
    bad = client.patch(url, json={"preview": "perhaps"}, headers=headers)
    assert bad.status_code == 422
    assert bad.content_type == "application/problem+json"
    other = {"Authorization": f"Bearer {make_token(sqlite_demo_app, 'kbs@kdc.test')}"}
    refused = client.patch(url, json={"preview": False}, headers=other)
    assert refused.status_code == 403
    assert refused.json["code"] == "not_dataset_provider"
    missing = client.patch(url.replace("taejo", "nowhere"), json={"preview": True}, headers=headers)
    assert missing.status_code == 404 and missing.json["code"] == "object_not_found"


@pytest.mark.parametrize("value", ["12", "lots", str(64 * 1024 * 1024)])
def test_preview_cap_setting_is_checked_at_start(tmp_path, value):
    from catalog.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="KDC_PREVIEW_BYTES"):
        load_config(tmp_path, {"PREVIEW_BYTES": value, "SECRET_KEY": "k"})


def test_preview_cap_setting_default_and_override(tmp_path):
    from catalog.config import load_config

    assert load_config(tmp_path, {"SECRET_KEY": "k"})["PREVIEW_BYTES"] == 256 * 1024
    assert (
        load_config(tmp_path, {"PREVIEW_BYTES": "4096", "SECRET_KEY": "k"})["PREVIEW_BYTES"] == 4096
    )


def test_subtitle_excerpt_and_image_thumbnail(anon, sqlite_demo_app):
    body = anon.get("/datasets/daehan-newsreels").get_data(as_text=True)
    assert re.search(r'<pre class="excerpt">WEBVTT\s+00:00', body)
    page = anon.get("/datasets/nak-photo-archive").get_data(as_text=True)
    objects = _objects(sqlite_demo_app, "nak-photo-archive")
    first, second = objects["images/CET0001.png"], objects["images/CET0002.png"]
    assert f'<img class="thumb" src="/datasets/nak-photo-archive/preview/{first[0]}"' in page
    assert f"/preview/{second[0]}" not in page
    image = anon.get(f"/datasets/nak-photo-archive/preview/{first[0]}")
    assert image.content_type == "image/png" and image.data[:8] == b"\x89PNG\r\n\x1a\n"
