"""Providers' side of the catalogue: datasets (create, edit, publish, withdraw) and offers.

Provider staff manage their own institution's datasets; the programme office (admin) may
manage any. Every change is one transaction with its audit event; the dataset's search
text is rebuilt whenever a title, description or keyword changes.
"""

from __future__ import annotations

import re
from typing import Any, Literal, overload

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog import licence_terms, policy
from catalog.db import id_in_range, transaction
from catalog.errors import Conflict, InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.datasets import Dataset, DatasetStatus, Modality, Sensitivity
from catalog.models.institutions import Institution
from catalog.models.offers import Offer, OfferMode, Use
from catalog.services import licence_texts
from catalog.services.audit import record_event
from catalog.services.context import Actor
from catalog.services.search import reindex_dataset

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
COVERAGE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
MAX_PRICE = 10**15
TEXT_FIELDS = ("title_ko", "title_en", "description_ko", "description_en")
LIST_FIELDS = ("languages", "formats", "keywords")
EDITABLE = (
    *TEXT_FIELDS,
    *LIST_FIELDS,
    "modality",
    "sensitivity",
    "record_count",
    "coverage_start",
    "coverage_end",
)


def _invalid(field: str, message: str, code: str = "invalid_input") -> InvalidInput:
    return InvalidInput(f"{field}: {message}", code=code, errors={field: [message]})


def managed_datasets(session: Session, actor: Actor) -> list[Dataset]:
    """The datasets the actor manages (all for admins), drafts included, by title."""
    policy.require(actor, "dataset.manage")
    q = select(Dataset).options(
        selectinload(Dataset.offers),
        selectinload(Dataset.versions),
        selectinload(Dataset.institution),
    )
    if not policy.unrestricted(actor, "dataset.manage"):
        q = q.where(Dataset.institution_id == actor.institution_id)
    return list(session.scalars(q.order_by(Dataset.title_ko)))


def get_managed_dataset(session: Session, actor: Actor, slug: str) -> Dataset:
    dataset = (
        session.scalar(
            select(Dataset)
            .where(Dataset.slug == slug)
            .options(
                selectinload(Dataset.offers),
                selectinload(Dataset.versions),
                selectinload(Dataset.institution),
            )
        )
        if len(slug) <= 100
        else None
    )
    if dataset is None:
        raise NotFound(f"No dataset {slug!r}.")
    policy.require(actor, "dataset.manage", dataset)
    return dataset


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in fields:
            value = (fields[name] or "").strip()
            limit = 300 if name.startswith("title") else 20000
            if name.startswith("title") and not value:
                raise _invalid(name, "A title is required.")
            if len(value) > limit:
                raise _invalid(name, f"At most {limit} characters.")
            out[name] = value
    for name in LIST_FIELDS:
        if name in fields:
            value = fields[name]
            if isinstance(value, str):
                value = value.split(",")
            items = [str(v).strip() for v in value or [] if str(v).strip()]
            if len(items) > 50 or any(len(v) > 100 for v in items):
                raise _invalid(name, "At most 50 entries of 100 characters each.")
            out[name] = list(dict.fromkeys(items))
    if "modality" in fields:
        try:
            out["modality"] = Modality(fields["modality"])
        except ValueError:
            raise _invalid("modality", "Choose one of the listed modalities.") from None
    if "sensitivity" in fields:
        try:
            out["sensitivity"] = Sensitivity(fields["sensitivity"])
        except ValueError:
            raise _invalid("sensitivity", "Choose one of the listed sensitivities.") from None
    if "record_count" in fields:
        count = fields["record_count"]
        if count is None:
            count = 0
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 10**15:
            raise _invalid("record_count", "A whole number from 0.")
        out["record_count"] = count
    for name in ("coverage_start", "coverage_end"):
        if name in fields:
            value = (fields[name] or "").strip() or None
            if value is not None and not COVERAGE_RE.match(value):
                raise _invalid(name, "A year, year-month or date (1392, 2020-06, 2024-12-31).")
            out[name] = value
    start, end = out.get("coverage_start"), out.get("coverage_end")
    if start and end and start > end:
        raise _invalid("coverage_end", "The end comes before the start.")
    return out


