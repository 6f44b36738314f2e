"""One licence as its readers see it, and the ODRL policies of licences and offers.

Reads only. ``licence_detail`` gathers what the team's licence page, ``GET
/api/v1/licenses/{id}`` and ``kdc licenses`` show: the frozen terms, the status, the
acceptance (who, when, the text's SHA-256), the usage of the current term (by user and
token), what each action of the vocabulary is allowed now (``licence_terms.decide``, as the
broker decides), the renewals and the destruction attestation. ``licence_policy`` and
``offer_policy`` write the same terms as ODRL (``catalog.odrl``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog import licence_terms, odrl, policy
from catalog.db import id_in_range, session_settings, utcnow
from catalog.errors import NotFound
from catalog.models.datasets import Dataset, DatasetStatus, DatasetVersion, VersionStatus
from catalog.models.licenses import DestructionAttestation, License, LicenseRenewal
from catalog.models.offers import Offer
from catalog.models.users import User
from catalog.services import attestations, licence_texts, renewals, usage
from catalog.services.context import Actor
from catalog.services.licensing import effective_status
from catalog.services.usage import Usage, UsageLine


def base_url(session: Session) -> str:
    return str(session_settings(session).get("base_url") or "").rstrip("/")


def get_license(session: Session, actor: Actor, license_id: int) -> License:
    """A licence the actor may see (404 otherwise)."""
    policy.require(actor, "licence.view")
    lic = (
        session.scalar(
            select(License)
            .where(License.id == license_id)
            .options(
                selectinload(License.team),
                selectinload(License.dataset).selectinload(Dataset.institution),
            )
        )
        if id_in_range(license_id)
        else None
    )
    if lic is None or not policy.can(actor, "licence.view", lic):
        raise NotFound(f"No licence {license_id}.")
    return lic


def situation(lic: License, now: datetime) -> licence_terms.Situation:
    u = usage.current_usage(lic, now)
    return licence_terms.Situation(
        now=now,
        valid_from=lic.valid_from,
        valid_until=lic.valid_until,
        used_objects=u.objects,
        used_bytes=u.bytes,
    )


def permissions(lic: License, now: datetime | None = None) -> dict[str, licence_terms.Decision]:
    """What each action of the vocabulary is allowed now, as the broker would decide it
    (``download`` asks for one more object). A suspended or revoked licence allows nothing."""
    now = now or utcnow()
    terms = licence_terms.Terms.from_frozen(lic.terms)
    s = situation(lic, now)
    status = effective_status(lic, now)
    out = {}
    for action in licence_terms.ACTION_NAMES:
        probe = replace(s, objects=1) if action == "download" else s
        decision = licence_terms.decide(terms, action, probe)
        if decision.permitted and status.value in ("suspended", "revoked"):
            decision = licence_terms.Decision(False, f"license_{status.value}")
        out[action] = decision
    return out


@dataclass
class LicenceDetail:
    license: License
    status: str
    terms: licence_terms.Terms
    usage: Usage
    by_user: list[UsageLine]
    permissions: dict[str, licence_terms.Decision]
    text: licence_texts.LicenceText
    accepted_by: str | None
    renewals: list[LicenseRenewal]
    attestations: list[DestructionAttestation]
    days_overdue: int | None
    policy_path: str
    text_path: str
    attribution: str


def licence_detail(
    session: Session, actor: Actor, license_id: int, now: datetime | None = None
) -> LicenceDetail:
    now = now or utcnow()
    lic = get_license(session, actor, license_id)
    accepted_by = (
        session.scalar(select(User.email).where(User.id == lic.terms_accepted_by_id))
        if lic.terms_accepted_by_id
        else None
    )
    terms = licence_terms.Terms.from_frozen(lic.terms)
    return LicenceDetail(
        license=lic,
        status=effective_status(lic, now).value,
        terms=terms,
        usage=usage.current_usage(lic, now),
        by_user=usage.usage_by_user(session, lic),
        permissions=permissions(lic, now),
        text=licence_texts.text_of(session, lic),
        accepted_by=accepted_by,
        renewals=renewals.renewals_of(session, lic),
        attestations=attestations.attestations_of(session, actor, lic),
        days_overdue=attestations.days_overdue(lic, now),
        policy_path=f"/api/v1/licenses/{lic.id}/policy",
        text_path=f"/api/v1/licenses/{lic.id}/text",
        attribution=odrl.attribution_text(terms, _facts(session, lic.dataset, terms)),
    )


# --------------------------------------------------------------------------- policies


def _published_versions(session: Session, dataset: Dataset) -> list[DatasetVersion]:
    return list(
        session.scalars(
            select(DatasetVersion)
            .where(
                DatasetVersion.dataset_id == dataset.id,
                DatasetVersion.status == VersionStatus.PUBLISHED,
            )
            .order_by(DatasetVersion.published_at, DatasetVersion.id)
        )
    )


def _facts(
    session: Session, dataset: Dataset, terms: licence_terms.Terms, **kw: Any
) -> odrl.PolicyFacts:
    versions = _published_versions(session, dataset)
    made = versions[-1].published_at if versions and versions[-1].published_at else None
    inst = dataset.institution
    return odrl.PolicyFacts(
        base_url=base_url(session),
        uid=kw.pop("uid", ""),
        dataset_slug=dataset.slug,
        dataset_title_ko=dataset.title_ko,
        dataset_title_en=dataset.title_en,
        institution_code=inst.code,
        institution_ko=inst.name_ko,
        institution_en=inst.name_en,
        versions=tuple(v.label for v in versions),
        year=(made or dataset.created_at).year,
        **kw,
    )


def licence_policy(session: Session, actor: Actor, license_id: int) -> dict[str, Any]:
    """The licence's ODRL ``Agreement`` (JSON-LD), from its frozen terms."""
    lic = get_license(session, actor, license_id)
    return policy_of_licence(session, lic)


