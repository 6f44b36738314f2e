"""Money under concurrency, on PostgreSQL: hundreds of racing attempts, no broken invariant.

Threads each use their own session (as separate gunicorn workers would) and call the
services directly. Budgets are shrunk so that about half of the charges must fail.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from auditchain import verify_events
from catalog.db import get_session
from catalog.errors import DomainError
from catalog.models.audit import AuditEvent
from catalog.models.ledger import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction
from catalog.models.licenses import License, LicenseStatus
from catalog.models.purchases import (
    ParticipantStatus,
    Purchase,
    PurchaseParticipant,
    PurchaseStatus,
)
from catalog.models.teams import Team
from catalog.services import purchasing
from catalog.services.audit import event_as_dict
from catalog.services.context import Actor
from catalog.services.users import find_user
from tests.purchasing.conftest import balance, make_dataset, shrink_budget

TEAMS = ["naver", "upstage", "skt", "ncai", "lgai"]
# Each team's wave-1 demand is about ₩1.4 billion (8 individual purchases of ₩100 million and
# four ₩150 million joint shares); these budgets cover about half of it.
BUDGETS = {
    "naver": 700_000_000,
    "upstage": 800_000_000,
    "skt": 600_000_000,
    "ncai": 750_000_000,
    "lgai": 650_000_000,
}
EXPECTED_REFUSALS = {
    "budget_exceeded",
    "already_decided",
    "purchase_full",
    "purchase_pending",
    "already_participant",
    "already_licensed",
    "purchase_open",
}
WORKERS = 16


class Runner:
    """Runs service calls from a thread pool, each call in a fresh session of its own."""

    def __init__(self, app):
        self.app = app
        self.maker = app.extensions["kdc_sessionmaker"]
        self.outcomes: Counter = Counter()
        self.unexpected: list[str] = []
        self.lock = threading.Lock()

    def actor(self, email: str) -> Actor:
        with self.app.app_context():
            return Actor.for_user(find_user(get_session(), email))

    def call(self, label: str, fn, *args, **kwargs):
        with self.app.app_context():
            session = self.maker()
            try:
                result = fn(session, *args, **kwargs)
                outcome = "ok"
            except DomainError as exc:
                result, outcome = None, exc.code
                if exc.code not in EXPECTED_REFUSALS:
                    with self.lock:
                        self.unexpected.append(f"{label}: {exc.code}: {exc.detail}")
            except Exception as exc:  # a deadlock, a constraint violation: all failures
                result, outcome = None, "error"
                with self.lock:
                    self.unexpected.append(f"{label}: {exc.__class__.__name__}: {exc}")
            finally:
                session.close()
        with self.lock:
            self.outcomes[(label, outcome)] += 1
        return result

    def run(self, jobs) -> list:
        jobs = list(jobs)
        random.Random(4).shuffle(jobs)
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return list(pool.map(lambda job: self.call(*job), jobs))


@pytest.mark.slow
def test_racing_purchases_never_break_the_money_invariants(pg_demo_app):
    app = pg_demo_app
    r = Runner(app)
    leads = {t: r.actor(f"{t}-lead@kdc.test") for t in TEAMS}
    provider = r.actor("nikh@kdc.test")
    with app.app_context():
        session = get_session()
        datasets = [
            make_dataset(
                session, individual=100_000_000, joint=300_000_000, min_teams=2, max_teams=3
            )
            for _ in range(40)
        ]
    for team, amount in BUDGETS.items():
        shrink_budget(app, team, amount)

    # Setup: 40 individual requests (8 per team); 10 joint purchases that already have two
    # teams ("ready") and 10 that have only their opener ("board").
    requests = []
    for i, ds in enumerate(datasets):
        team = TEAMS[i % 5]
        with app.app_context():
            p = purchasing.request_purchase(
                get_session(), leads[team], dataset=ds["slug"], offer=ds["individual"]
            )
        requests.append(p.id)
    ready, board = [], []
    for i, ds in enumerate(datasets[:20]):
        opener = TEAMS[(i + 2) % 5]
        with app.app_context():
            p = purchasing.request_purchase(
                get_session(), leads[opener], dataset=ds["slug"], offer=ds["joint"]
            )
            if i < 10:
                partner = TEAMS[(i + 3) % 5]
                purchasing.join_purchase(get_session(), leads[partner], p.id)
                ready.append((p.id, opener))
            else:
                board.append((p.id, opener))

    def close_and_approve(session, opener_actor, pid):
        purchasing.close_purchase(session, opener_actor, pid)
        return purchasing.approve_purchase(session, provider, pid)

    # Wave 1 (concurrent): every individual approval three times; close-and-approve of the ready
    # joint purchases, each also approved twice more; every other team joining each board
    # purchase (max 3 teams, so two joins in four lose); 20 new requests racing in pairs
    # for the same (team, dataset).
    wave1 = []
    for pid in requests:
        wave1 += [("approve", purchasing.approve_purchase, provider, pid)] * 3
    for pid, opener in ready:
        wave1.append(("close+approve", close_and_approve, leads[opener], pid))
        wave1 += [("approve", purchasing.approve_purchase, provider, pid)] * 2
    for pid, opener in board:
        for team in TEAMS:
            if team != opener:
                wave1.append(("join", purchasing.join_purchase, leads[team], pid))
    fresh = datasets[20:]
    for i in range(20):
        team, ds = TEAMS[(i + 1) % 5], fresh[i]
        job = (
            "request",
            lambda s, a, slug, off: purchasing.request_purchase(s, a, dataset=slug, offer=off),
            leads[team],
            ds["slug"],
            ds["individual"],
        )
        wave1 += [job, job]
    assert len(wave1) >= 200
    r.run(wave1)

    # Wave 2 (concurrent): close and approve the board purchases; approve the new requests
    # and retry every undecided purchase, each twice.
    r.run(("close+approve", close_and_approve, leads[opener], pid) for pid, opener in board)
    with app.app_context():
        undecided = (
            get_session()
            .scalars(
                select(Purchase.id).where(
                    Purchase.status.in_([PurchaseStatus.REQUESTED, PurchaseStatus.PENDING_APPROVAL])
                )
            )
            .all()
        )
    r.run(
        ("approve", purchasing.approve_purchase, provider, pid)
        for pid in undecided
        for _ in range(2)
    )

    assert r.unexpected == [], r.unexpected[:10]
    approvals = Counter({o: n for (label, o), n in r.outcomes.items() if label == "approve"})
    charged_ok = approvals["ok"] + r.outcomes[("close+approve", "ok")]
    short = approvals["budget_exceeded"] + r.outcomes[("close+approve", "budget_exceeded")]
    # Budgets were sized so that a good share of the charges cannot be paid.
    assert charged_ok >= 20 and short >= 20, r.outcomes
    assert r.outcomes[("join", "purchase_full")] > 0
    assert r.outcomes[("request", "purchase_pending")] == 20

    with app.app_context():
        s = get_session()
        # Every balance ≥ 0 and equal to its ledger account's sum; Σ entries = 0.
        for team in s.scalars(select(Team)):
            acct = s.scalar(select(LedgerAccount).where(LedgerAccount.team_id == team.id))
            ledger_sum = s.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount_krw), 0)).where(
                    LedgerEntry.account_id == acct.id
                )
            )
            assert team.balance_krw >= 0
            assert team.balance_krw == ledger_sum, team.code
        assert s.scalar(select(func.sum(LedgerEntry.amount_krw))) == 0
        # Every committed purchase: shares sum to the price, one balanced charge, licences.
        approved = s.scalars(
            select(Purchase).where(Purchase.status == PurchaseStatus.APPROVED)
        ).all()
        assert len(approved) == charged_ok
        for p in approved:
            parts = [x for x in p.participants if x.status == ParticipantStatus.JOINED]
            assert sum(x.share_krw for x in parts) == p.price_krw
            txns = s.scalars(
                select(LedgerTransaction).where(LedgerTransaction.purchase_id == p.id)
            ).all()
            assert len(txns) == 1
            entries = {
                (e.account.kind, e.account.team_id or e.account.institution_id): e.amount_krw
                for e in txns[0].entries
            }
            assert sum(entries.values()) == 0
            assert {k[1]: -v for k, v in entries.items() if k[0] == AccountKind.TEAM} == {
                x.team_id: x.share_krw for x in parts
            }
            lic_teams = sorted(
                s.scalars(select(License.team_id).where(License.purchase_id == p.id))
            )
            assert lic_teams == sorted(x.team_id for x in parts)
        # No money moved for anything not approved; no licence without an approved purchase.
        assert (
            s.scalar(
                select(func.count())
                .select_from(LedgerTransaction)
                .join(Purchase, Purchase.id == LedgerTransaction.purchase_id)
                .where(Purchase.status != PurchaseStatus.APPROVED)
            )
            == 0
        )
        assert (
            s.scalar(
                select(func.count())
                .select_from(License)
                .join(Purchase, Purchase.id == License.purchase_id)
                .where(Purchase.status != PurchaseStatus.APPROVED)
            )
            == 0
        )
        # No duplicate licences: at most one live licence per team and dataset.
        dupes = s.execute(
            select(License.team_id, License.dataset_id, func.count())
            .where(License.status.in_([LicenseStatus.ACTIVE, LicenseStatus.SUSPENDED]))
            .group_by(License.team_id, License.dataset_id)
            .having(func.count() > 1)
        ).all()
        assert dupes == []
        # No orphans: every transaction has balanced entries; every purchase has participants,
        # a joint one never more than max_teams.
        for txn in s.scalars(select(LedgerTransaction)):
            assert len(txn.entries) >= 2 and sum(e.amount_krw for e in txn.entries) == 0
        for p in s.scalars(select(Purchase)):
            joined = [x for x in p.participants if x.status == ParticipantStatus.JOINED]
            assert p.participants, p.id
            assert len(joined) <= (p.offer.max_teams or 1)
        assert (
            s.scalar(
                select(func.count())
                .select_from(PurchaseParticipant)
                .where(PurchaseParticipant.purchase_id.not_in(select(Purchase.id)))
            )
            == 0
        )
        # The audit chain is intact, with one approval event per approved purchase.
        events = [event_as_dict(e) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
        assert verify_events(events).problem is None
        assert sum(1 for e in events if e["action"] == "purchase:approve") == len(approved)
        assert sum(1 for e in events if e["action"] == "ledger:purchase") == len(approved)


@pytest.mark.slow
def test_concurrent_retries_with_one_idempotency_key_charge_once(pg_demo_app):
    from tests.conftest import make_token

    app = pg_demo_app
    with app.app_context():
        ds = make_dataset(get_session(), individual=1_000_000, joint=None)
    lead = {"Authorization": f"Bearer {make_token(app, 'naver-lead@kdc.test')}"}
    nikh = {
        "Authorization": f"Bearer {make_token(app, 'nikh@kdc.test')}",
        "Idempotency-Key": "same-key",
    }
    pid = (
        app.test_client()
        .post(
            "/api/v1/purchases",
            headers=lead,
            json={"dataset": ds["slug"], "offer": ds["individual"]},
        )
        .json["id"]
    )
    before = balance(app, "naver")

    def approve(_):
        resp = app.test_client().post(
            f"/api/v1/purchases/{pid}/approve", headers=nikh, json={"note": "once"}
        )
        return resp.status_code, resp.json.get("code"), resp.json.get("status")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(approve, range(24)))
    assert all(
        r in {(200, None, "approved"), (409, "idempotency_in_progress", 409)} for r in results
    ), results
    assert results.count((200, None, "approved")) >= 1
    assert balance(app, "naver") == before - 1_000_000