def create_dataset(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    institution_code: str | None = None,
    **fields: Any,
) -> Dataset:
    """A new draft dataset of the actor's institution (admins name the institution)."""
    policy.require(actor, "dataset.manage")
    slug = (slug or "").strip()
    if not SLUG_RE.match(slug):
        raise _invalid(
            "slug", "Lower-case letters, digits and '-', e.g. joseon-annals-2025.", "invalid_slug"
        )
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    for required in ("title_ko", "title_en", "modality"):
        fields.setdefault(required, "")
    values = _clean(fields)
    with transaction(session):
        if policy.unrestricted(actor, "dataset.manage"):
            inst = session.scalar(
                select(Institution).where(Institution.code == (institution_code or "").upper())
            )
            if inst is None:
                raise _invalid("institution", "Choose an institution.", "institution_required")
        else:
            inst = session.get(Institution, actor.institution_id)
            # Only provider staff manage their own datasets, and they have an institution.
            assert inst is not None
        if session.scalar(select(Dataset.id).where(Dataset.slug == slug)) is not None:
            raise Conflict(
                f"A dataset {slug!r} already exists.",
                code="slug_taken",
                errors={"slug": ["This slug is taken."]},
            )
        dataset = Dataset(slug=slug, institution=inst, status=DatasetStatus.DRAFT, **values)
        reindex_dataset(dataset)
        session.add(dataset)
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.DATASET_CREATE,
            "dataset",
            slug,
            {"institution": inst.code, "title_en": dataset.title_en},
        )
    return dataset


