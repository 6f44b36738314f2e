"""Scripts can subscribe either way: a webhook receives, for each notice of its owner, the
same ``type`` and ``data`` the event feed shows, and ``webhook-id`` names the feed's id."""

from __future__ import annotations

from standardwebhooks import Webhook

from catalog.db import get_session
from catalog.outbox.webhooks import WebhookPoster
from catalog.services import delivery, ledger
from catalog.services.context import Actor


def test_a_webhook_receives_what_the_feed_shows(sqlite_demo_app, webhook_receiver):
    from tests.conftest import make_token

    client = sqlite_demo_app.test_client()
    lead = {"Authorization": f"Bearer {make_token(sqlite_demo_app, 'naver-lead@kdc.test')}"}
    kinds = client.get("/api/v1/openapi.json").json["components"]["schemas"]

    def enum_of(prop):
        # An enum is published once, as a named component that properties reference.
        ref = prop.get("$ref") or (prop.get("allOf") or [{}])[0].get("$ref")
        return kinds[ref.rsplit("/", 1)[1]]["enum"] if ref else prop["enum"]

    feed_kinds = enum_of(kinds["Event"]["properties"]["type"])
    hook_kinds = enum_of(kinds["WebhookCreate"]["properties"]["kinds"]["items"])
    assert sorted(feed_kinds) == sorted(hook_kinds)
    assert "dataset.version_published" in feed_kinds

    created = client.post(
        "/api/v1/webhooks",
        json={"url": webhook_receiver.url("/naver"), "kinds": ["budget.granted"]},
        headers=lead,
    ).json
    start = client.get("/api/v1/events", headers=lead).json
    while start["more"]:
        start = client.get(start["next"], headers=lead).json
    with sqlite_demo_app.app_context():
        session = get_session()
        ledger.grant_budget(session, Actor.system("test"), "naver", 2500, memo="grant")
        with WebhookPoster() as poster:
            delivery.deliver_due(session, {"webhook": poster.send})
    [call] = webhook_receiver.on("/naver")
    body = Webhook(created["secret"]).verify(call.body, call.headers)
    [event] = client.get(
        "/api/v1/events", query_string={"after": start["last_id"]}, headers=lead
    ).json["items"]
    assert body["type"] == event["type"] == "budget.granted"
    assert body["data"] == event["data"] and body["timestamp"] == event["timestamp"]
    assert call.headers["webhook-id"] == f"msg_kdc_{event['id']}"
    history = client.get(f"/api/v1/webhooks/{created['id']}/deliveries", headers=lead).json
    assert [d["message_id"] for d in history["items"]] == [call.headers["webhook-id"]]
    assert history["items"][0]["status"] == "sent"
