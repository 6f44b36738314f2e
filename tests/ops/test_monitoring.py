"""/healthz, /readyz and /metrics in process, on SQLite and PostgreSQL.

Under gunicorn (several workers, multiprocess metrics, JSON logs): tests/ops/test_gunicorn.py.
"""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, text

from app import create_app
from catalog.db import get_session
from catalog.models.audit import AuditChainHead
from catalog.services import purchasing
from catalog.services.context import Actor
from catalog.services.users import find_user
from tests.conftest import _config, make_token
from tests.live import free_port
from tests.purchasing.conftest import make_dataset
from tests.storage.conftest import DATASET, MEMBER, grant_license

METRICS_TOKEN = "metrics-token-for-tests-0123456789"


def samples(body: str) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) → value, parsed by prometheus_client's own parser."""
    out = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def scrape(client, **kw) -> dict:
    r = client.get("/metrics", **kw)
    assert r.status_code == 200, r.text
    assert r.mimetype == "text/plain"
    return samples(r.get_data(as_text=True))


def test_health_and_readiness_when_all_is_up(demo_app, client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ready", "checks": {"database": "ok", "storage": "ok"}}


def test_healthz_needs_no_database_and_readyz_says_what_is_down(tmp_path):
    """A database on a closed port and an S3 store on another: alive, not ready."""
    app = create_app(
        _config(
            f"postgresql://postgres@127.0.0.1:{free_port()}/nothing",
            tmp_path,
            STORAGE_URL=f"s3://b/p?endpoint_url=http://127.0.0.1:{free_port()}&region=x",
            CHECK_DB_AT_START=False,
        )
    )
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["code"] == "not_ready" and body["status"] == 503
    assert body["checks"] == {"database": "unavailable", "storage": "unavailable"}
    assert int(r.headers["Retry-After"]) > 0
    # Metrics still answer, saying the database could not be read.
    values = scrape(client)
    assert values[("kdc_database_up", ())] == 0
    app.extensions["kdc_engine"].dispose()


def test_metrics_count_requests_and_read_the_database(demo_app, client, token_for):
    before = scrape(client)
    for _ in range(3):
        client.get("/healthz")
    client.get("/no/such/page")
    grant_license(demo_app)
    manifest = client.get(f"/api/v1/datasets/{DATASET}/manifest", headers=token_for(MEMBER))
    assert manifest.status_code == 200
    issued = len(manifest.get_json()["objects"])
    with demo_app.app_context():
        session = get_session()
        lead = Actor.for_user(find_user(session, "naver-lead@kdc.test"))
        ds = make_dataset(session, joint=None)
        purchasing.request_purchase(session, lead, dataset=ds["slug"], offer=ds["individual"])
        head = session.scalar(select(AuditChainHead.seq))
        requested = session.execute(
            text("SELECT COUNT(*) FROM purchases WHERE status = 'requested'")
        ).scalar()
    after = scrape(client)

    def delta(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("kdc_http_requests_total", endpoint="healthz", method="GET", status="200") == 3
    assert delta("kdc_http_requests_total", endpoint="unmatched", method="GET", status="404") == 1
    assert delta("kdc_http_request_duration_seconds_count", endpoint="healthz", method="GET") == 3
    assert (
        delta(
            "kdc_http_request_duration_seconds_bucket", endpoint="healthz", method="GET", le="+Inf"
        )
        == 3
    )
    assert delta("kdc_download_urls_issued_total") == issued > 0
    assert delta("kdc_access_grants_total") == 1
    assert after[("kdc_purchases", (("state", "requested"),))] == requested
    assert after[("kdc_audit_head_seq", ())] == head
    assert after[("kdc_database_up", ())] == 1
    # Nothing waits in the outbox of this demo: the backlog reads 0.
    assert after[("kdc_outbox_backlog", ())] == 0


def test_outbox_backlog_counts_waiting_deliveries(demo_app):
    """Deliveries waiting in the outbox are the backlog: a webhook of the naver team hears
    each notice addressed to the team, and nothing has been sent yet."""
    from catalog.models.notifications import Delivery, DeliveryStatus
    from catalog.services import webhooks

    with demo_app.app_context():
        session = get_session()
        lead = Actor.for_user(find_user(session, "naver-lead@kdc.test"))
        webhooks.create_webhook(session, lead, url="https://hooks.example.kr/kdc")
        member = Actor.for_user(find_user(session, "naver-member@kdc.test"))
        dataset = make_dataset(session, slug="outbox-backlog-set")
        purchasing.request_purchase(
            session, member, dataset=dataset["slug"], offer=dataset["individual"]
        )
        waiting = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.status == DeliveryStatus.PENDING)
        )
    assert waiting >= 1
    values = scrape(demo_app.test_client())
    assert values[("kdc_outbox_backlog", ())] == waiting
    assert values[("kdc_outbox_deliveries", (("status", "pending"),))] == waiting
    assert ("kdc_outbox_deliveries", (("status", "sent"),)) not in values


