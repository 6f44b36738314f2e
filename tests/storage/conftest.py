"""Fixtures for the storage broker: a real S3-compatible server (moto's, over HTTP on
127.0.0.1), apps whose store is a local directory or an S3 bucket, served over real HTTP,
and helpers to make licences, versions and uploads.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta

import boto3
import httpx
import pytest
from botocore.config import Config
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from catalog.db import get_session, transaction, utcnow
from catalog.models.datasets import Dataset
from catalog.models.licenses import License, LicenseStatus
from catalog.models.offers import Offer
from catalog.models.purchases import Purchase, PurchaseStatus
from catalog.models.teams import Team
from tests.conftest import _config, make_token
from tests.live import free_port

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIATESTKDC",
    "AWS_SECRET_ACCESS_KEY": "test-secret-kdc",
    "AWS_DEFAULT_REGION": "ap-northeast-2",
}
DATASET = "joseon-annals-original"  # a demo dataset of NIKH
PROVIDER = "nikh@kdc.test"
MEMBER = "naver-member@kdc.test"
_bucket_seq = itertools.count(1)


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's standalone S3 server on a free loopback port, for the whole run."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch):
    for k, v in AWS_ENV.items():
        monkeypatch.setenv(k, v)
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(k, raising=False)


@pytest.fixture
def s3_bucket(moto_endpoint, aws_env):
    """A fresh bucket on the moto server; returns its name."""
    name = f"kdc-test-{uuid.uuid4().hex[:8]}-{next(_bucket_seq)}"
    s3_client(moto_endpoint).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"}
    )
    return name


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="ap-northeast-2",
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def s3_url(endpoint: str, bucket: str, prefix: str = "kdc") -> str:
    return (
        f"s3://{bucket}/{prefix}?endpoint_url={endpoint}&region=ap-northeast-2"
        "&addressing_style=path"
    )


class ServedApp:
    """An app served over real HTTP by werkzeug in a thread; ``.url``, ``.app``, ``.http``."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.http = httpx.Client(base_url=self.url, timeout=30)
        self._tokens: dict[str, dict] = {}

    def headers(self, email: str) -> dict:
        if email not in self._tokens:
            self._tokens[email] = {"Authorization": f"Bearer {make_token(self.app, email)}"}
        return self._tokens[email]

    def as_user(self, email: str, method: str, path: str, **kw) -> httpx.Response:
        return self.http.request(method, path, headers=self.headers(email), **kw)

    def close(self):
        self.http.close()
        self.server.shutdown()
        self.server.server_close()


def _served(request, templates, tmp_path, storage_url: str | None):
    url, storage, _ = templates("sqlite", True).instantiate(tmp_path, None)
    extra = {"STORAGE_URL": storage_url} if storage_url else {}
    app = create_app(_config(url, storage, **extra))
    served = ServedApp(app)
    yield served
    served.close()
    app.extensions["kdc_engine"].dispose()


@pytest.fixture(params=["local", "s3"])
def served(request, templates, tmp_path):
    """The demo catalogue (SQLite) with a local store or an S3 bucket, over real HTTP."""
    if request.param == "s3":
        endpoint = request.getfixturevalue("moto_endpoint")
        bucket = request.getfixturevalue("s3_bucket")
        yield from _served(request, templates, tmp_path, s3_url(endpoint, bucket))
    else:
        yield from _served(request, templates, tmp_path, None)


@pytest.fixture
def served_local(request, templates, tmp_path):
    yield from _served(request, templates, tmp_path, None)


# --- data helpers -------------------------------------------------------------------------------


def grant_license(
    app,
    team: str = "naver",
    dataset: str = DATASET,
    *,
    status: LicenseStatus = LicenseStatus.ACTIVE,
    valid_for: timedelta = timedelta(days=365),
    started: timedelta = timedelta(days=1),
    survives: bool = False,
    accepted: bool = True,
) -> int:
    """Insert a licence row directly (with the approved purchase it refers to)."""
    with app.app_context():
        session = get_session()
        with transaction(session):
            t = session.scalar(select(Team).where(Team.code == team))
            ds = session.scalar(select(Dataset).where(Dataset.slug == dataset))
            offer = session.scalar(select(Offer).where(Offer.dataset_id == ds.id))
            now = utcnow()
            purchase = Purchase(
                dataset_id=ds.id,
                offer_id=offer.id,
                mode=offer.mode,
                status=PurchaseStatus.APPROVED,
                price_krw=offer.price_krw,
                opener_team_id=t.id,
            )
            session.add(purchase)
            session.flush()
            terms = {**offer.terms(), "survives_elimination": survives}
            lic = License(
                team_id=t.id,
                dataset_id=ds.id,
                purchase_id=purchase.id,
                status=status,
                valid_from=now - started,
                valid_until=now - started + valid_for,
                terms=terms,
                terms_accepted_at=now if accepted else None,
            )
            session.add(lic)
            session.flush()
            return lic.id


@dataclass
class Blob:
    key: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def upload(
    served: ServedApp,
    version: str,
    blob: Blob,
    *,
    declared_sha: str | None = None,
    declared_size: int | None = None,
    body: bytes | None = None,
    complete: bool = True,
    **extra,
) -> httpx.Response:
    """Request upload URL(s), PUT the bytes with plain httpx, then complete."""
    base = f"/api/v1/datasets/{DATASET}/versions/{version}/uploads"
    plan = served.as_user(
        PROVIDER,
        "POST",
        base,
        json={
            "key": blob.key,
            "size": blob.data.__len__() if declared_size is None else declared_size,
            "sha256": declared_sha or blob.sha256,
            **extra,
        },
    )
    assert plan.status_code == 201, plan.text
    plan = plan.json()
    data = blob.data if body is None else body
    if plan["multipart"]:
        offset = 0
        for part in plan["parts"]:
            chunk = data[offset : offset + part["size"]]
            offset += part["size"]
            r = httpx.put(part["url"], content=chunk, timeout=30)
            assert r.status_code == 200, r.text
    else:
        r = httpx.put(plan["url"], content=data, timeout=30)
        assert r.status_code == 200, r.text
    if not complete:
        return plan
    return served.as_user(PROVIDER, "POST", f"{base}/{plan['upload_id']}/complete")


def new_version(served: ServedApp, label: str = "2026.1") -> str:
    r = served.as_user(
        PROVIDER,
        "POST",
        f"/api/v1/datasets/{DATASET}/versions",
        json={"label": label, "release_notes": "test"},
    )
    assert r.status_code == 201, r.text
    return label
