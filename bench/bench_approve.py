"""The joint approval of a five-team purchase, in process: time and SQL statements.

A fresh database (PostgreSQL: created as ``kdc_bench_<pid>`` and dropped afterwards;
SQLite: a file in a temporary folder) gets the demo catalogue with its licences and
``--n`` extra datasets of the NIKH institution, each with a joint offer for up to five
teams. For each dataset one lead opens a joint purchase, the four other leads join, the
opener closes it; then ``purchasing.approve_purchase`` is timed alone, one approval at a
time, without HTTP. Printed per database: p50/p95/max in ms and the SQL statements one
approval sends (counted with a ``before_cursor_execute`` listener; an INSERT of many
rows batched by SQLAlchemy counts once).

Run: ``.venv/bin/python bench/bench_approve.py [--n 30] [--backend postgresql|sqlite|both]``
(``KDC_TEST_PG`` names the PostgreSQL server's admin URL). Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("KDC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TEAMS = ["naver", "upstage", "skt", "ncai", "lgai"]
PROVIDER = "nikh@kdc.test"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(db_url: str, storage: Path, n: int, show_sql: bool = False) -> dict[str, float]:
    from sqlalchemy import event, select

    from app import create_app
    from catalog.db import get_engine, get_session, transaction
    from catalog.demo import load_demo
    from catalog.migrate import upgrade
    from catalog.models.datasets import Dataset, DatasetStatus, Modality
    from catalog.models.institutions import Institution
    from catalog.models.offers import Offer, OfferMode
    from catalog.models.purchases import PurchaseStatus
    from catalog.services import purchasing
    from catalog.services.context import Actor
    from catalog.services.search import reindex_dataset
    from catalog.services.users import find_user

    upgrade(db_url)
    app = create_app(
        {"DATABASE_URL": db_url, "STORAGE_URL": f"file://{storage}", "SECRET_KEY": "bench-secret"}
    )
    with app.app_context():
        session = get_session()
        load_demo(session, app.extensions["kdc_store"], licences=True)
        offers = []
        with transaction(session):
            inst = session.scalar(select(Institution).where(Institution.code == "NIKH"))
            for i in range(n):
                ds = Dataset(
                    slug=f"bench-approve-{i:04d}",
                    institution=inst,
                    title_ko=f"승인 시험 자료 {i}",
                    title_en=f"Approval bench dataset {i}",
                    modality=Modality.TEXT,
                    status=DatasetStatus.PUBLISHED,
                )
                reindex_dataset(ds)
                session.add(ds)
                session.flush()
                offer = Offer(
                    dataset_id=ds.id,
                    mode=OfferMode.JOINT,
                    price_krw=3_000_001 + i,
                    term_months=12,
                    min_teams=2,
                    max_teams=5,
                    join_window_days=30,
                    uses=["ai_training"],
                )
                session.add(offer)
                session.flush()
                offers.append((ds.slug, offer.id))
        leads = {t: Actor.for_user(find_user(session, f"{t}-lead@kdc.test")) for t in TEAMS}
        provider = Actor.for_user(find_user(session, PROVIDER))
        pids = []
        for slug, offer_id in offers:
            opener, *others = TEAMS
            p = purchasing.request_purchase(
                session, leads[opener], dataset=slug, offer=offer_id, mode="joint"
            )
            for team in others:
                purchasing.join_purchase(session, leads[team], p.id)
            purchasing.close_purchase(session, leads[opener], p.id)
            pids.append(p.id)
        session.close()

        engine = get_engine()
        counter = {"n": 0}
        seen: list[str] = []

        def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            counter["n"] += 1
            seen.append(" ".join(statement.split())[:300])

        event.listen(engine, "before_cursor_execute", count)
        times, statements = [], []
        for pid in pids:
            session = get_session()
            session.expunge_all()  # as in a new request: nothing cached
            counter["n"] = 0
            seen.clear()
            t0 = time.perf_counter()
            purchase = purchasing.approve_purchase(session, provider, pid)
            times.append((time.perf_counter() - t0) * 1000)
            statements.append(counter["n"])
            assert purchase.status == PurchaseStatus.APPROVED
            session.close()
        event.remove(engine, "before_cursor_execute", count)
        if show_sql:
            print("\n".join(seen))
        engine.dispose()
    return {
        "n": len(times),
        "p50": statistics.median(times),
        "p95": percentile(times, 0.95),
        "max": max(times),
        "statements": statistics.median(statements),
        "statements_max": max(statements),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="joint purchases to approve")
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument(
        "--show-sql", action="store_true", help="print the statements of the last approval"
    )
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    for backend in backends:
        tmp = Path(tempfile.mkdtemp(prefix="kdc-bench-approve-"))
        name = None
        try:
            if backend == "postgresql":
                import psycopg

                name = f"kdc_bench_{os.getpid()}"
                try:
                    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                        conn.execute(f'CREATE DATABASE "{name}"')
                except psycopg.OperationalError:
                    print("postgresql not reachable: skipped", file=sys.stderr)
                    name = None
                    continue
                db_url = (
                    PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
                    + f"/{name}"
                )
            else:
                db_url = f"sqlite:///{tmp / 'bench.db'}"
            r = run(db_url, tmp / "storage", args.n, args.show_sql)
            print(
                f"joint approve, 5 teams, in process, {backend}: n={r['n']} "
                f"p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, max {r['max']:.1f} ms; "
                f"{r['statements']:.0f} SQL statements per approval (max {r['statements_max']})"
            )
            print(
                f"RESULT|joint approve, 5 teams, in process, {backend}, p95|{r['p95']:.1f} ms|"
                f"< 50 ms|{'yes' if r['p95'] < 50 else 'no'}"
            )
        finally:
            if name is not None:
                import psycopg

                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
