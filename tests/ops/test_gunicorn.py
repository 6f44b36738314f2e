"""Health, metrics and JSON request logs under gunicorn: 2 sync workers over a copy of the
demo catalogue, started with the project's gunicorn config (multiprocess metrics)."""

from __future__ import annotations

import json
import os
import signal
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from app import create_app
from catalog.db import get_session
from catalog.models.users import User
from tests.conftest import _config, make_token
from tests.live import GunicornServer
from tests.ops.test_monitoring import samples
from tests.storage.conftest import DATASET, MEMBER, grant_license

ROUNDS = 10


@pytest.fixture
def gunicorn_demo(templates, tmp_path):
    """gunicorn (2 workers, JSON logs) over a copy of the demo catalogue on SQLite, and an
    app on the same database to set up state with."""
    url, storage, _ = templates("sqlite", True).instantiate(tmp_path, None)
    app = create_app(_config(url, storage, SECRET_KEY="live-test-secret"))
    server = GunicornServer(url, f"file://{storage}", tmp_path / "instance", KDC_LOG_FORMAT="json")
    server.app = app
    yield server
    server.stop()
    app.extensions["kdc_engine"].dispose()


def _request_lines(server: GunicornServer) -> list[dict]:
    lines = []
    for line in server.stderr_path.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


@pytest.mark.slow
def test_health_metrics_and_json_logs_under_gunicorn(gunicorn_demo):
    server = gunicorn_demo
    app = server.app
    grant_license(app)
    member_token = make_token(app, MEMBER)
    provider_token = make_token(app, "nikh@kdc.test")
    with app.app_context():
        member_id = get_session().scalar(select(User.id).where(User.email == MEMBER))
    server.start()
    http = httpx.Client(base_url=server.url, timeout=30)

    first_workers = server.wait_for_workers()
    for _ in range(ROUNDS):
        assert http.get("/api/v1/institutions").status_code == 200
    # Replace both workers: their counts must survive in the multiprocess files.
    for pid in first_workers:
        os.kill(pid, signal.SIGTERM)
    second_workers = server.wait_for_workers(exclude=set(first_workers))
    server.wait_healthy()
    for _ in range(ROUNDS):
        assert http.get("/api/v1/institutions").status_code == 200

    assert http.get("/healthz").json() == {"status": "ok"}
    ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    manifest = http.get(
        f"/api/v1/datasets/{DATASET}/manifest?limit=5",
        headers={"Authorization": f"Bearer {member_token}"},
    )
    assert manifest.status_code == 200
    urls = [o["url"] for o in manifest.json()["objects"]]
    for url in urls:
        parts = urlsplit(url)
        assert http.get(f"{parts.path}?{parts.query}").status_code == 200
    assert (
        http.get(
            "/api/v1/purchases", headers={"Authorization": f"Bearer {provider_token}"}
        ).status_code
        == 200
    )
    assert (
        http.get(
            "/api/v1/purchases", headers={"Authorization": "Bearer kdc_not_a_token"}
        ).status_code
        == 401
    )

    scraped = http.get("/metrics")
    assert scraped.status_code == 200
    values = samples(scraped.text)
    key = (
        "kdc_http_requests_total",
        (("endpoint", "institutions.InstitutionList"), ("method", "GET"), ("status", "200")),
    )
    assert values[key] == 2 * ROUNDS
    latency = (
        "kdc_http_request_duration_seconds_count",
        (("endpoint", "institutions.InstitutionList"), ("method", "GET")),
    )
    assert values[latency] == 2 * ROUNDS
    assert values[("kdc_download_urls_issued_total", ())] == len(urls)
    # The first workers are gone, yet their counts are there: summed from the files of
    # both generations of workers.
    counted_by = {
        int(name.rsplit("_", 1)[1].split(".")[0])
        for name in os.listdir(server.metrics_dir)
        if name.startswith("counter_")
    }
    assert counted_by & set(first_workers) and counted_by & set(second_workers)

    server.stop()
    err = server.stderr_path.read_text()
    out = server.stdout_path.read_text()
    lines = _request_lines(server)
    # One JSON line per request, each with its id, and nothing secret anywhere.
    institutions = [r for r in lines if r["path"] == "/api/v1/institutions"]
    assert len(institutions) == 2 * ROUNDS
    assert len({r["request_id"] for r in lines}) == len(lines)
    for record in lines:
        assert set(record) >= {
            "ts",
            "request_id",
            "method",
            "path",
            "status",
            "duration_ms",
            "user_id",
        }
        assert "?" not in record["path"]
    manifest_line = next(r for r in lines if r["path"].endswith("/manifest"))
    assert manifest_line["user_id"] == member_id and manifest_line["status"] == 200
    assert manifest_line["request_id"] == manifest.headers["X-Request-Id"]
    downloads = [r for r in lines if r["path"].startswith("/storage/get/")]
    assert len(downloads) == len(urls) and all(r["user_id"] is None for r in downloads)
    for secret in (member_token, provider_token, "kdc_not_a_token", "signature=", "expires="):
        assert secret not in err and secret not in out
    for url in urls:
        assert urlsplit(url).query not in err
