"""A stateful model test of purchasing (hypothesis ``RuleBasedStateMachine``), on SQLite and
PostgreSQL.

Random sequences of requests, joins, leaves, closes, approvals, budget grants and claw-backs,
eliminations and downloads run through the services against a simple model of what they
should do. Each rule asks the model which refusals apply (none: it must succeed; else it
must be refused with one of them). After every step the database equals the model (budgets,
team status, purchases and their teams in join order, shares, licences, access grants), the
ledger balances, no budget is negative and the audit chain verifies. Each example starts
from a fresh copy of the demo catalogue with three test datasets and small budgets.
"""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from catalog.db import make_engine, transaction
from catalog.errors import DomainError
from catalog.models.access import AccessGrant
from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion, VersionStatus
from catalog.models.ledger import LedgerAccount, LedgerEntry
from catalog.models.licenses import License, LicenseStatus
from catalog.models.purchases import ParticipantStatus, Purchase
from catalog.models.teams import Team, TeamStatus
from catalog.services import access, audit_review, elimination, ledger, purchasing, terms
from catalog.services.context import Actor
from catalog.services.users import find_user
from storage import get_store
from tests.conftest import _pg_url
from tests.purchasing.conftest import make_dataset

TEAMS = ("naver", "skt", "upstage")
BUDGET = 300_000_000
INDIVIDUAL = 200_000_000
JOINT = 300_000_001  # not divisible by 2 or 3: the remainder won go by join order
MIN_TEAMS, MAX_TEAMS = 2, 3
DATASETS = 3
AMOUNTS = (-300_000_000, -200_000_000, -100_000_000, 100_000_000, 200_000_000)
LIVE = ("requested", "open", "pending_approval")
DECIDED = ("approved", "rejected", "cancelled", "failed")


# --------------------------------------------------------------------------- databases


class Databases:
    """A prepared database (demo catalogue, three test datasets, small budgets) and fresh
    copies of it, one per example."""

    def __init__(self, backend: str, demo_url: str, tmp: Path, pg: Any = None):
        self.backend, self.tmp, self.pg = backend, tmp, pg
        self.counter = itertools.count(1)
        if backend == "postgresql":
            self.base_name = demo_url.rsplit("/", 1)[1]
        else:
            self.base_path = Path(demo_url.removeprefix("sqlite:///"))
        engine = make_engine(demo_url)
        session = sessionmaker(bind=engine, expire_on_commit=False)()
        self.offers = _prepare(session)
        self.slugs = sorted({slug for slug, _mode in self.offers})
        session.close()
        engine.dispose()

    def fresh(self) -> str:
        if self.backend == "postgresql":
            return _pg_url(self.pg.create(template=self.base_name))
        path = self.tmp / f"example-{next(self.counter)}.sqlite3"
        shutil.copy(self.base_path, path)
        return f"sqlite:///{path}"

    def discard(self, url: str) -> None:
        if self.backend == "postgresql":
            self.pg.drop(url.rsplit("/", 1)[1])
        else:
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


def _prepare(session) -> dict[tuple[str, str], int]:
    """Three datasets (each with a published version of one file); (slug, mode) → offer."""
    offers = {}
    for _ in range(DATASETS):
        ds = make_dataset(
            session,
            individual=INDIVIDUAL,
            joint=JOINT,
            min_teams=MIN_TEAMS,
            max_teams=MAX_TEAMS,
            slug=f"model-{uuid.uuid4().hex[:8]}",
        )
        with transaction(session):
            version = DatasetVersion(
                dataset_id=ds["id"],
                label="1.0",
                storage_backend="file",
                bucket="",
                prefix=f"model/{ds['slug']}/1.0",
                status=VersionStatus.PUBLISHED,
                object_count=1,
                total_bytes=1,
                published_at=datetime.now(UTC),
            )
            session.add(version)
            session.flush()
            session.add(DatasetObject(version_id=version.id, key="a.txt", size=1, sha256="0" * 64))
        offers[(ds["slug"], "individual")] = ds["individual"]
        offers[(ds["slug"], "joint")] = ds["joint"]
    system = Actor.system("test")
    for code in TEAMS:
        balance = session.scalar(select(Team.balance_krw).where(Team.code == code))
        if balance != BUDGET:
            ledger.grant_budget(session, system, code, BUDGET - balance, memo="model test")
    return offers


# --------------------------------------------------------------------------- the model


@dataclass
class ModelPurchase:
    id: int
    dataset: str
    mode: str
    status: str
    opener: str
    joined: list[str]
    shares: list[int] = field(default_factory=list)