def update_dataset(session: Session, actor: Actor, slug: str, **fields: Any) -> Dataset:
    """Change a dataset's descriptive fields; the event lists what changed."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    values = _clean(fields)
    with transaction(session):
        dataset = get_managed_dataset(session, actor, slug)
        changed = {}
        for name, value in values.items():
            before = getattr(dataset, name)
            if before != value:
                changed[name] = value.value if hasattr(value, "value") else value
                setattr(dataset, name, value)
        if changed:
            reindex_dataset(dataset)
            session.flush()
            record_event(
                session,
                actor,
                AuditAction.DATASET_UPDATE,
                "dataset",
                slug,
                {"changed": sorted(changed)},
            )
    return dataset


def set_dataset_status(session: Session, actor: Actor, slug: str, status: str) -> Dataset:
    """Publish a draft (or withdrawn) dataset, or withdraw a published one from sale.

    Publishing needs at least one active offer: a published dataset must be buyable.
    Withdrawing keeps existing licences valid.
    """
    try:
        wanted = DatasetStatus(status)
    except ValueError:
        raise _invalid("status", "published or withdrawn", "invalid_status") from None
    if wanted == DatasetStatus.DRAFT:
        raise _invalid("status", "A dataset cannot go back to draft.", "invalid_status")
    with transaction(session):
        dataset = get_managed_dataset(session, actor, slug)
        if dataset.status == wanted:
            raise Conflict(f"Dataset {slug} is already {wanted.value}.", code="no_change")
        if wanted == DatasetStatus.PUBLISHED and not any(o.active for o in dataset.offers):
            raise Conflict(
                "Add an offer before publishing: a published dataset must be buyable.",
                code="offer_required",
            )
        before = dataset.status
        dataset.status = wanted
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.DATASET_PUBLISH
            if wanted == DatasetStatus.PUBLISHED
            else AuditAction.DATASET_WITHDRAW,
            "dataset",
            slug,
            {"from": before.value, "to": wanted.value},
        )
    return dataset


@overload
def _int(
    fields: dict[str, Any], name: str, lo: int, hi: int, *, optional: Literal[False] = False
) -> int: ...
@overload
def _int(fields: dict[str, Any], name: str, lo: int, hi: int, *, optional: bool) -> int | None: ...
def _int(
    fields: dict[str, Any], name: str, lo: int, hi: int, *, optional: bool = False
) -> int | None:
    value = fields.get(name)
    if value in (None, ""):
        if optional:
            return None
        raise _invalid(name, "Required.")
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _invalid(name, f"A whole number from {lo:,} to {hi:,}.")
    return value


def create_offer(session: Session, actor: Actor, slug: str, **fields: Any) -> Offer:
    """A new offer of a dataset; its terms are frozen into every licence sold under it."""
    try:
        mode = OfferMode(fields.get("mode", ""))
    except ValueError:
        raise _invalid("mode", "individual or joint", "invalid_mode") from None
    price = _int(fields, "price_krw", 1, MAX_PRICE)
    term = _int(fields, "term_months", 1, 120)
    quota = _int(fields, "download_quota", 1, 10**9, optional=True)
    quota_bytes = _int(fields, "download_quota_bytes", 1, 2**53 - 1, optional=True)
    kogl = fields.get("kogl_type")
    if kogl in ("", 0, "0"):
        kogl = None
    if isinstance(kogl, str) and kogl.isdigit():
        kogl = int(kogl)
    if kogl is not None and kogl not in licence_terms.KOGL:
        raise _invalid("kogl_type", "공공누리 type 1, 2, 3 or 4, or none.", "invalid_kogl_type")
    uses = sorted(set(fields.get("uses") or []))
    bad = [u for u in uses if u not in {x.value for x in Use}]
    if bad:
        raise _invalid("uses", f"Unknown use(s): {', '.join(bad)}.", "invalid_use")
    clash = [u for u in uses if u in licence_terms.kogl_forbidden_uses(kogl)]
    if clash:
        raise _invalid(
            "uses",
            f"KOGL type {kogl} forbids {', '.join(clash)}; untick it or choose another type.",
            "kogl_conflict",
        )
    text_ko, text_en = licence_texts.clean_texts(
        fields.get("licence_text_ko"), fields.get("licence_text_en")
    )
    min_teams = max_teams = window = None
    if mode == OfferMode.JOINT:
        min_teams = _int(fields, "min_teams", 2, 100)
        max_teams = _int(fields, "max_teams", 2, 100)
        if max_teams < min_teams:
            raise _invalid("max_teams", "At least the minimum number of teams.")
        window = _int(fields, "join_window_days", 1, 365)
    attribution = (fields.get("attribution") or "").strip()
    if len(attribution) > 2000:
        raise _invalid("attribution", "At most 2,000 characters.")
    with transaction(session):
        dataset = get_managed_dataset(session, actor, slug)
        offer = Offer(
            dataset_id=dataset.id,
            mode=mode,
            price_krw=price,
            term_months=term,
            min_teams=min_teams,
            max_teams=max_teams,
            join_window_days=window,
            uses=uses,
            attribution=attribution,
            survives_elimination=bool(fields.get("survives_elimination")),
            download_quota=quota,
            download_quota_bytes=quota_bytes,
            kogl_type=kogl,
            active=True,
        )
        session.add(offer)
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.OFFER_CREATE,
            "offer",
            offer.id,
            {"dataset": slug, **offer.terms()},
        )
        licence_texts.add_document(session, actor, offer, text_ko, text_en)
    return offer


def deactivate_offer(session: Session, actor: Actor, offer_id: int) -> Offer:
    """Stop selling under an offer. Licences sold under it keep their frozen terms."""
    with transaction(session):
        offer = session.get(Offer, offer_id) if id_in_range(offer_id) else None
        if offer is None:
            raise NotFound(f"No offer {offer_id}.")
        policy.require(actor, "dataset.manage", offer)
        if not offer.active:
            raise Conflict(f"Offer {offer_id} is already withdrawn.", code="no_change")
        offer.active = False
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.OFFER_DEACTIVATE,
            "offer",
            offer.id,
            {"dataset": offer.dataset.slug},
        )
    return offer
