"""Shared checks of the fault tests: what must hold after any crash or kill."""

from __future__ import annotations

from sqlalchemy import func, select

from auditchain import verify_events
from catalog.db import get_session
from catalog.models.access import AccessGrant
from catalog.models.audit import AuditEvent
from catalog.models.ledger import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction
from catalog.models.licenses import License
from catalog.models.purchases import ParticipantStatus, Purchase, PurchaseStatus
from catalog.models.teams import Team
from catalog.models.users import User
from catalog.services.audit import event_as_dict


def snapshot(app) -> dict:
    """Counts and balances that a rolled-back unit of work leaves exactly as they were."""
    with app.app_context():
        s = get_session()
        out = {
            "balances": dict(s.execute(select(Team.code, Team.balance_krw)).all()),
            "purchases": dict(s.execute(select(Purchase.id, Purchase.status)).all()),
        }
        for name, model in (
            ("events", AuditEvent),
            ("ledger", LedgerTransaction),
            ("entries", LedgerEntry),
            ("licences", License),
            ("grants", AccessGrant),
        ):
            out[name] = s.scalar(select(func.count()).select_from(model))
        s.close()
    return out


def assert_consistent(app) -> None:
    """Every approved purchase has one balanced charge matching its shares, a licence per
    team and its audit events; nothing else moved money; balances equal the ledger; every
    grant has its audit event; the chain verifies."""
    with app.app_context():
        s = get_session()
        for team in s.scalars(select(Team)):
            assert team.balance_krw >= 0
            ledger = s.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount_krw), 0))
                .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
                .where(LedgerAccount.team_id == team.id)
            )
            assert team.balance_krw == ledger, team.code
        assert s.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_krw), 0))) == 0
        events = [event_as_dict(e) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
        assert verify_events(events).problem is None
        approvals = {e["subject_id"] for e in events if e["action"] == "purchase:approve"}
        issued = {e["subject_id"] for e in events if e["action"] == "license:issue"}
        for p in s.scalars(select(Purchase)):
            txns = s.scalars(
                select(LedgerTransaction).where(LedgerTransaction.purchase_id == p.id)
            ).all()
            lics = s.scalars(select(License).where(License.purchase_id == p.id)).all()
            if p.status != PurchaseStatus.APPROVED:
                assert txns == [] and lics == [], p.id
                assert str(p.id) not in approvals
                continue
            parts = [x for x in p.participants if x.status == ParticipantStatus.JOINED]
            assert len(txns) == 1, p.id
            charged = {
                e.account.team_id: -e.amount_krw
                for e in txns[0].entries
                if e.account.kind == AccountKind.TEAM
            }
            assert charged == {x.team_id: x.share_krw for x in parts}
            assert sum(e.amount_krw for e in txns[0].entries) == 0
            assert sorted(lic.team_id for lic in lics) == sorted(x.team_id for x in parts)
            assert str(p.id) in approvals
            assert {str(lic.id) for lic in lics} <= issued
        grant_events = {e["subject_id"] for e in events if e["action"] == "access:issue_urls"}
        grants = {str(g) for g in s.scalars(select(AccessGrant.id))}
        assert grants == grant_events
        s.close()


def buy_and_accept(app, team: str, dataset: str) -> int:
    """The team buys ``dataset`` on its individual offer the real way (request by the lead,
    approval by the provider, terms accepted); returns the licence id."""
    from catalog.models.datasets import Dataset
    from catalog.models.offers import Offer, OfferMode
    from catalog.services import purchasing, terms
    from catalog.services.context import Actor
    from catalog.services.users import find_user

    with app.app_context():
        s = get_session()
        lead = Actor.for_user(find_user(s, f"{team}-lead@kdc.test"))
        offer = s.scalar(
            select(Offer.id)
            .join(Dataset, Dataset.id == Offer.dataset_id)
            .where(Dataset.slug == dataset, Offer.mode == OfferMode.INDIVIDUAL)
        )
        dataset_row = s.scalar(select(Dataset).where(Dataset.slug == dataset))
        provider = s.scalar(select(User).where(User.institution_id == dataset_row.institution_id))
        p = purchasing.request_purchase(s, lead, dataset=dataset, offer=offer)
        purchasing.approve_purchase(s, Actor.for_user(provider), p.id)
        lic = s.scalar(select(License.id).where(License.purchase_id == p.id))
        terms.accept_terms(s, lead, lic)
        s.close()
    return lic
