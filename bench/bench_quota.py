"""Issuance latency with usage metering and the quota check, on SQLite and PostgreSQL.

Every issuance locks the licence's row, checks the quota (``licence_terms.decide``), counts
what it issues and writes its grant and audit event in one transaction. This measures, in
process (no HTTP), the access broker's two calls for a licence with quotas and one without:

- ``issue_file_url``: one file's URL (the web UI's download, ``kdc fetch``'s fallback);
- ``issue_download_urls``: a manifest page of 1,000 objects;
- the quota step alone (lock, check) inside a transaction;
- on PostgreSQL, 8 threads issuing single-file URLs at once, all on one licence (they queue
  on its row) and spread over four teams' licences.

Run: ``.venv/bin/python bench/bench_quota.py [--files N] [--rounds N]``. PostgreSQL at
127.0.0.1:5432 (``KDC_TEST_PG``) is needed for the PostgreSQL rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PG_ADMIN = os.environ.get("KDC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TEAMS = ("naver", "upstage", "skt", "ncai")


def _setup(url: str, storage: Path, files: int):
    from app import create_app
    from catalog.db import get_session
    from catalog.demo import load_demo
    from catalog.migrate import upgrade
    from tests.licences.conftest import buy, publish_dataset

    upgrade(url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "STORAGE_URL": f"file://{storage}",
            "SECRET_KEY": "bench",
            "TESTING": True,
        }
    )
    data = {f"part-{i:05d}.jsonl": f'{{"id": {i}}}\n'.encode() for i in range(files)}
    with app.app_context():
        session = get_session()
        load_demo(session, app.extensions["kdc_store"])
        store = app.extensions["kdc_store"]
        capped, offer_c = publish_dataset(
            session, store, files=data, download_quota=10**9, download_quota_bytes=2**50
        )
        uncapped, offer_u = publish_dataset(
            session,
            store,
            files=data,
            mode="joint",
            min_teams=2,
            max_teams=5,
            join_window_days=30,
        )
        buy(session, capped, offer_c, TEAMS[:1])
        buy(session, uncapped, offer_u, TEAMS)
    return app, capped, uncapped


def _median_ms(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _measure(app, capped: str, uncapped: str, rounds: int) -> dict[str, float]:
    from sqlalchemy import select

    from catalog.db import get_session, transaction, utcnow
    from catalog.models.datasets import Dataset
    from catalog.models.licenses import License
    from catalog.services import access
    from catalog.services.context import Actor
    from catalog.services.users import find_user

    out = {}
    with app.app_context():
        session = get_session()
        store = app.extensions["kdc_store"]
        member = Actor.for_user(find_user(session, "naver-member@kdc.test"))
        for label, slug in (("quota", capped), ("no quota", uncapped)):
            out[f"file URL, {label}"] = _median_ms(
                lambda slug=slug: access.issue_file_url(
                    session, member, store, slug, "part-00000.jsonl"
                ),
                rounds,
            )
            out[f"page of 1,000, {label}"] = _median_ms(
                lambda slug=slug: access.issue_download_urls(
                    session, member, store, slug, limit=1000
                ),
                max(5, rounds // 10),
            )
        lic = session.scalar(select(License).join(Dataset).where(Dataset.slug == capped))

        def step():
            with transaction(session):
                access.within_quota(session, lic, 1, 100, utcnow())

        out["lock + quota check alone"] = _median_ms(step, rounds)
    return out


def _parallel(app, slug: str, teams: tuple[str, ...], per_thread: int) -> float:
    """Issuances per second with 8 threads, members of ``teams`` in turn."""
    from catalog.db import get_session
    from catalog.services import access
    from catalog.services.context import Actor
    from catalog.services.users import find_user

    maker = app.extensions["kdc_sessionmaker"]
    store = app.extensions["kdc_store"]
    with app.app_context():
        actors = [Actor.for_user(find_user(get_session(), f"{t}-member@kdc.test")) for t in teams]
    start = threading.Barrier(8)

    def work(n: int) -> None:
        with app.app_context():
            session = maker()
            actor = actors[n % len(actors)]
            start.wait()
            for _ in range(per_thread):
                access.issue_file_url(session, actor, store, slug, "part-00001.jsonl")
            session.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return 8 * per_thread / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        app, capped, uncapped = _setup(
            f"sqlite:///{tmp}/bench.sqlite3", Path(tmp) / "store", args.files
        )
        rows["SQLite"] = _measure(app, capped, uncapped, args.rounds)
        app.extensions["kdc_engine"].dispose()
    import psycopg

    name = f"kdc_bench_quota_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError as exc:
        print(f"(no PostgreSQL: {exc})")
        admin = None
    if admin is not None:
        admin.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        url = (
            PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            + "/"
            + name
        )
        try:
            with tempfile.TemporaryDirectory() as tmp:
                app, capped, uncapped = _setup(url, Path(tmp) / "store", args.files)
                rows["PostgreSQL"] = _measure(app, capped, uncapped, args.rounds)
                rows["PostgreSQL"]["8 threads, one licence (issuances/s)"] = _parallel(
                    app, uncapped, TEAMS[:1], 40
                )
                rows["PostgreSQL"]["8 threads, four licences (issuances/s)"] = _parallel(
                    app, uncapped, TEAMS, 40
                )
                app.extensions["kdc_engine"].dispose()
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
    keys = list(next(iter(rows.values())))
    keys += [k for r in rows.values() for k in r if k not in keys]
    print(f"| figure | {' | '.join(rows)} |")
    print("|---|" + "---|" * len(rows))
    for key in keys:
        cells = []
        for r in rows.values():
            v = r.get(key)
            cells.append("—" if v is None else (f"{v:,.0f}" if "/s" in key else f"{v:.2f} ms"))
        print(f"| {key} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
