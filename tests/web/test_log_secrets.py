"""No secret in any log line under the production server (gunicorn), nor in the log filter's
handling of gunicorn's mapping of access-log fields."""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from app import create_app
from catalog.logs import RedactSignatures
from tests.conftest import _config, make_token
from tests.live import LoggingGunicornServer as GunicornServer
from tests.storage.conftest import DATASET, MEMBER, grant_license


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert found, page[:500]
    return found.group(1)


@pytest.fixture
def gunicorn_server(templates, tmp_path):
    """gunicorn over a copy of the demo catalogue (SQLite, local store), as the README runs it."""
    url, storage, _ = templates("sqlite", True).instantiate(tmp_path, None)
    server = GunicornServer(url, storage, tmp_path / "instance").start()
    server.app = create_app(_config(url, storage, SECRET_KEY="live-test-secret"))
    yield server
    server.stop()
    server.app.extensions["kdc_engine"].dispose()


def test_requests_leave_no_secret_in_any_gunicorn_output(gunicorn_server):
    server = gunicorn_server
    grant_license(server.app, "naver")
    token = make_token(server.app, MEMBER)
    secrets: set[str] = {token}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        bearer = {"Authorization": f"Bearer {token}"}
        # The API with a bearer token: a manifest of signed local URLs, and a download of each.
        manifest = http.get(f"/api/v1/datasets/{DATASET}/manifest", headers=bearer)
        assert manifest.status_code == 200, manifest.text
        for obj in manifest.json()["objects"]:
            parts = urlsplit(obj["url"])
            secrets.add(dict(parse_qsl(parts.query))["signature"])
            got = http.get(f"{parts.path}?{parts.query}")
            assert got.status_code == 200 and len(got.content) == obj["size"]
        key = manifest.json()["objects"][0]["key"]
        # The API's redirect to a fresh URL (the signature travels in a Location header).
        moved = http.get(f"/api/v1/datasets/{DATASET}/files/{key}", headers=bearer)
        assert moved.status_code == 302
        secrets.add(dict(parse_qsl(urlsplit(moved.headers["location"]).query))["signature"])
        # Signing in on the web: the password and then the session cookie.
        page = http.get("/login")
        form = {"email": MEMBER, "password": "kdc-demo", "csrf_token": _csrf(page.text)}
        signed_in = http.post("/login", data=form)
        assert signed_in.status_code == 302, signed_in.text
        cookie = http.cookies.get("session")
        assert cookie
        secrets.add(cookie)
        # Pages with the cookie, and a browser download through the broker's redirect.
        assert http.get("/team").status_code == 200
        moved = http.get(f"/datasets/{DATASET}/download/{key}")
        assert moved.status_code == 302, moved.text
        secrets.add(dict(parse_qsl(urlsplit(moved.headers["location"]).query))["signature"])
        # A token made on the tokens page: shown once, never logged.
        page = http.get("/tokens")
        made = http.post(
            "/tokens",
            data={
                "name": "ci",
                "days": "30",
                "scopes": "data:read",
                "csrf_token": _csrf(page.text),
            },
        )
        assert made.status_code == 201, made.text
        shown = re.search(r"kdc_[A-Za-z0-9_-]{20,}", made.text)
        assert shown
        secrets.add(shown.group(0))
        # A bad token and a tampered signature are refused and still not logged.
        secrets.add("kdc_not-a-real-token-but-still-secret")
        assert (
            http.get(
                "/api/v1/tokens",
                headers={"Authorization": "Bearer " + "kdc_not-a-real-token-but-still-secret"},
            ).status_code
            == 401
        )
    server.stop()  # flush and close every log
    outputs = server.outputs()
    for name, text in outputs.items():
        assert "Logging error" not in text, (name, text[-3000:])
        for secret in secrets:
            assert secret not in text, (name, secret)
        assert "kdc-demo" not in text, name
        assert not re.search(r"(?i)(x-amz-signature|signature)=[^…&\s\"']", text), name
        assert not re.search(r"(?i)bearer\s+[^…\s\"']", text), name
    assert outputs["gunicorn-access.log"].count("\n") >= 8  # every request has its line
    assert "/storage/get/" in outputs["gunicorn-access.log"]


def test_dropped_header_fields_print_a_dash_in_a_custom_access_format():
    """An operator's access-log format that names the Authorization or Cookie header gets
    ``-`` for it, and the request line loses its signature; the line still formats."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set(
        "access_log_format",
        '%(h)s "%(r)s" %(s)s auth=%({authorization}i)s cookie=%({cookie}i)s '
        "env=%({http_authorization}e)s loc=%({location}o)s",
    )
    log = Logger(cfg)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    log.access_log.handlers = [Keep()]
    log.access_log.addFilter(RedactSignatures())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/storage/get/k?expires=9&signature=abc123",
        "PATH_INFO": "/storage/get/k",
        "QUERY_STRING": "expires=9&signature=abc123",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_AUTHORIZATION": "Bearer kdc_secretsecretsecretsecret",
        "HTTP_COOKIE": "session=sessionsecret",
    }
    req = SimpleNamespace(
        headers=[
            ("AUTHORIZATION", "Bearer kdc_secretsecretsecretsecret"),
            ("COOKIE", "session=sessionsecret"),
        ]
    )
    resp = SimpleNamespace(
        status="302 FOUND",
        sent=0,
        headers=[("Location", "https://s3/b/k?X-Amz-Signature=deadbeef&X-Amz-Expires=60")],
    )
    from datetime import timedelta

    log.access(resp, req, environ, timedelta(milliseconds=5))
    line = logging.Formatter("%(message)s").format(records[0])
    assert "abc123" not in line and "deadbeef" not in line, line
    assert "secret" not in line, line
    assert "auth=- cookie=- env=- " in line and "X-Amz-Expires=60" in line, line
