"""Demo licences (``flask --app app demo``): a few licences in the states worth seeing.

Bought and approved through the real services, back-dated where the story needs it:

- ``naver`` holds the NIKH manuscripts (quota 50 objects per term), terms accepted, with
  some of its quota already used through the broker;
- ``upstage`` holds the KOSTAT census microdata, ending in 5 days (its lead can renew);
- ``skt`` held the NAK photograph archive; it ended 10 days ago after downloads, and the
  team owes a destruction attestation (overdue).

Idempotent: a team that already holds (or held) a licence for the dataset is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import transaction, utcnow
from catalog.models.access import AccessGrant
from catalog.models.audit import AuditAction
from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion
from catalog.models.licenses import License
from catalog.models.offers import Offer, OfferMode
from catalog.services import access, licensing, purchasing, terms, usage
from catalog.services.audit import record_event
from catalog.services.context import Actor
from catalog.services.licensing import add_months
from catalog.services.users import find_user
from storage import ObjectStore

# (team, dataset slug, how the story goes)
STORIES = (
    ("naver", "historical-manuscripts-ocr", "quota"),
    ("upstage", "census-microdata", "ending"),
    ("skt", "nak-photo-archive", "ended"),
)


def _user(session: Session, email: str, client_addr: str = "") -> Actor:
    user = find_user(session, email)
    assert user is not None, email
    return Actor.for_user(user, client_addr=client_addr)


def _buy(
    session: Session, team: str, dataset: Dataset, offer: Offer, approved_at: datetime
) -> License:
    lead = _user(session, f"{team}-lead@kdc.test")
    provider = _user(session, f"{dataset.institution.code.lower()}@kdc.test")
    requested = approved_at - timedelta(days=2)
    purchase = purchasing.request_purchase(
        session, lead, dataset=dataset.slug, offer=offer.id, now=requested
    )
    purchasing.approve_purchase(session, provider, purchase.id, note="demo", now=approved_at)
    lic = session.scalar(
        select(License).where(License.purchase_id == purchase.id, License.team_id == lead.team_id)
    )
    assert lic is not None
    terms.accept_terms(session, lead, lic.id, now=approved_at + timedelta(hours=1))
    return lic


def _past_grant(
    session: Session, member: Actor, lic: License, version: DatasetVersion, when: datetime
) -> None:
    """A download made while the licence was valid (as the broker would have recorded it)."""
    rows = session.execute(
        select(DatasetObject.key, DatasetObject.size)
        .where(DatasetObject.version_id == version.id)
        .order_by(DatasetObject.key)
    ).all()
    locked = usage.lock_usage(session, lic.id, when)
    nbytes = sum(int(size) for _key, size in rows)
    usage.count_issued(locked, len(rows), nbytes)
    grant = AccessGrant(
        created_at=when,
        user_id=member.user_id,
        token_id=None,
        team_id=lic.team_id,
        license_id=lic.id,
        dataset_id=lic.dataset_id,
        version_id=version.id,
        object_count=len(rows),
        byte_count=nbytes,
        ttl_seconds=900,
        client_addr=member.client_addr,
    )
    session.add(grant)
    session.flush()
    record_event(
        session,
        member,
        AuditAction.ACCESS_ISSUE_URLS,
        "access_grant",
        grant.id,
        {
            "team_id": lic.team_id,
            "license_id": lic.id,
            "dataset": version.dataset.slug,
            "version": version.label,
            "object_count": len(rows),
            "byte_count": nbytes,
            "ttl_seconds": 900,
            "demo": True,
        },
    )


def load_demo_licences(session: Session, store: ObjectStore, now: datetime | None = None) -> int:
    """Create the demo licences that are missing; return how many were added."""
    now = now or utcnow()
    added = 0
    for team, slug, story in STORIES:
        dataset = session.scalar(select(Dataset).where(Dataset.slug == slug))
        if dataset is None:
            continue
        held = session.scalar(
            select(License.id)
            .join(License.team)
            .where(License.dataset_id == dataset.id, License.team.has(code=team))
            .limit(1)
        )
        if held is not None:
            continue
        offer = next(o for o in dataset.offers if o.active and o.mode == OfferMode.INDIVIDUAL)
        member = _user(session, f"{team}-member@kdc.test", client_addr="192.0.2.10")
        version = dataset.versions[-1]
        with transaction(session):
            if story == "quota":
                lic = _buy(session, team, dataset, offer, now - timedelta(days=40))
                for _ in range(4):
                    access.issue_download_urls(session, member, store, slug)
            elif story == "ending":
                approved = add_months(now + timedelta(days=5), -offer.term_months)
                lic = _buy(session, team, dataset, offer, approved)
            else:
                ended = now - timedelta(days=10)
                approved = add_months(ended, -offer.term_months)
                lic = _buy(session, team, dataset, offer, approved)
                for days in (3, 30, 31):
                    _past_grant(session, member, lic, version, approved + timedelta(days=days))
                licensing.expire_licenses(session, Actor.system("demo"), now)
        added += 1
    return added
