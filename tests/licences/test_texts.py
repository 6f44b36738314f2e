"""Full licence texts (Korean first, versioned), acceptance of the exact text, and KOGL."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from catalog.db import get_session
from catalog.errors import DomainError
from catalog.models.audit import AuditEvent
from catalog.models.licenses import License
from catalog.models.offers import Offer
from catalog.services import licence_texts, publishing
from tests.licences.conftest import actor, buy, counts, publish_dataset
from tests.web.conftest import login

LEAD = "naver-lead@kdc.test"


def _text(client, headers, license_id):
    r = client.get(f"/api/v1/licenses/{license_id}/text", headers=headers)
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/plain; charset=utf-8"
    return r.data


def test_the_team_accepts_the_exact_text_and_the_acceptance_records_its_sha256(demo_app, token_for):
    with demo_app.app_context():
        s = get_session()
        slug, offer_id = publish_dataset(
            s,
            demo_app.extensions["kdc_store"],
            files={"a.txt": b"a\n"},
            licence_text_ko="제1조 이 데이터는 모델 학습에만 쓴다.",
            licence_text_en="1. The data is used for training only.",
        )
        _pid, lics = buy(s, slug, offer_id, accept=False)
    lic_id = lics["naver"]
    client, headers = demo_app.test_client(), token_for(LEAD)
    text = _text(client, headers, lic_id)
    assert text.decode().startswith("제1조 이 데이터는 모델 학습에만 쓴다.\n")
    assert "1. The data is used for training only." in text.decode()
    digest = hashlib.sha256(text).hexdigest()

    before = counts(demo_app)
    wrong = client.post(
        f"/api/v1/licenses/{lic_id}/accept-terms", json={"text_sha256": "0" * 64}, headers=headers
    )
    assert wrong.status_code == 409 and wrong.get_json()["code"] == "licence_text_mismatch"
    assert wrong.get_json()["sha256"] == digest
    assert counts(demo_app) == before
    bad = client.post(
        f"/api/v1/licenses/{lic_id}/accept-terms", json={"text_sha256": "xyz"}, headers=headers
    )
    assert bad.status_code == 422

    ok = client.post(
        f"/api/v1/licenses/{lic_id}/accept-terms", json={"text_sha256": digest}, headers=headers
    )
    assert ok.status_code == 200, ok.text
    detail = client.get(f"/api/v1/licenses/{lic_id}", headers=headers).get_json()
    assert detail["acceptance"]["text_sha256"] == digest
    assert detail["acceptance"]["accepted_by"] == LEAD
    assert detail["acceptance"]["document_version"] == 1
    assert detail["licence_text"]["sha256"] == digest
    with demo_app.app_context():
        ev = (
            get_session()
            .scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "license:accept_terms",
                    AuditEvent.subject_id == str(lic_id),
                )
            )
            .one()
        )
        assert ev.data["text_sha256"] == digest and ev.data["document_version"] == 1
    # The same text, public for the offer, hashes the same.
    public = client.get(f"/datasets/{slug}/offers/{offer_id}/licence.txt?version=1")
    assert public.status_code == 200 and hashlib.sha256(public.data).hexdigest() == digest


def test_the_web_form_accepts_the_text_it_showed(demo_app, licensed):
    with demo_app.app_context():
        s = get_session()
        slug, offer_id = publish_dataset(s, demo_app.extensions["kdc_store"], files={"a": b"a"})
        _pid, lics = buy(s, slug, offer_id, accept=False)
    lic_id = lics["naver"]
    web = login(demo_app.test_client(), "naver-member@kdc.test")
    page = web.get(f"/team/licenses/{lic_id}").get_data(as_text=True)
    with demo_app.app_context():
        sha = licence_texts.text_of(get_session(), get_session().get(License, lic_id)).sha256
    assert f'name="text_sha256" type="hidden" value="{sha}"' in page
    assert "데이터 이용 허락 계약서" in page  # the generated standard text, Korean first
    # A stale page (another text) accepts nothing.
    r = web.post(
        f"/team/licenses/{lic_id}/accept",
        data={"accept": "y", "text_sha256": "f" * 64},
        follow_redirects=True,
    )
    assert 'id="accepted"' not in r.get_data(as_text=True)
    r = web.post(
        f"/team/licenses/{lic_id}/accept",
        data={"accept": "y", "text_sha256": sha},
        follow_redirects=True,
    )
    assert 'id="accepted"' in r.get_data(as_text=True)
    with demo_app.app_context():
        assert get_session().get(License, lic_id).terms_accepted_sha256 == sha


def test_a_new_text_version_applies_to_licences_sold_from_then_on(demo_app, token_for):
    with demo_app.app_context():
        s = get_session()
        slug, offer_id = publish_dataset(
            s, demo_app.extensions["kdc_store"], files={"a": b"a"}, licence_text_ko="판 1"
        )
        _pid, first = buy(s, slug, offer_id, accept=False)
        provider = actor(s, "nikh")
        doc = licence_texts.publish_document(s, provider, offer_id, "판 2", "Version 2")
        assert doc.version == 2
        _pid, second = buy(s, slug, offer_id, teams=("skt",), accept=False)
    client = demo_app.test_client()
    assert _text(client, token_for(LEAD), first["naver"]).decode() == "판 1\n"
    assert (
        _text(client, token_for("skt-lead@kdc.test"), second["skt"]).decode().startswith("판 2\n")
    )
    page = client.get(f"/datasets/{slug}/offers/{offer_id}/licence").get_data(as_text=True)
    assert "판 2" in page and "?version=1" in page
    assert "판 1" in client.get(f"/datasets/{slug}/offers/{offer_id}/licence?version=1").get_data(
        as_text=True
    )
    # Another institution's staff may not publish a text for this offer; nothing is written.
    with demo_app.app_context():
        s = get_session()
        try:
            licence_texts.publish_document(s, actor(s, "kbs"), offer_id, "남의 판", "")
        except DomainError as exc:
            assert exc.code == "not_dataset_provider"
        else:
            raise AssertionError("another institution published a licence text")
        assert len(s.get(Offer, offer_id).documents) == 2


def test_kogl_types_generate_the_attribution_sentence_and_constrain_the_uses(demo_app):
    with demo_app.app_context():
        s = get_session()
        slug, offer_id = publish_dataset(
            s,
            demo_app.extensions["kdc_store"],
            files={"a": b"a"},
            kogl_type=3,
            uses=["ai_training", "commercial_model"],
        )
        provider = actor(s, "nikh")
        before = len(s.scalars(select(Offer)).all())
        for fields, code in [
            ({"kogl_type": 2, "uses": ["commercial_model"]}, "kogl_conflict"),
            ({"kogl_type": 4, "uses": ["derivative_datasets"]}, "kogl_conflict"),
            ({"kogl_type": 5, "uses": ["ai_training"]}, "invalid_kogl_type"),
            ({"download_quota": 0, "uses": ["ai_training"]}, "invalid_input"),
            ({"download_quota": -3, "uses": ["ai_training"]}, "invalid_input"),
            ({"download_quota_bytes": 0, "uses": ["ai_training"]}, "invalid_input"),
            ({"licence_text_en": "English only", "uses": ["ai_training"]}, "invalid_licence_text"),
        ]:
            try:
                publishing.create_offer(
                    s, provider, slug, mode="individual", price_krw=10**8, term_months=12, **fields
                )
            except DomainError as exc:
                assert exc.code == code, fields
                assert exc.status == 422
            else:
                raise AssertionError(f"accepted {fields}")
        s.rollback()
        assert len(s.scalars(select(Offer)).all()) == before
    page = demo_app.test_client().get(f"/datasets/{slug}").get_data(as_text=True)
    sentence = "본 저작물은 &#39;국사편찬위원회&#39;에서 "
    assert sentence in page and "공공누리 제3유형으로 개방한" in page
    assert "licenseType3.do" in page
    policy = demo_app.test_client().get(f"/datasets/{slug}/offers/{offer_id}/policy.jsonld").json
    assert policy["kdc:kogl"] == {"@id": "https://www.kogl.or.kr/info/licenseType3.do"}
    prohibited = {p["action"] for p in policy["prohibition"]}
    assert "kdc:deriveDataset" in prohibited and "kdc:commercialModel" not in prohibited


def test_the_provider_form_shows_errors_for_bad_quotas_and_kogl(demo_app):
    nikh = login(demo_app.test_client(), "nikh@kdc.test")
    base = {
        "mode": "individual",
        "price_krw": "100000000",
        "term_months": "12",
        "uses": ["ai_training", "commercial_model"],
    }
    with demo_app.app_context():
        before = len(get_session().scalars(select(Offer)).all())
    for extra in ({"download_quota": "0"}, {"download_quota_bytes": "-1"}, {"kogl_type": "2"}):
        r = nikh.post("/provider/datasets/joseon-annals-original/offers", data={**base, **extra})
        assert r.status_code == 400, extra
        assert 'class="error"' in r.get_data(as_text=True)
    with demo_app.app_context():
        assert len(get_session().scalars(select(Offer)).all()) == before
    r = nikh.post(
        "/provider/datasets/joseon-annals-original/offers",
        data={
            **base,
            "kogl_type": "1",
            "download_quota_bytes": "5000000",
            "licence_text_ko": "계약",
        },
    )
    assert r.status_code == 302
    with demo_app.app_context():
        offer = get_session().scalars(select(Offer).order_by(Offer.id.desc())).first()
        assert offer.kogl_type == 1 and offer.download_quota_bytes == 5_000_000
        assert offer.current_document.text_ko == "계약"
