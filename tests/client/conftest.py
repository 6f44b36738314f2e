"""Fixtures for the ``kdc`` client tests: the real command against a real server process."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import make_token

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINT = Path(sys.executable).parent / "kdc"


def kdc_argv() -> list[str]:
    """The installed ``kdc`` entry point (``pip install -e .``), else ``python -m kdc.cli``."""
    if ENTRY_POINT.exists():
        return [str(ENTRY_POINT)]
    return [sys.executable, "-m", "kdc.cli"]


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


class Kdc:
    """Runs ``kdc`` as a user of the live server: ``kdc.as_("naver-member").run("datasets")``."""

    def __init__(self, server, token: str | None = None):
        self.server = server
        self.token = token
        self._tokens: dict[str, str] = {}

    def as_(self, who: str) -> Kdc:
        email = who if "@" in who else f"{who}@kdc.test"
        if email not in self._tokens:
            self._tokens[email] = make_token(self.server.app, email)
        kdc = Kdc(self.server, self._tokens[email])
        kdc._tokens = self._tokens
        return kdc

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KDC_")}
        env["KDC_URL"] = self.server.url
        env["PYTHONPATH"] = str(ROOT)
        env["COLUMNS"] = "200"
        if self.token:
            env["KDC_TOKEN"] = self.token
        return env

    def run(self, *args: str, timeout: float = 60) -> Run:
        proc = subprocess.run(
            [*kdc_argv(), *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [*kdc_argv(), *args],
            cwd=ROOT,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def kdc(live_server) -> Kdc:
    return Kdc(live_server)


def publish_version(app, slug: str, label: str, files: dict[str, bytes]) -> dict[str, str]:
    """Publish a new version of ``slug`` holding ``files`` (written to the real store)."""
    from sqlalchemy import select

    from catalog.db import get_session, transaction, utcnow
    from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion, VersionStatus

    with app.app_context():
        session = get_session()
        store = app.extensions["kdc_store"]
        with transaction(session):
            ds = session.scalar(select(Dataset).where(Dataset.slug == slug))
            prefix = f"test/{slug}/{label}"
            version = DatasetVersion(
                dataset_id=ds.id,
                label=label,
                storage_backend=store.scheme,
                bucket=store.bucket,
                prefix=prefix,
                status=VersionStatus.PUBLISHED,
                published_at=utcnow(),
                object_count=len(files),
                total_bytes=sum(map(len, files.values())),
            )
            session.add(version)
            session.flush()
            for key, data in files.items():
                store.put(f"{prefix}/{key}", data)
                session.add(
                    DatasetObject(
                        version_id=version.id,
                        key=key,
                        size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(),
                    )
                )
    return {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}
