"""Real parts for the notification tests: an SMTP server (aiosmtpd) and a webhook receiver
(``http.server``), both on 127.0.0.1, and apps configured to send through them."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tests.conftest import _make_app

BASE_URL = "https://data.kdc.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage


class SmtpSink:
    """An aiosmtpd server that keeps every message it receives, parsed."""

    def __init__(self, **controller_kw):
        from aiosmtpd.controller import Controller

        self.messages: list[Received] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **controller_kw)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]


@pytest.fixture
def smtp_server():
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@dataclass
class WebhookCall:
    path: str
    headers: dict
    body: bytes


@dataclass
class WebhookReceiver:
    """Answers 204 on any path, 500 on paths starting with /fail; records every request."""

    server: ThreadingHTTPServer
    calls: list[WebhookCall] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def on(self, path: str) -> list[WebhookCall]:
        with self.lock:
            return [c for c in self.calls if c.path == path]


@pytest.fixture
def webhook_receiver():
    holder: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's hook name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            rec = holder["receiver"]
            with rec.lock:
                rec.calls.append(WebhookCall(self.path, dict(self.headers.items()), body))
            self.send_response(500 if self.path.startswith("/fail") else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["receiver"] = receiver = WebhookReceiver(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def mail_app(request, templates, tmp_path, backend, smtp_server):
    """The demo catalogue (each backend in turn) with e-mail through ``smtp_server``."""
    yield from _make_app(
        request,
        templates,
        tmp_path,
        backend,
        demo=True,
        SMTP_URL=smtp_server.url,
        BASE_URL=BASE_URL,
    )


@contextmanager
def demo_app_with(request, templates, tmp_path, backend: str, **config):
    """A demo app with extra configuration, disposed of (engine, database) afterwards."""
    made = _make_app(request, templates, tmp_path, backend, demo=True, **config)
    app = next(made)
    try:
        yield app
    finally:
        next(made, None)


def actor(session, email_address: str):
    from catalog.services.context import Actor
    from catalog.services.users import find_user

    return Actor.for_user(find_user(session, email_address))


def offer_of(session, slug: str, mode: str) -> int:
    from catalog.models.datasets import Dataset
    from catalog.models.offers import Offer, OfferMode

    return session.scalar(
        select(Offer.id).join(Dataset).where(Dataset.slug == slug, Offer.mode == OfferMode(mode))
    )


def inbox_of(session, email_address: str) -> list[tuple[str, dict]]:
    """(kind, data) of a user's notifications, oldest first."""
    from catalog.models.notifications import Notice, Notification
    from catalog.services.users import find_user

    user = find_user(session, email_address)
    rows = session.execute(
        select(Notice.kind, Notice.data)
        .join(Notification, Notification.notice_id == Notice.id)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id)
    ).all()
    return [(k, d) for k, d in rows]


def webhook_body(call: WebhookCall) -> dict:
    return json.loads(call.body)