@pytest.mark.parametrize(
    "environ, headers",
    [
        ({"REMOTE_ADDR": "10.1.2.3"}, {}),
        ({"REMOTE_ADDR": "192.0.2.7"}, {"Authorization": "Bearer anything"}),
        # Loopback, but through a reverse proxy on the same host.
        ({"REMOTE_ADDR": "127.0.0.1"}, {"X-Forwarded-For": "203.0.113.9"}),
        ({"REMOTE_ADDR": "::1"}, {"Forwarded": "for=203.0.113.9"}),
    ],
)
def test_metrics_refuse_remote_clients_without_the_token(sqlite_demo_app, environ, headers):
    client = sqlite_demo_app.test_client()
    r = client.get("/metrics", environ_base=environ, headers=headers)
    assert r.status_code == 403
    assert r.get_json()["code"] == "metrics_forbidden"
    assert "kdc_" not in r.get_data(as_text=True)


def test_metrics_token_opens_them_to_any_address(sqlite_demo_app):
    app = sqlite_demo_app
    app.config["METRICS_TOKEN"] = METRICS_TOKEN
    client = app.test_client()
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    ok = client.get(
        "/metrics", environ_base=remote, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert ok.status_code == 200 and "kdc_http_requests_total" in ok.get_data(as_text=True)
    bad = client.get(
        "/metrics", environ_base=remote, headers={"Authorization": "Bearer wrong-token-0000000"}
    )
    assert bad.status_code == 401 and bad.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/metrics", environ_base=remote).status_code == 403
    # Loopback clients still need no token.
    assert client.get("/metrics").status_code == 200


def test_every_response_has_a_request_id(sqlite_demo_app):
    client = sqlite_demo_app.test_client()
    ids = {client.get(p).headers["X-Request-Id"] for p in ("/healthz", "/", "/nope", "/healthz")}
    assert len(ids) == 4 and all(len(i) == 32 for i in ids)
    # An incoming id is ignored unless a trusted header is configured.
    r = client.get("/healthz", headers={"X-Request-Id": "from-the-client"})
    assert r.headers["X-Request-Id"] != "from-the-client"
    sqlite_demo_app.config["REQUEST_ID_HEADER"] = "X-Request-Id"
    r = client.get("/healthz", headers={"X-Request-Id": "proxy-1234.abc"})
    assert r.headers["X-Request-Id"] == "proxy-1234.abc"
    # A malformed one (a forged log line) is replaced.
    r = client.get("/healthz", headers={"X-Request-Id": 'x" "status": 200'})
    assert r.headers["X-Request-Id"] != 'x" "status": 200' and len(r.headers["X-Request-Id"]) == 32


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[dict] = []

    def emit(self, record):
        self.records.append(json.loads(record.getMessage()))


@pytest.fixture
def json_log_app(templates, tmp_path):
    url, storage, _ = templates("sqlite", True).instantiate(tmp_path, None)
    app = create_app(_config(url, storage, LOG_FORMAT="json"))
    lines = _Lines()
    logging.getLogger("kdc.request").addHandler(lines)
    app.lines = lines.records
    yield app
    logging.getLogger("kdc.request").removeHandler(lines)
    app.extensions["kdc_engine"].dispose()


def test_json_request_log_names_the_user_and_keeps_secrets_out(json_log_app):
    app = json_log_app
    token = make_token(app, "nikh@kdc.test")
    client = app.test_client()
    r = client.post("/login", data={"email": "naver-lead@kdc.test", "password": "kdc-demo"})
    assert r.status_code in (302, 303)
    client.get("/")
    bearer = {"Authorization": f"Bearer {token}"}
    client.get(
        f"/api/v1/datasets/{DATASET}/versions/2025.1/uploads/secret-ticket-123", headers=bearer
    )
    app.test_client().get("/storage/get/demo/x.txt?expires=1&signature=deadbeefcafe")
    with app.app_context():
        s = get_session()
        lead_id = find_user(s, "naver-lead@kdc.test").id
        provider_id = find_user(s, "nikh@kdc.test").id
    page, upload, signed = app.lines[-3:]
    assert page["path"] == "/" and page["user_id"] == lead_id and page["status"] == 200
    assert upload["path"].endswith("/uploads/…") and upload["user_id"] == provider_id
    assert signed["path"] == "/storage/get/demo/x.txt" and signed["user_id"] is None
    text = json.dumps(app.lines)
    for secret in (token, "secret-ticket-123", "deadbeefcafe", "kdc-demo", "session="):
        assert secret not in text
    for record in app.lines:
        assert len(record["request_id"]) == 32 and record["duration_ms"] >= 0
