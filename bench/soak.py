"""Soak: minutes of mixed traffic against gunicorn and PostgreSQL, then every invariant checked.

A database of its own (created, then dropped) gets the demo catalogue with its licences and
``--datasets`` extra datasets of the NIKH institution, each with an individual and a joint
offer. gunicorn (``catalog/gunicorn_conf.py``, 2 sync workers) serves it on a free port;
``--clients`` threads then send, for ``--minutes`` at about ``--rate`` requests per second:

- browse: the catalogue home (HTML), pages of the dataset list API;
- search: the search API with Korean and English words;
- detail: the dataset API and the dataset page;
- manifest: a licensed team member's manifest page;
- purchases: an individual request by a lead, approved by the provider; a joint purchase
  opened by one lead, joined by the other four, closed and approved (five teams).

Printed: p50/p95/max per endpoint, the number of server errors (5xx or broken
connections; the goal is 0), then a sequential measure of the joint approval with five
teams (goal: p95 < 50 ms), and the invariants, checked in the database afterwards: the
ledger sums to zero, each ledger transaction sums to zero, each team's balance equals its
ledger account, each approved purchase's shares add up to its price, every approved
participant holds a licence, and the audit chain verifies.

Run: ``.venv/bin/python bench/soak.py [--minutes 10] [--rate 15] [--clients 4]``
(``KDC_SOAK_MINUTES`` sets the default duration). Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
from bench_throughput import PG_ADMIN, Gunicorn  # noqa: E402

TEAMS = ["naver", "upstage", "skt", "ncai", "lgai"]
WORDS = ["실록", "음성", "자막", "뉴스", "특허", "census", "speech", "patent", "조선", "통계"]
PROVIDER = "nikh@kdc.test"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def prepare(db_url: str, storage: Path, n_datasets: int) -> dict:
    """Migrate, load the demo catalogue and licences, add the soak datasets; tokens."""
    from sqlalchemy import select

    from app import create_app
    from catalog.db import get_session, transaction, utcnow
    from catalog.demo import load_demo
    from catalog.migrate import upgrade
    from catalog.models import Dataset, License, Team
    from catalog.models.datasets import DatasetStatus, Modality
    from catalog.models.institutions import Institution
    from catalog.models.licenses import LicenseStatus
    from catalog.models.offers import Offer, OfferMode
    from catalog.services.context import Actor
    from catalog.services.search import reindex_dataset
    from catalog.services.tokens import create_token
    from catalog.services.users import find_user

    upgrade(db_url)
    app = create_app(
        {"DATABASE_URL": db_url, "STORAGE_URL": f"file://{storage}", "SECRET_KEY": "soak-secret"}
    )
    out: dict = {"datasets": [], "tokens": {}}
    with app.app_context():
        session = get_session()
        load_demo(session, app.extensions["kdc_store"], licences=True)
        with transaction(session):
            inst = session.scalar(select(Institution).where(Institution.code == "NIKH"))
            for i in range(n_datasets):
                ds = Dataset(
                    slug=f"soak-{i:04d}",
                    institution=inst,
                    title_ko=f"부하 시험 자료 {i} {random.choice(WORDS)}",
                    title_en=f"Soak dataset {i} {random.choice(WORDS)}",
                    modality=Modality.TEXT,
                    status=DatasetStatus.PUBLISHED,
                )
                reindex_dataset(ds)
                session.add(ds)
                session.flush()
                individual = Offer(
                    dataset_id=ds.id,
                    mode=OfferMode.INDIVIDUAL,
                    price_krw=1_000_000 + i,
                    term_months=12,
                    uses=["ai_training"],
                )
                joint = Offer(
                    dataset_id=ds.id,
                    mode=OfferMode.JOINT,
                    price_krw=3_000_001 + i,
                    term_months=12,
                    min_teams=2,
                    max_teams=5,
                    join_window_days=30,
                    uses=["ai_training"],
                )
                session.add_all([individual, joint])
                session.flush()
                out["datasets"].append((ds.slug, individual.id, joint.id))
            emails = [f"{t}-lead@kdc.test" for t in TEAMS]
            emails += [f"{t}-member@kdc.test" for t in TEAMS] + [PROVIDER]
            for email in emails:
                _tok, raw = create_token(session, Actor.system("soak"), find_user(session, email))
                out["tokens"][email] = {"Authorization": f"Bearer {raw}"}
        rows = session.execute(
            select(Team.code, Dataset.slug)
            .join(License, License.team_id == Team.id)
            .join(Dataset, Dataset.id == License.dataset_id)
            .where(
                License.terms_accepted_at.is_not(None),
                License.status == LicenseStatus.ACTIVE,
                License.valid_until > utcnow() + timedelta(days=1),
                License.valid_from <= utcnow(),
            )
        ).all()
        out["licensed"] = [(code, slug) for code, slug in rows]
        out["demo_slugs"] = list(
            session.scalars(select(Dataset.slug).where(~Dataset.slug.like("soak-%")))
        )
    app.extensions["kdc_engine"].dispose()
    return out


class Traffic:
    def __init__(self, base: str, data: dict, rate: float) -> None:
        self.base = base
        self.data = data
        self.interval = 1.0 / rate
        self.lock = threading.Lock()
        self.next_at = time.monotonic()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.server_errors: list[str] = []
        self.fresh = itertools.count()
        self.stop = threading.Event()
        self.manifest_ok = [
            (code, slug) for code, slug in data["licensed"] if not slug.startswith("soak-")
        ]

    def _pace(self) -> None:
        with self.lock:
            self.next_at = max(self.next_at + self.interval, time.monotonic() - 1.0)
            wait = self.next_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def call(
        self, client: httpx.Client, label: str, method: str, path: str, **kw
    ) -> httpx.Response | None:
        self._pace()
        t0 = time.perf_counter()
        try:
            resp = client.request(method, path, **kw)
            resp.read()
        except httpx.HTTPError as exc:
            with self.lock:
                self.server_errors.append(f"{label} {path}: {exc!r}")
            return None
        ms = (time.perf_counter() - t0) * 1000
        with self.lock:
            self.latencies[label].append(ms)
            self.statuses[label][resp.status_code] += 1
            if resp.status_code >= 500:
                self.server_errors.append(f"{label} {path}: {resp.status_code} {resp.text[:200]}")
        return resp

    def _dataset(self) -> tuple[str, int, int] | None:
        i = next(self.fresh)
        return self.data["datasets"][i] if i < len(self.data["datasets"]) else None

    def _tok(self, email: str) -> dict:
        return self.data["tokens"][email]

    def browse(self, c: httpx.Client) -> None:
        if random.random() < 0.5:
            self.call(c, "home HTML", "GET", "/", params={"page": random.randint(1, 3)})
        else:
            self.call(
                c, "list API", "GET", "/api/v1/datasets", params={"page": random.randint(1, 5)}
            )

    def search(self, c: httpx.Client) -> None:
        q = " ".join(random.sample(WORDS, random.choice([1, 1, 2])))
        self.call(c, "search API", "GET", "/api/v1/datasets", params={"q": q})

    def detail(self, c: httpx.Client) -> None:
        slug = random.choice(self.data["demo_slugs"] + [d[0] for d in self.data["datasets"][:50]])
        if random.random() < 0.5:
            self.call(c, "detail API", "GET", f"/api/v1/datasets/{slug}")
        else:
            self.call(c, "dataset page HTML", "GET", f"/datasets/{slug}")

    def manifest(self, c: httpx.Client) -> None:
        if not self.manifest_ok:
            return
        team, slug = random.choice(self.manifest_ok)
        self.call(
            c,
            "manifest API",
            "GET",
            f"/api/v1/datasets/{slug}/manifest",
            headers=self._tok(f"{team}-member@kdc.test"),
        )

    def individual(self, c: httpx.Client) -> None:
        ds = self._dataset()
        if ds is None:
            return
        slug, offer, _joint = ds
        team = random.choice(TEAMS)
        resp = self.call(
            c,
            "purchase request",
            "POST",
            "/api/v1/purchases",
            json={"dataset": slug, "offer": offer, "mode": "individual"},
            headers=self._tok(f"{team}-lead@kdc.test"),
        )
        if resp is not None and resp.status_code == 201:
            pid = resp.json()["id"]
            self.call(
                c,
                "approve individual",
                "POST",
                f"/api/v1/purchases/{pid}/approve",
                json={},
                headers=self._tok(PROVIDER),
            )

    def joint(self, c: httpx.Client, label: str = "approve joint (5 teams)") -> float | None:
        ds = self._dataset()
        if ds is None:
            return None
        slug, _offer, offer = ds
        opener, *others = random.sample(TEAMS, len(TEAMS))
        resp = self.call(
            c,
            "purchase open (joint)",
            "POST",
            "/api/v1/purchases",
            json={"dataset": slug, "offer": offer, "mode": "joint"},
            headers=self._tok(f"{opener}-lead@kdc.test"),
        )
        if resp is None or resp.status_code != 201:
            return None
        pid = resp.json()["id"]
        for team in others:
            self.call(
                c,
                "purchase join",
                "POST",
                f"/api/v1/purchases/{pid}/join",
                json={},
                headers=self._tok(f"{team}-lead@kdc.test"),
            )
        self.call(
            c,
            "purchase close",
            "POST",
            f"/api/v1/purchases/{pid}/close",
            json={},
            headers=self._tok(f"{opener}-lead@kdc.test"),
        )
        t0 = time.perf_counter()
        resp = self.call(
            c,
            label,
            "POST",
            f"/api/v1/purchases/{pid}/approve",
            json={},
            headers=self._tok(PROVIDER),
        )
        if resp is None or resp.status_code != 200:
            return None
        return (time.perf_counter() - t0) * 1000

    def worker(self) -> None:
        ops = [
            (self.browse, 25),
            (self.search, 25),
            (self.detail, 30),
            (self.manifest, 10),
            (self.individual, 6),
            (self.joint, 4),
        ]
        funcs, weights = zip(*ops, strict=True)
        with httpx.Client(base_url=self.base, timeout=60) as client:
            while not self.stop.is_set():
                op = random.choices(funcs, weights)[0]
                op(client)


def check_invariants(db_url: str) -> list[tuple[str, bool, str]]:
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from catalog.models import License, Purchase, Team
    from catalog.models.ledger import LedgerAccount, LedgerEntry
    from catalog.models.purchases import ParticipantStatus, PurchaseParticipant, PurchaseStatus
    from catalog.services.audit_review import verify_chain
    from catalog.services.ledger import ledger_total

    engine = create_engine(db_url)
    checks: list[tuple[str, bool, str]] = []
    with Session(engine) as s:
        total = ledger_total(s)
        checks.append(("ledger sums to zero", total == 0, f"Σ = {total:,} KRW"))
        unbalanced = s.execute(
            select(LedgerEntry.transaction_id)
            .group_by(LedgerEntry.transaction_id)
            .having(func.sum(LedgerEntry.amount_krw) != 0)
        ).all()
        n_tx = s.scalar(select(func.count(func.distinct(LedgerEntry.transaction_id))))
        checks.append(
            (
                "every ledger transaction sums to zero",
                not unbalanced,
                f"{n_tx:,} transactions, {len(unbalanced)} unbalanced",
            )
        )
        wrong = []
        for team in s.scalars(select(Team)):
            acct = s.scalar(select(LedgerAccount).where(LedgerAccount.team_id == team.id))
            ledger = int(
                s.scalar(
                    select(func.coalesce(func.sum(LedgerEntry.amount_krw), 0)).where(
                        LedgerEntry.account_id == acct.id
                    )
                )
                if acct
                else 0
            )
            if ledger != team.balance_krw:
                wrong.append(f"{team.code}: balance {team.balance_krw:,} vs ledger {ledger:,}")
        checks.append(
            ("team balances equal their ledger accounts", not wrong, "; ".join(wrong) or "5 teams")
        )
        approved = list(
            s.scalars(select(Purchase).where(Purchase.status == PurchaseStatus.APPROVED))
        )
        bad_shares, missing = [], []
        for p in approved:
            parts = list(
                s.scalars(
                    select(PurchaseParticipant).where(
                        PurchaseParticipant.purchase_id == p.id,
                        PurchaseParticipant.status == ParticipantStatus.JOINED,
                    )
                )
            )
            paid = sum(x.share_krw or 0 for x in parts) if parts else p.price_krw
            if parts and paid != p.price_krw:
                bad_shares.append(f"purchase {p.id}: {paid:,} of {p.price_krw:,}")
            teams = {x.team_id for x in parts} or {p.opener_team_id}
            holders = set(s.scalars(select(License.team_id).where(License.purchase_id == p.id)))
            if teams - holders:
                missing.append(f"purchase {p.id}")
        checks.append(
            (
                "approved purchases' shares add up to the price",
                not bad_shares,
                "; ".join(bad_shares[:5]) or f"{len(approved)} approved purchases",
            )
        )
        checks.append(
            (
                "every approved participant holds a licence",
                not missing,
                "; ".join(missing[:5]) or "all",
            )
        )
        result = verify_chain(s)
        checks.append(("audit chain verifies", result.ok, f"{result.valid_events:,} events"))
    engine.dispose()
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--minutes", type=float, default=float(os.environ.get("KDC_SOAK_MINUTES", "10"))
    )
    parser.add_argument("--rate", type=float, default=15.0, help="requests per second")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--approvals", type=int, default=30, help="sequential joint approvals")
    args = parser.parse_args()
    n_datasets = int(args.minutes * 60 * args.rate * 0.1 / 2) + args.approvals + 20

    import psycopg

    name = f"kdc_soak_{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="kdc-soak-"))
    server = None
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        db_url = (
            PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
            + f"/{name}"
        )
        t0 = time.perf_counter()
        data = prepare(db_url, tmp / "storage", n_datasets)
        print(
            f"soak setup: demo catalogue + {n_datasets} datasets in {time.perf_counter() - t0:.0f} s"
        )
        env = {
            **os.environ,
            "KDC_DATABASE_URL": db_url,
            "KDC_STORAGE_URL": f"file://{tmp / 'storage'}",
            "KDC_SECRET_KEY": "soak-secret",
            "KDC_INSTANCE_PATH": str(tmp / "instance"),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
            "PYTHONPATH": str(ROOT),
        }
        server = Gunicorn("app:create_app()", ROOT, env, config="catalog/gunicorn_conf.py")
        server.wait_ready("/api/v1/datasets")
        traffic = Traffic(server.base, data, args.rate)
        threads = [threading.Thread(target=traffic.worker) for _ in range(args.clients)]
        started = time.monotonic()
        for t in threads:
            t.start()
        try:
            time.sleep(args.minutes * 60)
        finally:
            traffic.stop.set()
            for t in threads:
                t.join()
        elapsed = time.monotonic() - started
        n = sum(len(v) for v in traffic.latencies.values())
        print(
            f"soak: {args.minutes:g} min, {n:,} requests ({n / elapsed:.1f}/s), "
            f"{args.clients} clients, gunicorn 2 sync workers, PostgreSQL"
        )
        print(f"{'endpoint':<28} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  statuses")
        for label in sorted(traffic.latencies):
            lat = traffic.latencies[label]
            codes = ", ".join(f"{k}×{v}" for k, v in sorted(traffic.statuses[label].items()))
            print(
                f"{label:<28} {len(lat):>6} {statistics.median(lat):>8.1f} "
                f"{percentile(lat, 0.95):>8.1f} {max(lat):>8.1f}  {codes}"
            )
        print(f"soak: server errors: {len(traffic.server_errors)}  (goal 0)")
        for line in traffic.server_errors[:10]:
            print("  ", line)

        # The joint approval alone, one at a time (no other traffic): five teams each.
        traffic.interval = 0.0
        times = []
        with httpx.Client(base_url=server.base, timeout=60) as client:
            for _ in range(args.approvals):
                ms = traffic.joint(client, label="approve joint, sequential")
                if ms is not None:
                    times.append(ms)
        p95 = percentile(times, 0.95)
        print(
            f"joint approve with 5 teams over HTTP, PostgreSQL, sequential: n={len(times)} "
            f"p50 {statistics.median(times) if times else float('nan'):.1f} ms, "
            f"p95 {p95:.1f} ms  (goal p95 < 50 ms)"
        )
        server.stop()
        server = None
        print("invariants:")
        failed = 0
        for what, ok, detail in check_invariants(db_url):
            failed += not ok
            print(f"  {'ok  ' if ok else 'FAIL'} {what}: {detail}")
        print(
            f"RESULT|soak server errors|{len(traffic.server_errors)}|0|"
            f"{'yes' if not traffic.server_errors else 'no'}"
        )
        print(
            f"RESULT|joint approve, 5 teams, PostgreSQL, p95|{p95:.1f} ms|< 50 ms|{'yes' if p95 < 50 else 'no'}"
        )
        print(
            f"RESULT|soak invariants|{'all hold' if not failed else f'{failed} broken'}|all hold|{'yes' if not failed else 'no'}"
        )
        if failed or traffic.server_errors:
            raise SystemExit(1)
    finally:
        if server is not None:
            server.stop()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