@dataclass
class Model:
    balances: dict[str, int]
    eliminated: set[str] = field(default_factory=set)
    purchases: dict[int, ModelPurchase] = field(default_factory=dict)
    licences: dict[tuple[str, str], str] = field(default_factory=dict)  # → active | revoked
    grants: int = 0

    def split(self, price: int, n: int) -> list[int]:
        base, rest = divmod(price, n)
        return [base + 1 if i < rest else base for i in range(n)]

    def taking_part(self, team: str, dataset: str, exclude: int | None = None) -> bool:
        return any(
            p.dataset == dataset and p.status in LIVE and team in p.joined and p.id != exclude
            for p in self.purchases.values()
        )

    def buying_refusals(self, team: str, dataset: str, exclude: int | None = None) -> list[str]:
        out = []
        if team in self.eliminated:
            out.append("team_eliminated")
        if self.licences.get((team, dataset)) == "active":
            out.append("already_licensed")
        if self.taking_part(team, dataset, exclude):
            out.append("purchase_pending")
        return out

    def state_refusals(self, p: ModelPurchase) -> list[str]:
        if p.status in DECIDED:
            return ["already_decided"]
        if p.status != "open":
            return ["purchase_closed"]
        return []


# --------------------------------------------------------------------------- the machine


class PurchasingMachine(RuleBasedStateMachine):
    databases: Databases  # set on the subclass each test builds
    store: Any

    def __init__(self) -> None:
        super().__init__()
        self.url = self.databases.fresh()
        self.engine = make_engine(self.url)
        self.maker = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.slugs = self.databases.slugs
        session = self.maker()
        self.actors = {
            who: Actor.for_user(find_user(session, f"{who}@kdc.test"))
            for who in ("admin", "nikh", *(f"{t}-lead" for t in TEAMS))
        }
        balances = dict(
            session.execute(select(Team.code, Team.balance_krw).where(Team.code.in_(TEAMS))).all()
        )
        session.close()
        self.model = Model(balances=balances)

    @initialize(teams=st.permutations(TEAMS), ds=st.integers(0, DATASETS - 1))
    def first_purchases(self, teams: list[str], ds: int):
        """An open joint purchase and an individual request to start from."""
        self.request(teams[0], ds, "joint")
        self.request(teams[1], (ds + 1) % DATASETS, "individual")

    def teardown(self) -> None:
        self.engine.dispose()
        self.databases.discard(self.url)

    def lead(self, team: str) -> Actor:
        return self.actors[f"{team}-lead"]

    def attempt(self, refusals: list[str], call: Callable[[Any], Any]) -> Any:
        """Run ``call(session)``: it must succeed when ``refusals`` is empty, else be refused
        with one of them."""
        session = self.maker()
        try:
            result = call(session)
        except DomainError as exc:
            assert refusals, f"refused with {exc.code} ({exc.detail}); the model expected success"
            assert exc.code in refusals, f"refused with {exc.code}; the model expected {refusals}"
            return None
        finally:
            session.close()
        assert not refusals, f"succeeded; the model expected a refusal: {refusals}"
        return result

    # ----------------------------------------------------------------------- rules

    @rule(
        team=st.sampled_from(TEAMS),
        ds=st.integers(0, DATASETS - 1),
        mode=st.sampled_from(["individual", "joint"]),
    )
    def request(self, team: str, ds: int, mode: str):
        slug = self.slugs[ds]

        offer = self.databases.offers[(slug, mode)]

        def call(session):
            return purchasing.request_purchase(
                session, self.lead(team), dataset=slug, offer=offer
            ).id

        pid = self.attempt(self.model.buying_refusals(team, slug), call)
        if pid is None:
            return
        self.model.purchases[pid] = ModelPurchase(
            id=pid,
            dataset=slug,
            mode=mode,
            status="requested" if mode == "individual" else "open",
            opener=team,
            joined=[team],
        )

    def pick(self, data, wanted: Callable[[ModelPurchase], bool]) -> int:
        """A purchase, three times in four one for which ``wanted`` holds (where the action
        can succeed, so that money moves often enough), else any."""
        good = sorted(i for i, p in self.model.purchases.items() if wanted(p))
        if good and data.draw(st.integers(0, 3)) < 3:
            return data.draw(st.sampled_from(good))
        return data.draw(st.sampled_from(sorted(self.model.purchases)))

    def has_purchases(self) -> bool:
        return bool(self.model.purchases)

    @precondition(has_purchases)
    @rule(data=st.data(), team=st.sampled_from(TEAMS))
    def join(self, data, team: str):
        pid = self.pick(data, lambda p: p.status == "open" and team not in p.joined)
        p = self.model.purchases[pid]
        refusals = self.model.buying_refusals(team, p.dataset, exclude=pid)
        if p.mode != "joint":
            refusals += ["not_joint", "not_found"]
        refusals += self.model.state_refusals(p)
        if team in p.joined:
            refusals.append("already_participant")
        if len(p.joined) >= MAX_TEAMS:
            refusals.append("purchase_full")
        done = self.attempt(
            refusals, lambda s: purchasing.join_purchase(s, self.lead(team), pid).id
        )
        if done is not None:
            p.joined.append(team)

    @precondition(has_purchases)
    @rule(data=st.data(), team=st.sampled_from(TEAMS))
    def leave(self, data, team: str):
        pid = self.pick(data, lambda p: p.status == "open" and team in p.joined[1:])
        p = self.model.purchases[pid]
        refusals = ["team_eliminated"] if team in self.model.eliminated else []
        if p.mode != "joint":
            refusals += ["not_joint", "not_found"]
        if team not in p.joined:
            refusals.append("not_participant")
        refusals += self.model.state_refusals(p)
        if team == p.opener:
            refusals.append("opener_cannot_leave")
        done = self.attempt(
            refusals, lambda s: purchasing.leave_purchase(s, self.lead(team), pid).id
        )
        if done is not None:
            p.joined.remove(team)

    @precondition(has_purchases)
    @rule(data=st.data())
    def close(self, data):
        pid = self.pick(data, lambda p: p.status == "open")
        p = self.model.purchases[pid]
        # The opener's lead closes; once the opener is eliminated, the admin does.
        actor = self.actors["admin"] if p.opener in self.model.eliminated else self.lead(p.opener)
        refusals = ["not_joint"] if p.mode != "joint" else []
        refusals += self.model.state_refusals(p)
        done = self.attempt(refusals, lambda s: purchasing.close_purchase(s, actor, pid).id)
        if done is not None:
            p.status = "pending_approval" if len(p.joined) >= MIN_TEAMS else "failed"

    @precondition(has_purchases)
    @rule(data=st.data())
    def approve(self, data):
        pid = self.pick(data, lambda p: p.status in ("requested", "pending_approval"))
        p = self.model.purchases[pid]
        refusals = []
        if p.status in DECIDED:
            refusals.append("already_decided")
        elif p.status == "open":
            refusals.append("purchase_open")
        price = INDIVIDUAL if p.mode == "individual" else JOINT
        shares = self.model.split(price, len(p.joined)) if p.joined else []
        if any(self.model.balances[t] < s for t, s in zip(p.joined, shares, strict=True)):
            refusals.append("budget_exceeded")
        done = self.attempt(
            refusals, lambda s: purchasing.approve_purchase(s, self.actors["nikh"], pid).id
        )
        if done is not None:
            p.status, p.shares = "approved", shares
            for team, share in zip(p.joined, shares, strict=True):
                self.model.balances[team] -= share
                self.model.licences[(team, p.dataset)] = "active"

    @rule(team=st.sampled_from(TEAMS), amount=st.sampled_from(AMOUNTS))
    def grant(self, team: str, amount: int):
        refusals = []
        if amount > 0 and team in self.model.eliminated:
            refusals.append("team_eliminated")
        if amount < 0 and self.model.balances[team] + amount < 0:
            refusals.append("budget_exceeded")
        done = self.attempt(
            refusals,
            lambda s: ledger.grant_budget(s, self.actors["admin"], team, amount, memo="model").id,
        )
        if done is not None:
            self.model.balances[team] += amount

    # One elimination at most, once there is something to withdraw.
    @precondition(lambda self: not self.model.eliminated and len(self.model.purchases) >= 3)
    @rule(team=st.sampled_from(TEAMS))
    def eliminate(self, team: str):
        refusals = ["already_eliminated"] if team in self.model.eliminated else []
        done = self.attempt(
            refusals,
            lambda s: elimination.eliminate_team(s, self.actors["admin"], team, 1).team.code,
        )
        if done is None:
            return
        self.model.eliminated.add(team)
        for p in self.model.purchases.values():
            if p.status not in LIVE or team not in p.joined:
                continue
            if p.mode == "individual":
                p.status = "cancelled"
                continue
            p.joined.remove(team)
            if not p.joined:
                p.status = "cancelled"
            elif p.status == "pending_approval" and len(p.joined) < MIN_TEAMS:
                p.status = "failed"
        for (holder, dataset), status in list(self.model.licences.items()):
            if holder == team and status == "active":
                self.model.licences[(holder, dataset)] = "revoked"

    @precondition(lambda self: self.model.licences)
    @rule(data=st.data())
    def download(self, data):
        # Mostly a team holding (or having held) a licence; sometimes any team.
        if data.draw(st.integers(0, 3)) < 3:
            team, slug = data.draw(st.sampled_from(sorted(self.model.licences)))
        else:
            team, slug = data.draw(st.tuples(st.sampled_from(TEAMS), st.sampled_from(self.slugs)))
        licence = self.model.licences.get((team, slug))
        if team in self.model.eliminated:
            refusals = ["team_eliminated"]
        elif licence is None:
            refusals = ["license_required"]
        elif licence == "revoked":
            refusals = ["license_revoked"]
        else:
            refusals = []

        def call(session):
            if not refusals:  # the team accepts the terms before its first download
                lic = session.scalar(
                    select(License.id)
                    .join(Dataset, Dataset.id == License.dataset_id)
                    .join(Team, Team.id == License.team_id)
                    .where(
                        Dataset.slug == slug,
                        Team.code == team,
                        License.status == LicenseStatus.ACTIVE,
                    )
                )
                terms.accept_terms(session, self.lead(team), lic)
            return access.issue_download_urls(session, self.lead(team), self.store, slug)

        page = self.attempt(refusals, call)
        if page is not None:
            assert [o[0] for o in page.objects] == ["a.txt"]
            self.model.grants += 1

    # ----------------------------------------------------------------------- invariants

    @invariant()
    def database_equals_model(self) -> None:
        m = self.model
        session = self.maker()
        try:
            teams = {t.code: t for t in session.scalars(select(Team).where(Team.code.in_(TEAMS)))}
            assert {c: t.balance_krw for c, t in teams.items()} == m.balances
            assert {c for c, t in teams.items() if t.status == TeamStatus.ELIMINATED} == (
                m.eliminated
            )
            ours = session.scalars(
                select(Purchase)
                .join(Dataset, Dataset.id == Purchase.dataset_id)
                .where(Dataset.slug.in_(self.slugs))
            ).all()
            got = {}
            for p in ours:
                parts = [x for x in p.participants if x.status == ParticipantStatus.JOINED]
                got[p.id] = (
                    p.status.value,
                    [x.team.code for x in parts],
                    [x.share_krw for x in parts] if p.status.value == "approved" else [],
                )
            assert got == {p.id: (p.status, p.joined, p.shares) for p in m.purchases.values()}
            licences = session.execute(
                select(Team.code, Dataset.slug, License.status)
                .join(Team, Team.id == License.team_id)
                .join(Dataset, Dataset.id == License.dataset_id)
                .where(Dataset.slug.in_(self.slugs))
            ).all()
            assert {(t, d): s.value for t, d, s in licences} == m.licences
            grants = session.scalar(
                select(func.count())
                .select_from(AccessGrant)
                .join(Dataset, Dataset.id == AccessGrant.dataset_id)
                .where(Dataset.slug.in_(self.slugs))
            )
            assert grants == m.grants
            # The ledger balances; budgets equal their accounts and are never negative.
            assert session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_krw), 0))) == 0
            sums = dict(
                session.execute(
                    select(Team.code, func.coalesce(func.sum(LedgerEntry.amount_krw), 0))
                    .join(LedgerAccount, LedgerAccount.team_id == Team.id)
                    .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
                    .group_by(Team.code)
                ).all()
            )
            for team in session.scalars(select(Team)):
                assert team.balance_krw >= 0, team.code
                assert team.balance_krw == sums.get(team.code, 0), team.code
            result = audit_review.verify_chain(session)
            assert result.ok, result.as_dict()
        finally:
            session.close()


def _run(databases: Databases, store, examples: int) -> None:
    machine = type("Machine", (PurchasingMachine,), {"databases": databases, "store": store})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_purchasing_matches_its_model_on_sqlite(templates, tmp_path):
    url, storage, _ = templates("sqlite", True).instantiate(tmp_path, None)
    store = get_store(f"file://{storage}", secret_key="model-test")
    _run(Databases("sqlite", url, tmp_path), store, examples=8)


def test_purchasing_matches_its_model_on_postgresql(templates, tmp_path, pg):
    url, storage, name = templates("postgresql", True).instantiate(tmp_path, pg)
    store = get_store(f"file://{storage}", secret_key="model-test")
    try:
        _run(Databases("postgresql", url, tmp_path, pg), store, examples=4)
    finally:
        pg.drop(name)
