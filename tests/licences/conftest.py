"""Fixtures for licence tests: a licensed dataset of known files, bought through the services,
and real servers on SQLite and PostgreSQL for the client journeys."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import func, select

from app import create_app
from catalog.db import get_session, transaction, utcnow
from catalog.models.access import AccessGrant
from catalog.models.audit import AuditEvent
from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion, VersionStatus
from catalog.models.licenses import License
from catalog.services import publishing, purchasing, terms
from catalog.services.context import Actor
from catalog.services.users import find_user
from tests.conftest import _config
from tests.live import LiveServer

_seq = itertools.count(1)


def actor(session, who: str, **kw) -> Actor:
    email = who if "@" in who else f"{who}@kdc.test"
    user = find_user(session, email)
    assert user is not None, email
    return Actor.for_user(user, **kw)


@dataclass
class Licensed:
    """A dataset with files and the licence(s) a purchase of it gave."""

    slug: str
    offer_id: int
    purchase_id: int
    licences: dict[str, int]  # team code → licence id
    files: dict[str, bytes]

    @property
    def license_id(self) -> int:
        return next(iter(self.licences.values()))


def publish_dataset(
    session, store, *, institution: str = "NIKH", files: dict[str, bytes], **offer
) -> tuple[str, int]:
    """A published dataset with one published version of ``files`` and one offer (created
    through the provider service, so it has its licence text)."""
    n = next(_seq)
    slug = f"lic-test-{n}"
    provider = actor(session, f"{institution.lower()}@kdc.test")
    publishing.create_dataset(
        session,
        provider,
        slug=slug,
        title_ko=f"시험 데이터 {n}",
        title_en=f"Test data {n}",
        modality="text",
    )
    fields = {
        "mode": "individual",
        "price_krw": 100_000_000,
        "term_months": 12,
        "uses": ["ai_training"],
        "attribution": "시험 출처",
        **offer,
    }
    created = publishing.create_offer(session, provider, slug, **fields)
    with transaction(session):
        ds = session.scalar(select(Dataset).where(Dataset.slug == slug))
        prefix = f"test/{slug}/v1"
        version = DatasetVersion(
            dataset_id=ds.id,
            label="v1",
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
    session.expire_all()  # the dataset's offers, as another request would read them
    publishing.set_dataset_status(session, provider, slug, "published")
    return slug, created.id


def buy(
    session,
    slug: str,
    offer_id: int,
    teams: tuple[str, ...] = ("naver",),
    *,
    now: datetime | None = None,
    accept: bool = True,
) -> tuple[int, dict[str, int]]:
    """Buy (individually, or jointly by ``teams``) and approve; returns the purchase id and
    each team's licence id. Leads act, so every participation is confirmed at once."""
    ds = session.scalar(select(Dataset).where(Dataset.slug == slug))
    provider = actor(session, f"{ds.institution.code.lower()}@kdc.test")
    first = actor(session, f"{teams[0]}-lead")
    p = purchasing.request_purchase(session, first, dataset=slug, offer=offer_id, now=now)
    for team in teams[1:]:
        purchasing.join_purchase(session, actor(session, f"{team}-lead"), p.id, now=now)
    if len(teams) > 1:
        purchasing.close_purchase(session, first, p.id, now=now)
    purchasing.approve_purchase(session, provider, p.id, now=now)
    lics = {
        lic.team.code: lic.id
        for lic in session.scalars(select(License).where(License.purchase_id == p.id))
    }
    if accept:
        for team, lic_id in lics.items():
            terms.accept_terms(session, actor(session, f"{team}-lead"), lic_id, now=now)
    return p.id, lics


@pytest.fixture
def licensed(demo_app):
    """``licensed(files=…, teams=(…), **offer)`` → a ``Licensed`` dataset, bought now."""

    def make(files: dict[str, bytes] | None = None, teams=("naver",), now=None, **offer):
        files = files or {f"part-{i:02d}.txt": f"row {i}\n".encode() * (i + 1) for i in range(6)}
        if len(teams) > 1:
            offer.setdefault("mode", "joint")
            offer.setdefault("min_teams", 2)
            offer.setdefault("max_teams", 5)
            offer.setdefault("join_window_days", 30)
        with demo_app.app_context():
            session = get_session()
            slug, offer_id = publish_dataset(
                session, demo_app.extensions["kdc_store"], files=files, **offer
            )
            pid, lics = buy(session, slug, offer_id, tuple(teams), now=now)
        return Licensed(slug, offer_id, pid, lics, files)

    return make


def counts(app) -> dict[str, int]:
    with app.app_context():
        s = get_session()
        return {
            "grants": s.scalar(select(func.count()).select_from(AccessGrant)),
            "events": s.scalar(select(func.count()).select_from(AuditEvent)),
        }


def licence_row(app, license_id: int) -> License:
    with app.app_context():
        s = get_session()
        lic = s.get(License, license_id)
        s.expunge(lic)
        return lic


@pytest.fixture
def backend_live_server(request, templates, tmp_path, backend):
    """A real server over a copy of the demo catalogue, on SQLite and on PostgreSQL.

    ``.app`` shares its database for setting up state through the services."""
    pg = request.getfixturevalue("pg") if backend == "postgresql" else None
    url, storage, pg_name = templates(backend, True).instantiate(tmp_path, pg)
    server = LiveServer(url, storage, tmp_path / "instance").start()
    server.app = create_app(_config(url, storage, SECRET_KEY="live-test-secret"))
    server.backend = backend
    yield server
    server.stop()
    server.app.extensions["kdc_engine"].dispose()
    if pg_name:
        pg.drop(pg_name)


def _live_server(request, templates, tmp_path, backend: str):
    pg = request.getfixturevalue("pg") if backend == "postgresql" else None
    url, storage, pg_name = templates(backend, True).instantiate(tmp_path, pg)
    server = LiveServer(url, storage, tmp_path / "instance").start()
    server.app = create_app(_config(url, storage, SECRET_KEY="live-test-secret"))
    yield server
    server.stop()
    server.app.extensions["kdc_engine"].dispose()
    if pg is not None:
        pg.drop(pg_name)


@pytest.fixture
def pg_live_server(request, templates, tmp_path):
    """A real server over the demo catalogue on PostgreSQL (concurrency tests)."""
    yield from _live_server(request, templates, tmp_path, "postgresql")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_live_server(request, templates, tmp_path):
    """A real server over the demo catalogue, on each database."""
    yield from _live_server(request, templates, tmp_path, request.param)