def policy_of_licence(session: Session, lic: License) -> dict[str, Any]:
    terms = licence_terms.Terms.from_frozen(lic.terms)
    text = licence_texts.text_of(session, lic)
    base = base_url(session)
    text_url = (
        f"{base}/datasets/{lic.dataset.slug}/offers/{text.offer_id}/licence.txt"
        f"?version={text.document.version}"
        if text.document is not None
        else f"{base}/api/v1/licenses/{lic.id}/text"
    )
    facts = _facts(
        session,
        lic.dataset,
        terms,
        uid=f"{base}/api/v1/licenses/{lic.id}/policy",
        team_code=lic.team.code,
        valid_from=lic.valid_from,
        valid_until=lic.valid_until,
        text_url=text_url,
        text_sha256=text.sha256,
    )
    return odrl.policy(terms, facts)


def public_offer(session: Session, slug: str, offer_id: int) -> Offer:
    """An offer of a published (or withdrawn) dataset, for the public pages."""
    offer = session.get(Offer, offer_id) if id_in_range(offer_id) else None
    if offer is None or offer.dataset.slug != slug or offer.dataset.status == DatasetStatus.DRAFT:
        raise NotFound(f"Dataset {slug!r} has no offer {offer_id}.", code="offer_not_found")
    return offer


def offer_policy(session: Session, slug: str, offer_id: int) -> dict[str, Any]:
    """The offer's ODRL ``Offer`` (JSON-LD): the terms any licence sold now would freeze."""
    offer = public_offer(session, slug, offer_id)
    terms = licence_terms.Terms.from_frozen(offer.terms())
    base = base_url(session)
    doc = offer.current_document
    facts = _facts(
        session,
        offer.dataset,
        terms,
        uid=f"{base}/datasets/{slug}/offers/{offer.id}/policy.jsonld",
        text_url=(
            f"{base}/datasets/{slug}/offers/{offer.id}/licence.txt?version={doc.version}"
            if doc
            else None
        ),
        text_sha256=doc.sha256 if doc else None,
    )
    return odrl.policy(terms, facts)


def offer_attribution(session: Session, offer: Offer) -> str:
    """The attribution sentence of an offer (KOGL's prescribed one when it declares a type)."""
    terms = licence_terms.Terms.from_frozen(offer.terms())
    return odrl.attribution_text(terms, _facts(session, offer.dataset, terms))
