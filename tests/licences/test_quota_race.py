"""Quotas under concurrency, on SQLite and PostgreSQL behind a real server: 50 manifest requests at once
never issue more than the quota allows."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from auditchain import verify_events
from catalog.db import get_session
from catalog.models.access import AccessGrant
from catalog.models.audit import AuditEvent
from catalog.models.licenses import License
from catalog.services.audit import event_as_dict
from tests.conftest import make_token
from tests.licences.conftest import buy, publish_dataset

REQUESTS = 50
PAGE = 4
QUOTA = 30  # room for 7 pages of 4 (28 objects); the 8th would cross it


def test_fifty_parallel_manifest_requests_never_exceed_the_quota(any_live_server):
    app = any_live_server.app
    files = {f"f{i:02d}.txt": f"{i}\n".encode() * 10 for i in range(PAGE)}
    with app.app_context():
        session = get_session()
        slug, offer_id = publish_dataset(
            session, app.extensions["kdc_store"], files=files, download_quota=QUOTA
        )
        _pid, lics = buy(session, slug, offer_id)
    license_id = lics["naver"]
    token = make_token(app, "naver-member@kdc.test")
    url = f"{any_live_server.url}/api/v1/datasets/{slug}/manifest"
    start = threading.Barrier(REQUESTS)

    def ask(_n: int) -> tuple[int, str]:
        with httpx.Client(timeout=60) as http:
            start.wait()
            r = http.get(url, params={"limit": PAGE}, headers={"Authorization": f"Bearer {token}"})
        body = r.json()
        return r.status_code, str(body.get("code") or len(body.get("objects", [])))

    with ThreadPoolExecutor(REQUESTS) as pool:
        outcomes = Counter(pool.map(ask, range(REQUESTS)))

    assert outcomes == {(200, str(PAGE)): QUOTA // PAGE, (403, "quota_exhausted"): 43}, outcomes
    with app.app_context():
        s = get_session()
        lic = s.get(License, license_id)
        assert lic.used_objects == (QUOTA // PAGE) * PAGE <= QUOTA
        assert lic.used_bytes == (QUOTA // PAGE) * sum(map(len, files.values()))
        grants = s.scalar(
            select(func.sum(AccessGrant.object_count)).where(AccessGrant.license_id == lic.id)
        )
        assert grants == lic.used_objects
        events = [event_as_dict(e) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert verify_events(events).ok
