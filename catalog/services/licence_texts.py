"""Full licence texts: each offer's licence document, Korean first, versioned.

An offer gets version 1 when it is created: the text its provider wrote, or the standard
text generated from its terms (``licence_terms.standard_text``). Provider staff may publish
a new version later; a licence keeps the version current when it was sold (its frozen
terms name the document and its SHA-256), and the team accepts exactly that text. The
exact text is ``LicenseDocument.text`` (Korean, then the English translation), served as
``text/plain; charset=utf-8``; its SHA-256 is what an acceptance records.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog import licence_terms, policy
from catalog.db import id_in_range, transaction, utcnow
from catalog.errors import InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.datasets import Dataset, DatasetStatus
from catalog.models.licenses import License
from catalog.models.offers import LicenseDocument, Offer, document_text
from catalog.services.audit import record_event
from catalog.services.context import Actor

MAX_TEXT = 100_000


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clean_texts(text_ko: str | None, text_en: str | None) -> tuple[str, str]:
    """Validated texts: Korean required (unless both are empty), each at most 100,000 chars."""
    ko, en = (text_ko or "").strip(), (text_en or "").strip()
    errors = {}
    if en and not ko:
        errors["licence_text_ko"] = ["The Korean text is the licence; write it first."]
    for name, value in (("licence_text_ko", ko), ("licence_text_en", en)):
        if len(value) > MAX_TEXT:
            errors[name] = [f"At most {MAX_TEXT:,} characters."]
    if errors:
        raise InvalidInput(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()),
            code="invalid_licence_text",
            errors=errors,
        )
    return ko, en


def standard_texts(offer: Offer, dataset: Dataset) -> tuple[str, str]:
    """The generated text of an offer whose provider wrote none."""
    terms = licence_terms.Terms.from_frozen(offer.terms())
    return licence_terms.standard_text(
        terms,
        dataset_ko=dataset.title_ko,
        dataset_en=dataset.title_en,
        institution_ko=dataset.institution.name_ko,
        institution_en=dataset.institution.name_en,
    )


def add_document(
    session: Session,
    actor: Actor,
    offer: Offer,
    text_ko: str,
    text_en: str,
    *,
    now: datetime | None = None,
    record: bool = True,
) -> LicenseDocument:
    """Write the next version of the offer's licence text (caller checked the rights).

    ``record=False``: the caller's own audit event names the document (the demo loader's
    ``dataset:create``)."""
    generated = not text_ko
    with transaction(session):
        if generated:
            text_ko, text_en = standard_texts(offer, offer.dataset)
        version = (
            session.scalar(
                select(func.max(LicenseDocument.version)).where(
                    LicenseDocument.offer_id == offer.id
                )
            )
            or 0
        ) + 1
        doc = LicenseDocument(
            offer_id=offer.id,
            version=version,
            text_ko=text_ko,
            text_en=text_en,
            sha256=sha256_text(document_text(text_ko, text_en)),
            created_by_id=actor.user_id,
            created_at=now or utcnow(),
        )
        session.add(doc)
        session.flush()
        session.expire(offer, ["documents"])
        if not record:
            return doc
        record_event(
            session,
            actor,
            AuditAction.OFFER_LICENCE_TEXT,
            "offer",
            offer.id,
            {
                "dataset": offer.dataset.slug,
                "document_id": doc.id,
                "version": version,
                "sha256": doc.sha256,
                "generated": generated,
            },
        )
    return doc


def publish_document(
    session: Session, actor: Actor, offer_id: int, text_ko: str | None, text_en: str | None
) -> LicenseDocument:
    """Provider staff publish a new version of an offer's licence text (for licences sold
    from now on; licences already sold keep theirs)."""
    ko, en = clean_texts(text_ko, text_en)
    if not ko:
        raise InvalidInput(
            "licence_text_ko: the Korean text is required.",
            code="invalid_licence_text",
            errors={"licence_text_ko": ["Required."]},
        )
    with transaction(session):
        offer = session.get(Offer, offer_id) if id_in_range(offer_id) else None
        if offer is None:
            raise NotFound(f"No offer {offer_id}.")
        policy.require(actor, "dataset.manage", offer)
        current = offer.current_document
        if current is not None and current.text_ko == ko and current.text_en == en:
            return current
        return add_document(session, actor, offer, ko, en)


def public_document(
    session: Session, slug: str, offer_id: int, version: int | None = None
) -> LicenseDocument:
    """A published dataset's offer's licence text (a given version, else the newest)."""
    offer = session.get(Offer, offer_id) if id_in_range(offer_id) else None
    if offer is None or offer.dataset.slug != slug or offer.dataset.status == DatasetStatus.DRAFT:
        raise NotFound(f"Dataset {slug!r} has no offer {offer_id}.", code="offer_not_found")
    docs = offer.documents
    if version is not None:
        docs = [d for d in docs if d.version == version]
    if not docs:
        raise NotFound(f"Offer {offer_id} has no licence text version {version}.")
    return docs[-1]


@dataclass(frozen=True)
class LicenceText:
    """The exact text a licence's team accepts."""

    text: str
    sha256: str
    document: LicenseDocument | None  # None: generated from the frozen terms (older offers)
    offer_id: int | None


def text_of(session: Session, lic: License) -> LicenceText:
    """The licence text of a licence: the document version it was sold under; for a licence
    sold before its offer had one, the offer's first version; failing that, the standard
    text generated from its frozen terms."""
    terms = lic.terms or {}
    ref = terms.get("licence_document")
    doc = None
    if isinstance(ref, dict) and isinstance(ref.get("id"), int):
        doc = session.get(LicenseDocument, ref["id"])
    offer_id = terms.get("offer_id")
    if doc is None and isinstance(offer_id, int):
        doc = session.scalar(
            select(LicenseDocument)
            .where(LicenseDocument.offer_id == offer_id)
            .order_by(LicenseDocument.version)
            .limit(1)
        )
    if doc is not None:
        return LicenceText(doc.text, doc.sha256, doc, doc.offer_id)
    dataset = session.get(Dataset, lic.dataset_id)
    assert dataset is not None
    ko, en = licence_terms.standard_text(
        licence_terms.Terms.from_frozen(terms),
        dataset_ko=dataset.title_ko,
        dataset_en=dataset.title_en,
        institution_ko=dataset.institution.name_ko,
        institution_en=dataset.institution.name_en,
    )
    text = document_text(ko, en)
    return LicenceText(
        text, sha256_text(text), None, offer_id if isinstance(offer_id, int) else None
    )
