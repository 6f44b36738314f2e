"""Delivery through real servers on 127.0.0.1: Korean e-mail over SMTP (aiosmtpd), signed
webhooks verified with the ``standardwebhooks`` package, retries with backoff and a final
failed state that blocks nothing else, one send per message under concurrent runs."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from catalog.cli.notices import run_delivery
from catalog.db import get_session, transaction, utcnow
from catalog.models.notifications import Channel, Delivery, DeliveryStatus
from catalog.outbox.webhooks import WebhookPoster
from catalog.services import delivery, ledger, notices, purchasing, webhooks
from catalog.services.context import Actor
from tests.notifications.conftest import (
    BASE_URL,
    SmtpSink,
    actor,
    demo_app_with,
    offer_of,
    webhook_body,
)
from tests.web.conftest import login

SPEECH = "kbs-news-speech"
LEAD = "naver-lead@kdc.test"


def request_as_member(app) -> int:
    with app.app_context():
        session = get_session()
        p = purchasing.request_purchase(
            session,
            actor(session, "naver-member@kdc.test"),
            dataset=SPEECH,
            offer=offer_of(session, SPEECH, "individual"),
        )
        return p.id


def deliveries(app, channel: Channel) -> list[Delivery]:
    with app.app_context():
        return list(
            get_session().scalars(
                select(Delivery).where(Delivery.channel == channel).order_by(Delivery.id)
            )
        )


def test_the_lead_gets_a_korean_e_mail_with_an_absolute_link(mail_app, smtp_server):
    pid = request_as_member(mail_app)
    runner = mail_app.test_cli_runner()
    res = runner.invoke(args=["deliver"])
    assert res.exit_code == 0, res.output
    assert "1 sent, 0 to retry, 0 failed" in res.output
    [got] = smtp_server.to(LEAD)
    msg = got.message
    assert msg["To"].addresses[0].addr_spec == LEAD
    assert got.mail_from == "noreply@kdc.test"
    subject = str(msg["Subject"])
    assert subject.startswith("[K-Data Catalog] ")  # one brand in every language
    assert (
        "naver-member@kdc.test 님이 팀을 위해 “KBS 뉴스 음성·자막” 구매를 요청했습니다" in subject
    )
    raw = msg.as_bytes()
    assert b"=?utf-8?" in raw.lower()  # the Korean subject travels RFC 2047-encoded
    text = msg.get_body(("plain",)).get_content()
    assert "팀 예산은 팀 리더만 집행할 수 있습니다" in text
    assert f"{BASE_URL}/purchases/{pid}" in text
    assert f"{BASE_URL}/notifications/preferences" in text
    # Sent once: a second run finds nothing due.
    res = runner.invoke(args=["deliver"])
    assert "0 sent" in res.output and len(smtp_server.messages) == 1
    [row] = deliveries(mail_app, Channel.EMAIL)
    assert row.status == DeliveryStatus.SENT and row.attempts == 1 and row.sent_at


def test_e_mail_follows_each_users_preferences(mail_app, smtp_server):
    with mail_app.app_context():
        session = get_session()
        lead = actor(session, LEAD)
        wanted = [k for k in notices.email_preferences(session, lead) if k != "purchase.requested"]
        prefs = notices.set_email_preferences(session, lead, wanted)
        assert prefs["purchase.requested"] is False and prefs["purchase.approved"] is True
    request_as_member(mail_app)
    assert deliveries(mail_app, Channel.EMAIL) == []
    with mail_app.app_context():
        # Still in the inbox: preferences only choose what also comes by e-mail.
        assert notices.unread_count(get_session(), lead.user_id) == 1
        with pytest.raises(notices.InvalidInput):
            notices.set_email_preferences(get_session(), lead, ["purchase.awaiting_approval"])


def test_without_smtp_the_inbox_alone(demo_app):
    request_as_member(demo_app)
    assert deliveries(demo_app, Channel.EMAIL) == []
    res = demo_app.test_cli_runner().invoke(args=["deliver"])
    assert res.exit_code == 0 and "0 sent, 0 to retry, 0 failed" in res.output


def test_smtp_credentials_from_the_url_and_refused_addresses(tmp_path, request, templates, backend):
    from aiosmtpd.smtp import AuthResult

    seen = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"p@ss word")

    class Refusing(SmtpSink):
        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
            if address.startswith("naver-lead"):
                return "550 5.1.1 mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    sink = Refusing(authenticator=authenticate, auth_require_tls=False)
    sink.controller.start()
    try:
        url = f"smtp://mailer:p%40ss%20word@127.0.0.1:{sink.port}"
        with demo_app_with(request, templates, tmp_path, backend, SMTP_URL=url) as app:
            request_as_member(app)  # to naver-lead: refused for good
            with app.app_context():
                ledger.grant_budget(get_session(), Actor.system("test"), "upstage", 1000)
            res = app.test_cli_runner().invoke(args=["deliver"])
            assert "2 sent, 0 to retry, 1 failed" in res.output, res.output
            assert (b"mailer", b"p@ss word") in seen
            assert {a for m in sink.messages for a in m.rcpt_tos} == {
                "upstage-lead@kdc.test",
                "upstage-member@kdc.test",
            }
            refused = [d for d in deliveries(app, Channel.EMAIL) if d.target == LEAD]
            assert refused[0].status == DeliveryStatus.FAILED and refused[0].attempts == 1
            assert "550" in refused[0].last_error
    finally:
        sink.controller.stop()


def _webhook(app, email: str, url: str, kinds=()) -> str:
    with app.app_context():
        session = get_session()
        _endpoint, secret = webhooks.create_webhook(
            session, actor(session, email), url=url, kinds=list(kinds)
        )
    return secret


def _deliver(app, now=None) -> delivery.DeliveryReport:
    with app.app_context(), WebhookPoster() as poster:
        return delivery.deliver_due(get_session(), {Channel.WEBHOOK: poster.send}, now=now)


def test_webhooks_are_signed_per_standard_webhooks(demo_app, webhook_receiver):
    secret = _webhook(demo_app, LEAD, webhook_receiver.url("/naver"))
    kbs_secret = _webhook(
        demo_app, "kbs@kdc.test", webhook_receiver.url("/kbs"), ["purchase.awaiting_approval"]
    )
    pid = request_as_member(demo_app)
    with demo_app.app_context():
        session = get_session()
        purchasing.confirm_participation(session, actor(session, LEAD), pid)
    report = _deliver(demo_app)
    assert len(report.sent) == 3 and not report.failed
    naver = webhook_receiver.on("/naver")
    assert [webhook_body(c)["type"] for c in naver] == ["purchase.requested", "purchase.confirmed"]
    for call in naver:
        payload = Webhook(secret).verify(call.body, call.headers)
        assert payload["data"]["purchase_id"] == pid
        assert payload["data"]["url"] == f"http://127.0.0.1:5000/purchases/{pid}"
        assert call.headers["webhook-id"].startswith("msg_kdc_")
        # Another endpoint's secret does not verify it.
        with pytest.raises(Exception, match="signature"):
            Webhook(kbs_secret).verify(call.body, call.headers)
    [kbs] = webhook_receiver.on("/kbs")
    assert Webhook(kbs_secret).verify(kbs.body, kbs.headers)["type"] == (
        "purchase.awaiting_approval"
    )
    # No notice of naver's business reaches another team's endpoint.
    assert {c.path for c in webhook_receiver.calls} == {"/naver", "/kbs"}


def test_a_failing_receiver_is_retried_with_backoff_then_failed(demo_app, webhook_receiver):
    _webhook(demo_app, LEAD, webhook_receiver.url("/fail"))
    secret = _webhook(demo_app, LEAD, webhook_receiver.url("/ok"))
    system = Actor.system("test")
    with demo_app.app_context():
        ledger.grant_budget(get_session(), system, "naver", 1000)
    t0 = utcnow()
    report = _deliver(demo_app, now=t0)
    assert len(report.sent) == 1 and len(report.retrying) == 1
    [failing] = [d for d in deliveries(demo_app, Channel.WEBHOOK) if "/fail" in d.target]
    assert failing.next_attempt_at - t0 == timedelta(minutes=1)
    assert failing.response_status == 500 and "HTTP 500" in failing.last_error
    # Not due before its time.
    assert _deliver(demo_app, now=t0 + timedelta(seconds=59)).total == 0
    waits = []
    now = t0
    for attempt in range(2, delivery.MAX_ATTEMPTS + 1):
        before = [d for d in deliveries(demo_app, Channel.WEBHOOK) if d.id == failing.id][0]
        waits.append(before.next_attempt_at - now)
        now = before.next_attempt_at
        if attempt == 4:
            # Meanwhile, other messages go through to the healthy endpoint.
            with demo_app.app_context():
                ledger.grant_budget(get_session(), system, "naver", 2000)
        report = _deliver(demo_app, now=now)
        assert failing.id in (
            report.failed if attempt == delivery.MAX_ATTEMPTS else report.retrying
        )
    assert waits == [timedelta(minutes=2**n) for n in range(delivery.MAX_ATTEMPTS - 1)]
    final = [d for d in deliveries(demo_app, Channel.WEBHOOK) if d.id == failing.id][0]
    assert final.status == DeliveryStatus.FAILED and final.attempts == delivery.MAX_ATTEMPTS
    # The same message each time (receivers deduplicate on webhook-id).
    first = f"msg_kdc_{final.notice_id}"
    calls = [c for c in webhook_receiver.on("/fail") if c.headers["webhook-id"] == first]
    assert len(calls) == delivery.MAX_ATTEMPTS
    ok = webhook_receiver.on("/ok")
    assert [Webhook(secret).verify(c.body, c.headers)["data"]["amount_krw"] for c in ok] == [
        1000,
        2000,
    ]
    # A failed delivery is never tried again, however late; the later one runs its course.
    later = now
    for _ in range(delivery.MAX_ATTEMPTS):
        later += timedelta(days=1)
        report = _deliver(demo_app, now=later)
        assert failing.id not in report.sent + report.retrying + report.failed
    assert len(webhook_receiver.on("/fail")) == 2 * delivery.MAX_ATTEMPTS
    # The history is visible to whoever registered it (the API shows it too).
    with demo_app.app_context():
        session = get_session()
        history = webhooks.webhook_deliveries(session, actor(session, LEAD), final.webhook_id)
        assert [d.status for d in history] == [DeliveryStatus.FAILED, DeliveryStatus.FAILED]


def test_two_concurrent_deliver_runs_send_each_message_once(demo_app, webhook_receiver):
    _webhook(demo_app, LEAD, webhook_receiver.url("/naver"))
    with demo_app.app_context():
        session = get_session()
        with transaction(session):
            for i in range(60):
                ledger.grant_budget(session, Actor.system("test"), "naver", 1000 + i)
    barrier = threading.Barrier(2)
    reports = []

    def run():
        with demo_app.app_context():
            barrier.wait()
            reports.append(run_delivery())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(r.sent) for r in reports) == 60
    ids = [c.headers["webhook-id"] for c in webhook_receiver.on("/naver")]
    assert len(ids) == 60 and len(set(ids)) == 60
    with demo_app.app_context():
        statuses = get_session().scalars(select(Delivery.status)).all()
        assert set(statuses) == {DeliveryStatus.SENT}
        assert get_session().scalar(select(func.max(Delivery.attempts))) == 1


def test_demo_journey_request_bell_tick_korean_e_mail(
    monkeypatch, smtp_server, request, templates, tmp_path, backend
):
    """A member requests a purchase; the naver lead's bell shows 1; ``flask --app app tick``
    with KDC_SMTP_URL set delivers the Korean e-mail to naver-lead@kdc.test."""
    monkeypatch.setenv("KDC_SMTP_URL", smtp_server.url)
    monkeypatch.setenv("KDC_BASE_URL", "https://kdc.example.kr/")
    with demo_app_with(request, templates, tmp_path, backend) as app:
        _journey(app, smtp_server)


def _journey(app, smtp_server):
    assert app.config["SMTP_URL"] == smtp_server.url
    member = login(app.test_client(), "naver-member@kdc.test")
    lead = login(app.test_client(), LEAD)
    with app.app_context():
        offer = offer_of(get_session(), SPEECH, "individual")
    resp = member.post(f"/datasets/{SPEECH}/purchases", data={"offer_id": str(offer)})
    pid = int(resp.headers["Location"].rsplit("/", 1)[1])
    html = lead.get("/").get_data(as_text=True)
    assert 'id="notification-count" aria-label="읽지 않음 1건">1<' in html
    assert smtp_server.messages == []  # nothing is sent before the outbox is delivered
    res = app.test_cli_runner().invoke(args=["tick"])
    assert res.exit_code == 0, res.output
    assert "deliver: 1 sent" in res.output
    [got] = smtp_server.to(LEAD)
    assert "구매를 요청했습니다" in str(got.message["Subject"])
    body = got.message.get_body(("plain",)).get_content()
    assert f"https://kdc.example.kr/purchases/{pid}" in body


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 and its key, written as PEM files."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_starttls_verifies_the_servers_certificate(
    tmp_path, monkeypatch, request, templates, backend
):
    import ssl

    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    sink = SmtpSink(tls_context=server_ctx, require_starttls=True)
    sink.controller.start()
    try:
        url = f"smtp+starttls://127.0.0.1:{sink.port}"
        with demo_app_with(request, templates, tmp_path, backend, SMTP_URL=url) as app:
            request_as_member(app)
            # The server's certificate is not trusted yet: nothing is sent, it is retried.
            res = app.test_cli_runner().invoke(args=["deliver"])
            assert "0 sent, 1 to retry" in res.output, res.output
            [row] = deliveries(app, Channel.EMAIL)
            assert "CERTIFICATE_VERIFY_FAILED" in row.last_error
            # Trusted (as an operator would install the CA): it goes, over TLS.
            monkeypatch.setenv("SSL_CERT_FILE", str(cert))
            with app.app_context():
                report = run_delivery(now=row.next_attempt_at)
            assert report.sent == [row.id]
            [got] = sink.to(LEAD)
            assert "구매를 요청했습니다" in str(got.message["Subject"])
    finally:
        sink.controller.stop()


def test_no_e_mail_to_an_account_deactivated_meanwhile(mail_app, smtp_server):
    from catalog.services.users import find_user

    request_as_member(mail_app)
    with mail_app.app_context():
        session = get_session()
        with transaction(session):
            find_user(session, LEAD).active = False
    res = mail_app.test_cli_runner().invoke(args=["deliver"])
    assert "0 sent" in res.output and smtp_server.messages == []
    [row] = deliveries(mail_app, Channel.EMAIL)
    assert row.status == DeliveryStatus.FAILED and "deactivated" in row.last_error
