"""Fixtures for purchasing tests: extra datasets and offers beside the demo catalogue."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from catalog.db import get_session, transaction
from catalog.models.datasets import Dataset, DatasetStatus, Modality
from catalog.models.institutions import Institution
from catalog.models.offers import Offer, OfferMode
from catalog.services.search import reindex_dataset

_seq = itertools.count(1)


def make_dataset(
    session,
    *,
    institution: str = "NIKH",
    individual: int | None = 100_000_000,
    joint: int | None = 300_000_000,
    min_teams: int = 2,
    max_teams: int = 5,
    term_months: int = 12,
    survives: bool = False,
    window_days: int = 30,
    slug: str | None = None,
) -> dict:
    """A published dataset with an individual and/or a joint offer; returns slug and offer ids."""
    with transaction(session):
        inst = session.scalar(select(Institution).where(Institution.code == institution))
        n = next(_seq)
        ds = Dataset(
            slug=slug or f"test-ds-{n}",
            institution=inst,
            title_ko=f"시험 {n}",
            title_en=f"Test {n}",
            modality=Modality.TEXT,
            status=DatasetStatus.PUBLISHED,
        )
        reindex_dataset(ds)
        session.add(ds)
        session.flush()
        out = {"slug": ds.slug, "id": ds.id}
        if individual:
            o = Offer(
                dataset_id=ds.id,
                mode=OfferMode.INDIVIDUAL,
                price_krw=individual,
                term_months=term_months,
                uses=["ai_training"],
                survives_elimination=survives,
            )
            session.add(o)
            session.flush()
            out["individual"] = o.id
        if joint:
            o = Offer(
                dataset_id=ds.id,
                mode=OfferMode.JOINT,
                price_krw=joint,
                term_months=term_months,
                min_teams=min_teams,
                max_teams=max_teams,
                join_window_days=window_days,
                uses=["ai_training", "commercial_model"],
                survives_elimination=survives,
            )
            session.add(o)
            session.flush()
            out["joint"] = o.id
    return out


@pytest.fixture
def dataset_factory(demo_app):
    def make(**kw):
        with demo_app.app_context():
            return make_dataset(get_session(), **kw)

    return make


class Api:
    """A test client that acts as demo accounts: ``api.post("naver-lead", path, json)``."""

    def __init__(self, client, token_for):
        self.client = client
        self._token_for = token_for
        self._headers: dict[str, dict] = {}

    def headers(self, who: str) -> dict:
        if who not in self._headers:
            email = who if "@" in who else f"{who}@kdc.test"
            self._headers[who] = self._token_for(email)
        return self._headers[who]

    def get(self, who: str, path: str, **kw):
        return self.client.get(path, headers=self.headers(who), **kw)

    def post(self, who: str, path: str, json: dict | None = None, key: str | None = None):
        headers = dict(self.headers(who))
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post(path, json=json if json is not None else {}, headers=headers)

    def buy(self, who: str, ds: dict, mode: str = "individual"):
        return self.post(
            who, "/api/v1/purchases", {"dataset": ds["slug"], "offer": ds[mode], "mode": mode}
        )

    def act(self, who: str, purchase_id: int, action: str, json: dict | None = None):
        return self.post(who, f"/api/v1/purchases/{purchase_id}/{action}", json)


@pytest.fixture
def api(client, token_for):
    return Api(client, token_for)


def balance(app, code: str) -> int:
    from catalog.models.teams import Team

    with app.app_context():
        return get_session().scalar(select(Team.balance_krw).where(Team.code == code))


def audit_actions(app, subject_type: str | None = None, subject_id=None) -> list[str]:
    from catalog.models.audit import AuditEvent

    with app.app_context():
        q = select(AuditEvent.action).order_by(AuditEvent.seq)
        if subject_type:
            q = q.where(AuditEvent.subject_type == subject_type)
        if subject_id is not None:
            q = q.where(AuditEvent.subject_id == str(subject_id))
        return list(get_session().scalars(q))


def shrink_budget(app, code: str, to: int) -> None:
    """Claw a team's budget back to ``to`` won through the ledger."""
    from catalog.services.context import Actor
    from catalog.services.ledger import grant_budget

    current = balance(app, code)
    if current != to:
        with app.app_context():
            grant_budget(
                get_session(), Actor.system("test"), code, to - current, memo="test: resize"
            )


@pytest.fixture
def sqlite_api(sqlite_demo_app):
    """``api`` on SQLite only, for tests about rules rather than the database."""
    from tests.conftest import make_token

    def token_for(email, scopes=None):
        return {"Authorization": f"Bearer {make_token(sqlite_demo_app, email, scopes)}"}

    api = Api(sqlite_demo_app.test_client(), token_for)
    api.app = sqlite_demo_app
    return api


@pytest.fixture
def sqlite_dataset_factory(sqlite_demo_app):
    def make(**kw):
        with sqlite_demo_app.app_context():
            return make_dataset(get_session(), **kw)

    return make
