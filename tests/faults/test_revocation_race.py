"""1,000 URL issuances racing a revocation, on PostgreSQL: none is issued after the
revocation commits.

Threads each use their own session (as separate workers would). Every issuance and the
revocation write an audit event while holding the chain head until they commit, so the
chain's sequence numbers order the commits: every ``access:issue_urls`` event must come
before the ``license:revoke`` event, and every issuance that started after the revocation
had committed must have been refused.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from catalog.db import get_session
from catalog.errors import Forbidden
from catalog.models.access import AccessGrant
from catalog.models.audit import AuditEvent
from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion, VersionStatus
from catalog.services import access, licensing
from catalog.services.context import Actor
from catalog.services.users import find_user
from tests.storage.conftest import DATASET, MEMBER, grant_license

ISSUANCES = 1000
REVOKE_AFTER = 300
THREADS = 16


def test_no_url_is_issued_after_the_revocation_commits(pg_demo_app):
    app = pg_demo_app
    licence = grant_license(app)
    maker = app.extensions["kdc_sessionmaker"]
    store = app.extensions["kdc_store"]
    with app.app_context():
        s = get_session()
        member = Actor.for_user(find_user(s, MEMBER))
        admin = Actor.for_user(find_user(s, "admin@kdc.test"))
        key = s.scalar(
            select(DatasetObject.key)
            .join(DatasetVersion, DatasetVersion.id == DatasetObject.version_id)
            .join(Dataset, Dataset.id == DatasetVersion.dataset_id)
            .where(Dataset.slug == DATASET, DatasetVersion.status == VersionStatus.PUBLISHED)
            .limit(1)
        )
    lock = threading.Lock()
    finished = 0
    started_revocation = threading.Event()
    revoked_at: list[float] = []
    outcomes: list[tuple[float, str]] = []  # (start time, "ok" or refusal code)

    def revoke() -> None:
        session = maker()
        try:
            licensing.revoke_license(session, admin, licence, "race test")
        finally:
            session.close()
        revoked_at.append(time.monotonic())

    def issue(_n: int) -> None:
        nonlocal finished
        start = time.monotonic()
        session = maker()
        try:
            access.issue_file_url(session, member, store, DATASET, key)
            outcome = "ok"
        except Forbidden as exc:
            outcome = exc.code
        finally:
            session.close()
        with lock:
            outcomes.append((start, outcome))
            finished += 1
            go = finished == REVOKE_AFTER and not started_revocation.is_set()
            if go:
                started_revocation.set()
        if go:
            threading.Thread(target=revoke).start()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(issue, range(ISSUANCES)))
    deadline = time.monotonic() + 30
    while not revoked_at and time.monotonic() < deadline:
        time.sleep(0.05)
    assert revoked_at, "the revocation did not finish"

    counts = Counter(outcome for _t, outcome in outcomes)
    assert len(outcomes) == ISSUANCES
    assert set(counts) == {"ok", "license_revoked"}, counts
    assert counts["ok"] >= REVOKE_AFTER and counts["license_revoked"] > 0
    # Issuances that began once the revocation had committed were all refused.
    assert all(outcome != "ok" for t, outcome in outcomes if t > revoked_at[0])
    with app.app_context():
        s = get_session()
        revoke_seq = s.scalar(
            select(AuditEvent.seq).where(
                AuditEvent.action == "license:revoke", AuditEvent.subject_id == str(licence)
            )
        )
        issue_seqs = s.scalars(
            select(AuditEvent.seq).where(AuditEvent.action == "access:issue_urls")
        ).all()
        grants = s.scalar(
            select(func.count()).select_from(AccessGrant).where(AccessGrant.license_id == licence)
        )
    assert len(issue_seqs) == grants == counts["ok"]
    late = [seq for seq in issue_seqs if seq > revoke_seq]
    assert late == [], f"{len(late)} issuance(s) committed after the revocation"
