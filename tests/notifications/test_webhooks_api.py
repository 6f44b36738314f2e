"""``/api/v1/webhooks``: leads register for their team, providers for their institution;
the secret is shown once; bad URLs are 422 problems; nobody sees another owner's hooks."""

from __future__ import annotations

from standardwebhooks import Webhook

from catalog.db import get_session
from catalog.outbox.webhooks import WebhookPoster
from catalog.services import delivery, ledger
from catalog.services.context import Actor

API = "/api/v1/webhooks"


def test_register_list_deliveries_delete(demo_app, token_for, webhook_receiver):
    client = demo_app.test_client()
    lead = token_for("naver-lead@kdc.test")
    url = webhook_receiver.url("/naver")
    resp = client.post(API, json={"url": url, "kinds": ["budget.granted"]}, headers=lead)
    assert resp.status_code == 201, resp.json
    created = resp.json
    assert created["secret"].startswith("whsec_") and created["owner"] == "team"
    hook_id = created["id"]
    listed = client.get(API, headers=lead).json["items"]
    assert [h["id"] for h in listed] == [hook_id] and "secret" not in listed[0]
    # Another lead of another team sees none of it.
    other = token_for("upstage-lead@kdc.test")
    assert client.get(API, headers=other).json["items"] == []
    assert client.get(f"{API}/{hook_id}/deliveries", headers=other).status_code == 404
    assert client.delete(f"{API}/{hook_id}", headers=other).status_code == 404

    with demo_app.app_context():
        session = get_session()
        ledger.grant_budget(session, Actor.system("test"), "naver", 5000)
        ledger.grant_budget(session, Actor.system("test"), "naver", -100)  # not subscribed
        with WebhookPoster() as poster:
            report = delivery.deliver_due(session, {"webhook": poster.send})
    assert len(report.sent) == 1
    [call] = webhook_receiver.on("/naver")
    payload = Webhook(created["secret"]).verify(call.body, call.headers)
    assert payload["type"] == "budget.granted" and payload["data"]["amount_krw"] == 5000

    history = client.get(f"{API}/{hook_id}/deliveries", headers=lead).json["items"]
    assert len(history) == 1
    assert history[0]["status"] == "sent" and history[0]["response_status"] == 204
    assert history[0]["message_id"] == call.headers["webhook-id"]
    assert history[0]["next_attempt_at"] is None

    assert client.delete(f"{API}/{hook_id}", headers=lead).status_code == 204
    assert client.get(API, headers=lead).json["items"] == []
    assert client.get(f"{API}/{hook_id}/deliveries", headers=lead).status_code == 404


def test_who_may_register_and_what(demo_app, token_for):
    client = demo_app.test_client()
    good = {"url": "https://hooks.example.kr/kdc"}
    # Members' and auditors' tokens cannot carry the scope (policy.scopes_for); the policy
    # itself refuses them too (tests/policy/test_table.py: lead_required, read_only).
    member = client.post(API, json=good, headers=token_for("naver-member@kdc.test"))
    assert member.status_code == 403 and member.json["code"] == "insufficient_scope"
    auditor = client.post(API, json=good, headers=token_for("auditor@kdc.test"))
    assert auditor.status_code == 403 and auditor.json["code"] == "insufficient_scope"
    admin = client.post(API, json=good, headers=token_for("admin@kdc.test"))
    assert admin.status_code == 403 and admin.json["code"] == "webhook_owner_required"
    lead = token_for("naver-lead@kdc.test")
    for bad in ("ftp://hooks.example.kr/x", "javascript:alert(1)", "https://", "hooks.example.kr"):
        resp = client.post(API, json={"url": bad}, headers=lead)
        assert resp.status_code == 422, bad
        assert resp.json["code"] == "invalid_webhook_url"
        assert resp.headers["Content-Type"] == "application/problem+json"
    resp = client.post(API, json={**good, "kinds": ["no.such"]}, headers=lead)
    assert resp.status_code == 422
    # A provider's endpoint receives what providers are told, nothing of the teams'.
    kbs = token_for("kbs@kdc.test")
    resp = client.post(API, json={**good, "kinds": ["budget.granted"]}, headers=kbs)
    assert resp.status_code == 422 and resp.json["code"] == "invalid_kind"
    resp = client.post(API, json=good, headers=kbs)
    assert resp.status_code == 201 and resp.json["owner"] == "institution"
    # Writing needs the scope that acts for the owner.
    read_only = token_for("naver-lead@kdc.test", ["catalog:read"])
    resp = client.post(API, json=good, headers=read_only)
    assert resp.status_code == 403 and resp.json["code"] == "insufficient_scope"
    assert client.get(API, headers=read_only).status_code == 200
    # Ten per owner: the eleventh is refused.
    for i in range(11):
        resp = client.post(API, json={"url": f"https://h.example.kr/{i}"}, headers=lead)
    assert resp.status_code == 409 and resp.json["code"] == "webhook_limit"
