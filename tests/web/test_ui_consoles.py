"""The provider console (datasets, offers, versions, uploads, publishing) and the admin
pages (institutions, teams and budgets, users and roles, phases, elimination)."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from tests.web.conftest import actor_for, text_of


def test_provider_creates_a_dataset_with_errors_next_to_fields_then_publishes(ui, run):
    nikh = ui("nikh@kdc.test", lang="en")
    form = {
        "slug": "Bad Slug",
        "title_ko": "승정원 보고서",
        "title_en": "",
        "modality": "text",
        "sensitivity": "open",
        "record_count": "10",
    }
    resp = nikh.post("/provider/datasets/new", data=form)
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert re.search(
        r'id="title_en"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="title_en"', body
    )
    form["title_en"] = "Royal Secretariat reports"
    resp = nikh.post("/provider/datasets/new", data=form)
    assert resp.status_code == 400 and "Lower-case letters, digits" in text_of(resp)
    form["slug"] = "royal-reports"
    resp = nikh.post("/provider/datasets/new", data=form, follow_redirects=True)
    assert "Draft dataset royal-reports created" in text_of(resp)
    # A draft is not in the public catalogue, and cannot be published without an offer.
    assert ui().get("/datasets/royal-reports").status_code == 404
    resp = nikh.post("/provider/datasets/royal-reports/status/published", follow_redirects=True)
    assert "Add an offer before publishing" in text_of(resp)
    resp = nikh.post(
        "/provider/datasets/royal-reports/offers",
        data={
            "mode": "joint",
            "price_krw": "90000000",
            "term_months": "12",
            "min_teams": "3",
            "max_teams": "2",
            "join_window_days": "10",
            "uses": ["ai_training"],
        },
    )
    assert resp.status_code == 400 and "At least the minimum number of teams." in text_of(resp)
    resp = nikh.post(
        "/provider/datasets/royal-reports/offers",
        data={
            "mode": "joint",
            "price_krw": "90000000",
            "term_months": "12",
            "min_teams": "2",
            "max_teams": "3",
            "join_window_days": "10",
            "uses": ["ai_training", "publish_excerpts"],
            "survives_elimination": "y",
        },
        follow_redirects=True,
    )
    assert "Offer added." in text_of(resp) and "₩90,000,000" in text_of(resp)
    resp = nikh.post(
        "/provider/datasets/royal-reports",
        data={**form, "keywords": "승정원, 보고"},
        follow_redirects=True,
    )
    assert "Changes saved." in text_of(resp)
    resp = nikh.post("/provider/datasets/royal-reports/status/published", follow_redirects=True)
    assert "The dataset is published." in text_of(resp)
    page = text_of(ui(lang="en").get("/datasets/royal-reports"))
    assert "Royal Secretariat reports" in page and "₩90,000,000" in page
    assert "royal-reports" in ui().get("/?q=승정원").get_data(as_text=True)
    from catalog.models.audit import AuditEvent

    actions = run(
        lambda s: s.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_id.in_(["royal-reports"]))
        ).all()
    )
    assert {"dataset:create", "dataset:update", "dataset:publish"} <= set(actions)


def test_provider_uploads_a_file_through_the_json_endpoints_and_publishes(ui, run):
    nikh = ui("nikh@kdc.test", lang="en")
    slug = "joseon-annals-original"
    resp = nikh.post(
        f"/provider/datasets/{slug}/versions", data={"label": "2026.1"}, follow_redirects=True
    )
    assert "Draft version 2026.1 created" in text_of(resp)
    resp = nikh.post(f"/provider/datasets/{slug}/versions/2026.1/publish", follow_redirects=True)
    assert "no files yet" in text_of(resp)
    data = "태조 1년\n".encode() * 100
    sha = hashlib.sha256(data).hexdigest()
    url = f"/provider/datasets/{slug}/versions/2026.1/uploads"
    assert nikh.post(url, json={"key": "../x", "size": 1, "sha256": sha}).status_code == 422
    assert nikh.post(url, data="not json").status_code == 422
    plan = nikh.post(url, json={"key": "taejo/002.txt", "size": len(data), "sha256": sha})
    assert plan.status_code == 201
    plan = plan.get_json()
    assert plan["url"].startswith("/storage/put/") and not plan["multipart"]
    assert nikh.put(plan["url"], data=data).status_code == 200
    done = nikh.post(url + "/complete", json={"upload_id": plan["upload_id"]})
    assert done.status_code == 201 and done.get_json()["sha256"] == sha
    # A file whose bytes differ from what was declared is discarded.
    bad = nikh.post(url, json={"key": "taejo/003.txt", "size": 3, "sha256": sha}).get_json()
    nikh.put(bad["url"], data=b"abc")
    resp = nikh.post(url + "/complete", json={"upload_id": bad["upload_id"]})
    assert resp.status_code == 422 and resp.get_json()["code"] in (
        "checksum_mismatch",
        "size_mismatch",
    )
    page = text_of(nikh.get(f"/provider/datasets/{slug}/versions/2026.1"))
    assert "taejo/002.txt" in page and "taejo/003.txt" not in page and sha in page
    resp = nikh.post(f"/provider/datasets/{slug}/versions/2026.1/publish", follow_redirects=True)
    assert "Version 2026.1 is published" in text_of(resp)
    # The public page gives the size of the version now published (1,200 bytes).
    assert "Total size 1.2 KB" in text_of(ui(lang="en").get(f"/datasets/{slug}"))
    # Another institution's staff cannot touch it.
    kbs = ui("kbs@kdc.test")
    assert kbs.get(f"/provider/datasets/{slug}").status_code == 403
    assert kbs.post(url, json={"key": "a", "size": 1, "sha256": sha}).status_code == 403


def test_admin_manages_institutions_teams_users_and_phases(ui, run):
    admin = ui("admin@kdc.test", lang="en")
    resp = admin.post(
        "/admin/institutions",
        data={"code": "NAK", "name_ko": "국가기록원", "name_en": "NAK", "kind": "archive"},
    )
    assert resp.status_code == 409 and "This code is taken." in text_of(resp)
    resp = admin.post(
        "/admin/institutions",
        data={"code": "KTV", "name_ko": "한국정책방송원", "name_en": "KTV", "kind": "broadcaster"},
        follow_redirects=True,
    )
    assert "Institution KTV created." in text_of(resp)
    resp = admin.post(
        "/admin/teams",
        data={
            "code": "kt",
            "name_ko": "KT 컨소시엄",
            "name_en": "KT consortium",
            "organisations": "KT",
            "budget_krw": "5000000000",
        },
        follow_redirects=True,
    )
    assert "Team kt created." in text_of(resp) and "₩5,000,000,000" in text_of(resp)
    resp = admin.post(
        "/admin/teams/grant",
        data={"team": "kt", "amount_krw": "-6000000000"},
        follow_redirects=True,
    )
    assert "Not enough budget" in text_of(resp) or "claw back" in text_of(resp)
    resp = admin.post(
        "/admin/teams/grant",
        data={"team": "kt", "amount_krw": "1000000000", "memo": "phase 1 top-up"},
        follow_redirects=True,
    )
    assert "Granted ₩1,000,000,000 to kt." in text_of(resp) and "₩6,000,000,000" in text_of(resp)
    resp = admin.post(
        "/admin/users",
        data={
            "email": "kt-lead@kdc.test",
            "name": "KT lead",
            "password": "long-enough",
            "role": "team_lead",
        },
    )
    assert resp.status_code == 422 and "belong to a team" in text_of(resp)
    resp = admin.post(
        "/admin/users",
        data={
            "email": "kt-lead@kdc.test",
            "name": "KT lead",
            "password": "long-enough",
            "role": "team_lead",
            "team": "kt",
        },
        follow_redirects=True,
    )
    assert "Account kt-lead@kdc.test created." in text_of(resp)
    from catalog.models.users import User

    uid = run(lambda s: s.scalar(select(User.id).where(User.email == "kt-lead@kdc.test")))
    resp = admin.post(
        f"/admin/users/{uid}",
        data={"role": "provider", "institution": "KTV", "active": "y"},
        follow_redirects=True,
    )
    assert "Account kt-lead@kdc.test updated." in text_of(resp)
    me = run(lambda s: s.scalar(select(User.id).where(User.email == "admin@kdc.test")))
    resp = admin.post(f"/admin/users/{me}", data={"role": "auditor"})
    assert resp.status_code == 409
    resp = admin.post("/admin/phases", data={"number": "1", "name": "again"})
    assert resp.status_code == 409 and "This phase exists." in text_of(resp)
    resp = admin.post(
        "/admin/phases",
        data={
            "number": "4",
            "name": "4차 평가",
            "starts_on": "2027-07-01",
            "ends_on": "2027-06-01",
        },
    )
    assert resp.status_code == 422 and "The end comes before the start." in text_of(resp)
    resp = admin.post(
        "/admin/phases", data={"number": "4", "name": "4차 평가"}, follow_redirects=True
    )
    assert "Evaluation phase 4 created." in text_of(resp)


def test_elimination_preview_then_execution(ui, run):
    from catalog.models.datasets import Dataset
    from catalog.models.offers import Offer, OfferMode
    from catalog.services import purchasing

    def buy(session):
        for slug, mode in (
            ("joseon-annals-original", OfferMode.INDIVIDUAL),
            ("kosis-statistical-tables", OfferMode.INDIVIDUAL),
        ):
            offer = session.scalar(
                select(Offer.id).join(Dataset).where(Dataset.slug == slug, Offer.mode == mode)
            )
            p = purchasing.request_purchase(
                session, actor_for(session, "lgai-lead@kdc.test"), dataset=slug, offer=offer
            )
            inst = session.scalar(select(Dataset).where(Dataset.slug == slug)).institution
            purchasing.approve_purchase(
                session, actor_for(session, f"{inst.code.lower()}@kdc.test"), p.id
            )

    run(buy)
    admin = ui("admin@kdc.test", lang="en")
    page = admin.get("/admin/teams/lgai/eliminate").get_data(as_text=True)
    revoke = re.search(r'class="plain revoke-list">(.*?)</ul>', page, re.S).group(1)
    keep = re.search(r'class="plain keep-list">(.*?)</ul>', page, re.S).group(1)
    assert "joseon-annals-original" in revoke and "kosis-statistical-tables" in keep
    resp = admin.post("/admin/teams/lgai/eliminate", data={"phase": "1", "confirm": "naver"})
    assert resp.status_code == 400 and "Type lgai exactly to confirm." in text_of(resp)
    resp = admin.post(
        "/admin/teams/lgai/eliminate", data={"phase": "1", "confirm": "lgai"}, follow_redirects=True
    )
    page = text_of(resp)
    assert "1 licence(s) revoked, 1 kept" in page
    rows = resp.get_data(as_text=True)
    assert re.search(r'data-dataset="joseon-annals-original">.*?status-revoked', rows, re.S)
    assert re.search(r'data-dataset="kosis-statistical-tables">.*?status-active', rows, re.S)
    assert admin.get("/admin/teams/lgai/eliminate").status_code == 409


def test_upload_page_may_connect_to_an_s3_endpoint_and_nothing_else(
    ui, sqlite_demo_app, monkeypatch
):
    from storage import get_store

    nikh = ui("nikh@kdc.test")
    url = "/provider/datasets/joseon-annals-original/versions/2025.1"
    assert "connect-src" not in nikh.get(url).headers["Content-Security-Policy"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    store = get_store(
        "s3://kdc-data/catalog?endpoint_url=http://127.0.0.1:9&region=us-east-1"
        "&addressing_style=path",
        secret_key="x",
    )
    monkeypatch.setitem(sqlite_demo_app.extensions, "kdc_store", store)
    csp = nikh.get(url).headers["Content-Security-Policy"]
    assert "connect-src 'self' http://127.0.0.1:9;" in csp and "unsafe-inline" not in csp
