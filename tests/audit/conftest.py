"""Fixtures for the audit tests: realistic purchases, licences and access grants beside the
demo catalogue, written as model rows plus ledger movements and audit events (the way the
purchasing services write them), and an auditor's logged-in web client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from catalog.db import get_session, transaction, utcnow
from catalog.models.access import AccessGrant
from catalog.models.datasets import Dataset, DatasetVersion
from catalog.models.licenses import License
from catalog.models.offers import Offer, OfferMode
from catalog.models.purchases import (
    ParticipantStatus,
    Purchase,
    PurchaseParticipant,
    PurchaseStatus,
)
from catalog.models.teams import Team
from catalog.models.users import User
from catalog.services.audit import record_event
from catalog.services.context import Actor
from catalog.services.ledger import institution_account, post_transaction, team_account
from catalog.services.shares import split_price


def _user(session, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


def make_purchase(
    session,
    *,
    dataset: str,
    mode: str,
    teams: list[str],
    status: str = "approved",
    created_days_ago: int = 0,
) -> Purchase:
    """One purchase of ``dataset`` by ``teams`` (the first opens it), as the services would
    leave it: participants confirmed by their leads, and — when approved — shares charged in
    one ledger transaction, licences issued, and audit events for each step."""
    with transaction(session):
        ds = session.scalar(select(Dataset).where(Dataset.slug == dataset))
        offer = session.scalar(
            select(Offer).where(Offer.dataset_id == ds.id, Offer.mode == OfferMode(mode))
        )
        team_rows = [session.scalar(select(Team).where(Team.code == c)) for c in teams]
        lead = _user(session, f"{teams[0]}-lead@kdc.test")
        opener = Actor.for_user(lead, client_addr="10.1.2.3")
        when = utcnow() - timedelta(days=created_days_ago)
        p = Purchase(
            dataset_id=ds.id,
            offer_id=offer.id,
            mode=OfferMode(mode),
            status=PurchaseStatus(status),
            price_krw=offer.price_krw,
            opener_team_id=team_rows[0].id,
            opened_by_id=lead.id,
            created_at=when,
            deadline=when + timedelta(days=30) if mode == "joint" else None,
        )
        session.add(p)
        session.flush()
        record_event(
            session,
            opener,
            "purchase:open" if mode == "joint" else "purchase:request",
            "purchase",
            p.id,
            {"dataset": dataset, "mode": mode, "price_krw": offer.price_krw, "team": teams[0]},
        )
        for order, team in enumerate(team_rows, 1):
            team_lead = _user(session, f"{team.code}-lead@kdc.test")
            session.add(
                PurchaseParticipant(
                    purchase_id=p.id,
                    team_id=team.id,
                    join_order=order,
                    joined_at=when,
                    joined_by_id=team_lead.id,
                    status=ParticipantStatus.JOINED,
                    confirmed_at=when,
                    confirmed_by_id=team_lead.id,
                )
            )
            if order > 1:
                record_event(
                    session,
                    Actor.for_user(team_lead),
                    "purchase:join",
                    "purchase",
                    p.id,
                    {"team": team.code, "confirmed": True},
                )
        session.flush()
        provider = _user(session, f"{ds.institution.code.lower()}@kdc.test")
        if status == "approved":
            shares = split_price(offer.price_krw, len(team_rows))
            entries = [
                (team_account(session, t), -s) for t, s in zip(team_rows, shares, strict=True)
            ]
            entries.append((institution_account(session, ds.institution), offer.price_krw))
            pactor = Actor.for_user(provider, client_addr="10.9.9.9")
            txn = post_transaction(
                session,
                pactor,
                _purchase_kind(),
                entries,
                purchase_id=p.id,
                memo=f"purchase {p.id}: {dataset}",
            )
            for part, share in zip(
                sorted(p.participants, key=lambda x: x.join_order), shares, strict=True
            ):
                part.share_krw = share
            p.decided_at = when + timedelta(hours=1)
            p.decided_by_id = provider.id
            record_event(
                session,
                pactor,
                "purchase:approve",
                "purchase",
                p.id,
                {
                    "dataset": dataset,
                    "price_krw": offer.price_krw,
                    "ledger_transaction_id": txn.id,
                    "note": "승인합니다",
                    "shares": [
                        {"team": t.code, "share_krw": s}
                        for t, s in zip(team_rows, shares, strict=True)
                    ],
                },
            )
            for t in team_rows:
                lic = License(
                    team_id=t.id,
                    dataset_id=ds.id,
                    purchase_id=p.id,
                    valid_from=when,
                    valid_until=when + timedelta(days=365),
                    terms=offer.terms(),
                )
                session.add(lic)
                session.flush()
                record_event(
                    session,
                    pactor,
                    "license:issue",
                    "license",
                    lic.id,
                    {"team": t.code, "dataset": dataset, "purchase_id": p.id},
                )
        elif status == "rejected":
            p.decided_at = when + timedelta(hours=2)
            p.decided_by_id = provider.id
            p.decision_note = "예산 항목 불일치"
            record_event(
                session,
                Actor.for_user(provider),
                "purchase:reject",
                "purchase",
                p.id,
                {"note": p.decision_note},
            )
    return p


def _purchase_kind():
    from catalog.models.ledger import TransactionKind

    return TransactionKind.PURCHASE


def make_access_grant(session, *, team: str, dataset: str, objects: int = 3) -> AccessGrant:
    with transaction(session):
        t = session.scalar(select(Team).where(Team.code == team))
        ds = session.scalar(select(Dataset).where(Dataset.slug == dataset))
        lic = session.scalar(
            select(License).where(License.team_id == t.id, License.dataset_id == ds.id)
        )
        version = session.scalar(select(DatasetVersion).where(DatasetVersion.dataset_id == ds.id))
        member = _user(session, f"{team}-member@kdc.test")
        g = AccessGrant(
            user_id=member.id,
            team_id=t.id,
            license_id=lic.id,
            dataset_id=ds.id,
            version_id=version.id,
            object_count=objects,
            ttl_seconds=900,
            client_addr="192.0.2.7",
        )
        session.add(g)
        session.flush()
        record_event(
            session,
            Actor.for_user(member, client_addr="192.0.2.7"),
            "access:issue_urls",
            "access_grant",
            g.id,
            {
                "team": team,
                "dataset": dataset,
                "version": version.label,
                "objects": objects,
                "ttl": 900,
            },
        )
    return g


def build_scenario(session) -> dict:
    """Joint and individual purchases across teams and institutions, a rejection, an open
    joint purchase, and a few downloads."""
    out = {
        "joint": make_purchase(
            session,
            dataset="joseon-annals-original",
            mode="joint",
            teams=["naver", "skt", "lgai"],
            created_days_ago=20,
        ).id,
        "individual": make_purchase(
            session,
            dataset="census-microdata",
            mode="individual",
            teams=["naver"],
            created_days_ago=10,
        ).id,
        "joint2": make_purchase(
            session,
            dataset="kbs-news-speech",
            mode="joint",
            teams=["upstage", "ncai"],
            created_days_ago=5,
        ).id,
        "rejected": make_purchase(
            session,
            dataset="patent-full-texts",
            mode="individual",
            teams=["skt"],
            status="rejected",
            created_days_ago=3,
        ).id,
        "open": make_purchase(
            session,
            dataset="mbc-drama-scripts",
            mode="joint",
            teams=["lgai"],
            status="open",
            created_days_ago=1,
        ).id,
    }
    make_access_grant(session, team="naver", dataset="joseon-annals-original", objects=4)
    make_access_grant(session, team="skt", dataset="joseon-annals-original", objects=2)
    make_access_grant(session, team="naver", dataset="census-microdata", objects=7)
    return out


@pytest.fixture
def scenario(demo_app):
    with demo_app.app_context():
        return build_scenario(get_session())


@pytest.fixture
def sqlite_scenario(sqlite_demo_app):
    with sqlite_demo_app.app_context():
        return build_scenario(get_session())


def login(client, email: str, password: str = "kdc-demo"):
    resp = client.post("/login", data={"email": email, "password": password})
    assert resp.status_code in (302, 303), resp.status_code
    return client


@pytest.fixture
def auditor_web(sqlite_demo_app, sqlite_scenario, tmp_path):
    sqlite_demo_app.config["AUDIT_KEY"] = str(tmp_path / "audit_ed25519.pem")
    client = login(sqlite_demo_app.test_client(), "auditor@kdc.test")
    client.post("/lang/en")  # Korean is the default; these tests read English
    return client
