"""The object store down or hanging: a 503 problem with Retry-After after one short,
bounded attempt, and nothing half-written.

"Down" is a closed port on 127.0.0.1; "hanging" a TCP server there that accepts every
connection and never answers. Each request runs under a guard, so a hang fails the test
instead of stalling the suite.
"""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app import create_app
from catalog.config import load_config
from catalog.db import get_session, transaction
from catalog.models.datasets import (
    Dataset,
    DatasetObject,
    DatasetVersion,
    VersionStatus,
)
from tests.conftest import _config, make_token
from tests.faults.conftest import snapshot
from tests.live import free_port
from tests.storage.conftest import AWS_ENV, DATASET, MEMBER, PROVIDER, grant_license

BUCKET = "kdc-outage"
GUARD_SECONDS = 30


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._conns.append(conn)
            self.accepted += 1

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()
        for conn in self._conns:
            conn.close()


@pytest.fixture(params=["closed port", "silent server"])
def outage(request, templates, tmp_path, monkeypatch):
    """The demo catalogue (SQLite) whose S3 store is down in the given way, with a
    published and a draft version kept in that store."""
    for k, v in AWS_ENV.items():
        monkeypatch.setenv(k, v)
    silent = SilentServer() if request.param == "silent server" else None
    port = silent.port if silent else free_port()
    url, storage, _ = templates("sqlite", True).instantiate(tmp_path, None)
    app = create_app(
        _config(
            url,
            storage,
            STORAGE_URL=f"s3://{BUCKET}/p?endpoint_url=http://127.0.0.1:{port}"
            "&region=ap-northeast-2&addressing_style=path",
            # Shorter than the default (2 s) to keep the suite quick; the bound is the same
            # (see the first test for the defaults).
            S3_TIMEOUT=1,
        )
    )
    with app.app_context():
        s = get_session()
        with transaction(s):
            ds = s.scalar(select(Dataset).where(Dataset.slug == DATASET))
            for label, status in (
                ("2030.1", VersionStatus.PUBLISHED),
                ("2030.2", VersionStatus.DRAFT),
            ):
                v = DatasetVersion(
                    dataset_id=ds.id,
                    label=label,
                    storage_backend="s3",
                    bucket=BUCKET,
                    prefix=f"v/{label}",
                    status=status,
                    object_count=1 if status == VersionStatus.PUBLISHED else 0,
                    total_bytes=1 if status == VersionStatus.PUBLISHED else 0,
                    published_at=datetime.now(UTC) if status == VersionStatus.PUBLISHED else None,
                )
                s.add(v)
                s.flush()
                if status == VersionStatus.PUBLISHED:
                    s.add(DatasetObject(version_id=v.id, key="a.txt", size=1, sha256="0" * 64))
    grant_license(app)
    app.silent = silent
    yield app
    if silent:
        silent.close()
    app.extensions["kdc_engine"].dispose()


def _guarded(fn):
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result(timeout=GUARD_SECONDS)


def test_by_default_short_calls_to_the_store_take_one_attempt_of_at_most_5_s(tmp_path):
    """What bounds the wait with the default settings: one attempt, connect + read ≤ 5 s."""
    from storage import get_store

    config = load_config(tmp_path, {"SECRET_KEY": "x"})
    store = get_store(
        "s3://b/p?endpoint_url=http://127.0.0.1:9&region=x",
        short_timeout=config["S3_TIMEOUT"],
        transfer_timeout=config["S3_READ_TIMEOUT"],
    )
    cfg = store.control.meta.config
    assert cfg.retries["total_max_attempts"] == 1
    assert cfg.connect_timeout + cfg.read_timeout <= 5
    assert store.client.meta.config.connect_timeout <= 5


def test_store_outage_is_503_with_retry_after_and_writes_nothing(outage):
    app = outage
    client = app.test_client()
    member = {"Authorization": f"Bearer {make_token(app, MEMBER)}"}
    provider = {"Authorization": f"Bearer {make_token(app, PROVIDER)}"}
    requests = [
        (
            "manifest",
            lambda: client.get(
                f"/api/v1/datasets/{DATASET}/manifest",
                headers=member,
                query_string={"version": "2030.1"},
            ),
        ),
        (
            "file",
            lambda: client.get(
                f"/api/v1/datasets/{DATASET}/files/a.txt",
                headers=member,
                query_string={"version": "2030.1"},
            ),
        ),
        (
            "upload",
            lambda: client.post(
                f"/api/v1/datasets/{DATASET}/versions/2030.2/uploads",
                headers=provider,
                json={
                    "key": "big.bin",
                    "size": 100 * 1024**2,
                    "sha256": "1" * 64,
                    "multipart": True,
                },
            ),
        ),
    ]
    before = snapshot(app)
    for name, send in requests:
        accepted = app.silent.accepted if app.silent else 0
        r = _guarded(send)
        assert r.status_code == 503, (name, r.text)
        assert r.mimetype == "application/problem+json"
        assert r.get_json()["code"] == "storage_unavailable", name
        assert int(r.headers["Retry-After"]) > 0
        assert "X-Amz" not in r.get_data(as_text=True)
        if app.silent:
            assert app.silent.accepted - accepted == 1, name  # one attempt, no retries
    assert snapshot(app) == before  # no grant, no audit event, nothing else

    r = _guarded(lambda: client.get("/readyz"))
    assert r.status_code == 503 and r.get_json()["checks"]["storage"] == "unavailable"
    assert int(r.headers["Retry-After"]) > 0
