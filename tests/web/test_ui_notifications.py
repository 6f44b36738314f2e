"""The inbox, e-mail preferences and webhook pages as a reader sees them."""

from __future__ import annotations

import re

from tests.web.conftest import actor_for, text_of

SPEECH = "kbs-news-speech"


def _member_requests(run) -> int:
    from sqlalchemy import select

    from catalog.models.datasets import Dataset
    from catalog.models.offers import Offer, OfferMode
    from catalog.services import purchasing

    def go(session):
        offer = session.scalar(
            select(Offer.id)
            .join(Dataset)
            .where(Dataset.slug == SPEECH, Offer.mode == OfferMode.INDIVIDUAL)
        )
        pid = purchasing.request_purchase(
            session, actor_for(session, "naver-member@kdc.test"), dataset=SPEECH, offer=offer
        ).id
        return pid

    return run(go)


def test_inbox_in_korean_and_english_and_marking_read(ui, run):
    pid = _member_requests(run)
    lead = ui("naver-lead@kdc.test")
    page = text_of(lead.get("/notifications"))
    assert "읽지 않은 알림 1건" in page
    assert "naver-member@kdc.test 님이 팀을 위해 “KBS 뉴스 음성·자막” 구매를 요청했습니다" in page
    english = text_of(ui("naver-lead@kdc.test", lang="en").get("/notifications"))
    assert "naver-member@kdc.test asked to buy “KBS News Speech with Subtitles”" in english
    html = lead.get("/notifications").get_data(as_text=True)
    nid = re.search(r'id="notification-(\d+)"', html).group(1)
    resp = lead.post(f"/notifications/{nid}/read", data={"next": f"/purchases/{pid}"})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/purchases/{pid}"
    assert 'id="notification-count"' not in lead.get("/").get_data(as_text=True)
    assert "읽지 않은 알림 0건" in text_of(lead.get("/notifications"))
    # Someone else's notification is not theirs to mark.
    other = ui("upstage-lead@kdc.test")
    resp = other.post(f"/notifications/{nid}/read", follow_redirects=True)
    assert "없거나 볼 수 없는 항목입니다" in text_of(resp)
    # An outside address is never followed.
    resp = lead.post(f"/notifications/{nid}/read", data={"next": "//evil.example/"})
    assert resp.headers["Location"] == "/notifications"


def test_mark_all_read(ui, run):
    from catalog.services import ledger
    from catalog.services.context import Actor

    run(lambda s: ledger.grant_budget(s, Actor.system("test"), "naver", 1000))
    run(lambda s: ledger.grant_budget(s, Actor.system("test"), "naver", 2000))
    member = ui("naver-member@kdc.test")
    assert re.search(r'id="notification-count"[^>]*>2<', member.get("/").get_data(as_text=True))
    page = text_of(member.get("/notifications"))
    assert "사업단이 팀에 ₩1,000을 배정했습니다" in page and "현재 잔액" in page
    resp = member.post("/notifications/read-all", follow_redirects=True)
    assert "알림 2건을 읽음으로 표시했습니다" in text_of(resp)
    assert 'id="notification-count"' not in member.get("/").get_data(as_text=True)


def test_email_preferences_page(ui, run):
    lead = ui("naver-lead@kdc.test")
    page = text_of(lead.get("/notifications/preferences"))
    assert "이메일 알림 설정" in page and "KDC_SMTP_URL" in page  # no SMTP in this app
    html = lead.get("/notifications/preferences").get_data(as_text=True)
    assert html.count('name="email"') == html.count("checked") > 10  # all on by default
    resp = lead.post(
        "/notifications/preferences",
        data={"email": ["purchase.requested", "license.revoked"]},
        follow_redirects=True,
    )
    assert "이메일 알림 설정을 저장했습니다" in text_of(resp)
    html = lead.get("/notifications/preferences").get_data(as_text=True)
    assert html.count("checked") == 2

    def saved(session):
        from catalog.services import notices

        return notices.email_preferences(session, actor_for(session, "naver-lead@kdc.test"))

    prefs = run(saved)
    assert prefs["purchase.requested"] and not prefs["purchase.approved"]
    resp = lead.post("/notifications/preferences", data={"email": ["no.such"]})
    assert resp.status_code == 400


def test_webhook_pages(ui):
    lead = ui("naver-lead@kdc.test")
    resp = lead.post(
        "/webhooks", data={"url": "https://hooks.example.kr/kdc", "description": "ops"}
    )
    assert resp.status_code == 201 and resp.headers["Cache-Control"] == "no-store"
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", resp.get_data(as_text=True)).group(0)
    again = lead.get("/webhooks").get_data(as_text=True)
    assert "https://hooks.example.kr/kdc" in again and secret not in again  # shown once
    hook = re.search(r'href="/webhooks/(\d+)"', again).group(1)
    assert "아직 전송된 것이 없습니다" in text_of(lead.get(f"/webhooks/{hook}"))
    bad = lead.post("/webhooks", data={"url": "ftp://hooks.example.kr/x"})
    assert bad.status_code == 422 and "http://" in text_of(bad)
    assert ui("naver-member@kdc.test").get("/webhooks").status_code == 403
    assert ui("upstage-lead@kdc.test").get(f"/webhooks/{hook}").status_code == 404
    resp = lead.post(f"/webhooks/{hook}/delete", follow_redirects=True)
    assert "웹훅을 삭제했습니다" in text_of(resp)
    assert "등록된 웹훅이 없습니다" in text_of(lead.get("/webhooks"))


def test_every_change_needs_the_csrf_token(ui, run, sqlite_demo_app):
    from tests.web.test_ui_security import _forms

    _member_requests(run)
    lead = ui("naver-lead@kdc.test")
    sqlite_demo_app.config["WTF_CSRF_ENABLED"] = True
    forms = 0
    for path in ("/notifications", "/notifications/preferences", "/webhooks"):
        for form in _forms(lead.get(path).get_data(as_text=True)):
            assert 'name="csrf_token"' in form, (path, form[:200])
            forms += 1
    assert forms >= 5
    for path, data in [
        ("/notifications/read-all", {}),
        ("/notifications/1/read", {}),
        ("/notifications/preferences", {"email": []}),
        ("/webhooks", {"url": "https://hooks.example.kr/x"}),
    ]:
        assert lead.post(path, data=data).status_code == 400, path
    sqlite_demo_app.config["WTF_CSRF_ENABLED"] = False
    assert "읽지 않은 알림 1건" in text_of(lead.get("/notifications"))
    assert "등록된 웹훅이 없습니다" in text_of(lead.get("/webhooks"))
