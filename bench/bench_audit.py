"""Audit chain speed: offline verification, verification from PostgreSQL, append cost.

1. Offline: writes an export of ``--events`` (default 1,000,000) realistic events with a
   signed checkpoint every 100,000, then times ``auditchain.verify_export`` on it
   (target: under 10 s for 1,000,000).
2. PostgreSQL: loads ``--db-events`` (default 200,000) of them into a scratch database with
   COPY and times ``audit_review.verify_chain`` (batches of 5,000 rows).
3. Append cost on PostgreSQL: ``--txns`` transactions that lock a team row and update its
   balance, with and without ``record_event``; the difference is what an event adds to a
   purchase transaction (target: under 2 ms).

Run: ``.venv/bin/python bench/bench_audit.py [--events N] [--db-events N] [--txns N]``.
PostgreSQL at 127.0.0.1:5432 (``KDC_TEST_PG``) is needed for parts 2 and 3.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditchain import (  # noqa: E402
    GENESIS_HASH,
    event_hash,
    export_line,
    verify_export,
)

PG_ADMIN = os.environ.get("KDC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TEAMS = ["naver", "upstage", "skt", "ncai", "lgai"]
ACTIONS = [
    "purchase:request",
    "purchase:open",
    "purchase:join",
    "purchase:approve",
    "ledger:purchase",
    "license:issue",
    "access:issue_urls",
    "ledger:grant",
]


def realistic_events(n: int, seed: int = 5, ids: bool = True):
    """Events shaped like the application's: Korean notes, share lists, e-mail actors."""
    rnd = random.Random(seed)
    prev = GENESIS_HASH
    t0 = 1_780_000_000
    for seq in range(1, n + 1):
        action = ACTIONS[seq % len(ACTIONS)]
        team = TEAMS[seq % 5]
        data = {
            "dataset": f"nikh-sillok-{seq % 97}",
            "team": team,
            "price_krw": rnd.randrange(10**7, 3 * 10**9),
        }
        if action == "purchase:approve":
            data["shares"] = [{"team": t, "share_krw": 100_000_000} for t in TEAMS[:3]]
            data["note"] = "승인합니다 — 공동구매 조건 확인"
        elif action == "access:issue_urls":
            data.update({"version": "2025.1", "objects": rnd.randrange(1, 500), "ttl": 900})
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t0 + seq)) + f".{seq % 1_000_000:06d}Z"
        ev = {
            "seq": seq,
            "ts": ts,
            "actor": f"{team}-lead@kdc.test",
            "actor_id": 10 + seq % 20 if ids else None,
            "token_id": (None if seq % 3 else seq % 50) if ids else None,
            "action": action,
            "subject_type": action.split(":")[0],
            "subject_id": str(seq // 3),
            "data": data,
            "client_addr": f"10.0.0.{seq % 250}",
            "prev_hash": prev,
        }
        ev["hash"] = prev = event_hash(ev)
        yield ev


def write_export(path: Path, n: int, key) -> None:
    from catalog.services.audit_review import ALGORITHM

    info = key.info()
    cps = []
    with open(path, "w", encoding="utf-8") as fh:
        events_tmp = path.with_suffix(".events")
        with open(events_tmp, "w", encoding="utf-8") as evh:
            for ev in realistic_events(n):
                ev["type"] = "event"
                evh.write(export_line(ev) + "\n")
                if ev["seq"] % 100_000 == 0 or ev["seq"] == n:
                    ts = "2026-11-28T00:00:00.000000Z"
                    cps.append(
                        {
                            "type": "checkpoint",
                            "seq": ev["seq"],
                            "hash": ev["hash"],
                            "signed_at": ts,
                            "key_id": key.key_id,
                            "signature": key.sign(ev["seq"], ev["hash"], ts),
                        }
                    )
        fh.write(
            export_line(
                {
                    "type": "header",
                    "format": "kdc-audit-export",
                    "version": 1,
                    "after": 0,
                    "head_seq": n,
                    "head_hash": cps[-1]["hash"],
                    "exported_at": "2026-11-28T00:00:00.000000Z",
                    "public_keys": [
                        {
                            "key_id": info["key_id"],
                            "algorithm": ALGORITHM,
                            "public_key_pem": info["public_key_pem"],
                        }
                    ],
                }
            )
            + "\n"
        )
        for cp in cps:
            fh.write(export_line(cp) + "\n")
        with open(events_tmp, encoding="utf-8") as evh:
            for line in evh:
                fh.write(line)
        events_tmp.unlink()


def bench_offline(n: int, tmp: Path, key) -> None:
    path = tmp / "export.jsonl"
    t = time.perf_counter()
    write_export(path, n, key)
    gen = time.perf_counter() - t
    size = path.stat().st_size
    t = time.perf_counter()
    result = verify_export(str(path), public_keys={key.key_id: key.private.public_key()})
    took = time.perf_counter() - t
    assert result.ok and result.valid_events == n, result.as_dict()
    print(
        f"offline verify: {n:,} events ({size / 1e6:,.0f} MB, {result.checkpoints_valid} "
        f"signed checkpoints) in {took:.2f} s = {n / took:,.0f} events/s "
        f"(target < 10 s for 1,000,000: {'met' if took * 1_000_000 / n < 10 else 'MISSED'}; "
        f"writing the export took {gen:.1f} s)"
    )


def _pg_db():
    import psycopg

    name = f"kdc_bench_audit_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    base = PG_ADMIN.rsplit("/", 1)[0]
    return name, f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_pg_verify(n: int) -> None:
    import json
    from datetime import UTC, datetime

    import psycopg
    from sqlalchemy.orm import sessionmaker

    from catalog.db import make_engine
    from catalog.migrate import upgrade
    from catalog.services import audit_review

    name, url = _pg_db()
    try:
        upgrade(url)
        dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        t = time.perf_counter()
        last = None
        with psycopg.connect(dsn) as conn, conn.cursor() as cur:
            with cur.copy(
                "COPY audit_events (seq, created_at, actor_id, actor_token_id, actor, "
                "action, subject_type, subject_id, data, client_addr, prev_hash, hash)"
                " FROM STDIN"
            ) as copy:
                for ev in realistic_events(n, ids=False):
                    ts = datetime.strptime(ev["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
                    copy.write_row(
                        (
                            ev["seq"],
                            ts,
                            None,
                            None,
                            ev["actor"],
                            ev["action"],
                            ev["subject_type"],
                            ev["subject_id"],
                            json.dumps(ev["data"], ensure_ascii=False),
                            ev["client_addr"],
                            ev["prev_hash"],
                            ev["hash"],
                        )
                    )
                    last = ev
            cur.execute("UPDATE audit_chain_head SET seq = %s, hash = %s", (n, last["hash"]))
        load = time.perf_counter() - t
        engine = make_engine(url)
        session = sessionmaker(engine)()
        t = time.perf_counter()
        result = audit_review.verify_chain(session)
        took = time.perf_counter() - t
        assert result.ok and result.valid_events == n, result.as_dict()
        session.close()
        engine.dispose()
        print(
            f"PostgreSQL verify: {n:,} events in {took:.2f} s = {n / took:,.0f} events/s "
            f"(≈ {took * 1_000_000 / n:.1f} s per 1,000,000; loading took {load:.1f} s)"
        )
    finally:
        _drop(name)


def bench_append(txns: int) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    from catalog.db import make_engine
    from catalog.migrate import upgrade
    from catalog.models.teams import Team
    from catalog.services.audit import record_event
    from catalog.services.context import Actor

    name, url = _pg_db()
    try:
        upgrade(url)
        engine = make_engine(url)
        session = sessionmaker(engine, expire_on_commit=False)()
        session.add(Team(code="naver", name_ko="네이버", name_en="Naver", balance_krw=10**12))
        session.commit()
        actor = Actor(user_id=None, label="bench", role=None, client_addr="127.0.0.1")

        def one(with_event: bool) -> float:
            t = time.perf_counter()
            team = session.scalars(select(Team).where(Team.code == "naver").with_for_update()).one()
            team.balance_krw -= 1
            session.flush()
            if with_event:
                record_event(
                    session,
                    actor,
                    "purchase:approve",
                    "purchase",
                    1,
                    {
                        "dataset": "nikh-sillok",
                        "price_krw": 300_000_000,
                        "shares": [{"team": t, "share_krw": 100_000_000} for t in TEAMS[:3]],
                        "note": "승인",
                    },
                )
            session.commit()
            return time.perf_counter() - t

        for _ in range(200):  # warm up connections and statement caches
            one(True)
            one(False)
        base, with_ev = [], []
        for i in range(txns):
            (with_ev if i % 2 else base).append(one(bool(i % 2)))
        b, w = statistics.median(base), statistics.median(with_ev)
        print(
            f"PostgreSQL append: median transaction {b * 1000:.3f} ms without an event, "
            f"{w * 1000:.3f} ms with one: an event adds {(w - b) * 1000:.3f} ms "
            f"(mean {(statistics.mean(with_ev) - statistics.mean(base)) * 1000:.3f} ms; "
            f"target < 2 ms: {'met' if w - b < 0.002 else 'MISSED'}; {txns:,} transactions)"
        )
        session.close()
        engine.dispose()
    finally:
        _drop(name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--db-events", type=int, default=200_000)
    ap.add_argument("--txns", type=int, default=4000)
    ap.add_argument("--no-pg", action="store_true", help="Skip the PostgreSQL parts.")
    args = ap.parse_args()
    from catalog.services.audit_review import load_key

    with tempfile.TemporaryDirectory() as tmp:
        key = load_key(Path(tmp) / "bench.pem", create=True)
        bench_offline(args.events, Path(tmp), key)
    if not args.no_pg:
        bench_pg_verify(args.db_events)
        bench_append(args.txns)


if __name__ == "__main__":
    main()
