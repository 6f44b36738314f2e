"""The substring scan that ``search_datasets`` used before the bigram index, kept as the
reference its results must equal (``test_search_index.py``): every candidate loaded, filters
and facets in Python."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from catalog.errors import InvalidInput
from catalog.models.datasets import Dataset, DatasetStatus
from catalog.models.institutions import Institution
from catalog.models.offers import Offer
from catalog.services.search import (
    PRICE_BUCKETS,
    SORTS,
    SearchFilters,
    SearchResult,
    _like_escape,
    normalise,
    query_terms,
)


@dataclass
class _Row:
    """The few columns filtering, faceting and sorting need; ORM objects only for one page."""

    id: int
    institution: str
    modality: str
    sensitivity: str
    created_at: datetime
    title: str
    title_all: str
    prices: list[int] = field(default_factory=list)
    uses: set[str] = field(default_factory=set)


def _visible(terms: list[str], include_unpublished_of: int | None) -> ColumnElement[bool]:
    visible = Dataset.status == DatasetStatus.PUBLISHED
    if include_unpublished_of is not None:
        visible = or_(visible, Dataset.institution_id == include_unpublished_of)
    conds = [visible]
    for term in terms:
        conds.append(Dataset.search_text.like(f"%{_like_escape(term)}%", escape="\\"))
    return and_(*conds)


def _candidates(
    session: Session, terms: list[str], include_unpublished_of: int | None
) -> list[_Row]:
    where = _visible(terms, include_unpublished_of)
    rows: dict[int, _Row] = {}
    for r in session.execute(
        select(
            Dataset.id,
            Institution.code,
            Dataset.modality,
            Dataset.sensitivity,
            Dataset.created_at,
            Dataset.title_ko,
            Dataset.title_en,
        )
        .join(Institution, Institution.id == Dataset.institution_id)
        .where(where)
    ):
        rows[r[0]] = _Row(
            r[0], r[1], r[2].value, r[3].value, r[4], normalise(r[5]), normalise(r[5] + " " + r[6])
        )
    if rows:
        for ds_id, price, uses in session.execute(
            select(Offer.dataset_id, Offer.price_krw, Offer.uses)
            .join(Dataset, Dataset.id == Offer.dataset_id)
            .where(where, Offer.active.is_(True))
        ):
            row = rows[ds_id]
            row.prices.append(price)
            row.uses.update(uses or [])
    return list(rows.values())


def _price_bucket(price: int) -> str:
    for name, lo, hi in PRICE_BUCKETS:
        if price >= lo and (hi is None or price < hi):
            return name
    return PRICE_BUCKETS[-1][0]


def _matches(row: _Row, f: SearchFilters, skip: str | None = None) -> bool:
    if skip != "institution" and f.institution and row.institution not in f.institution:
        return False
    if skip != "modality" and f.modality and row.modality not in f.modality:
        return False
    if skip != "sensitivity" and f.sensitivity and row.sensitivity not in f.sensitivity:
        return False
    if skip != "use" and f.use and not set(f.use) <= row.uses:
        return False
    if skip != "price" and f.price and not any(_price_bucket(p) in f.price for p in row.prices):
        return False
    if f.min_price is not None and not any(p >= f.min_price for p in row.prices):
        return False
    if f.max_price is not None and not any(p <= f.max_price for p in row.prices):
        return False
    return True


def scan_search_datasets(
    session: Session,
    filters: SearchFilters,
    *,
    page: int = 1,
    limit: int = 20,
    include_unpublished_of: int | None = None,
    after: list[Any] | None = None,
) -> SearchResult:
    """Search the catalogue. Facet counts for a facet ignore that facet's own filter.

    ``after`` is a keyset cursor: the sort key (``next_key``) of the last dataset of the
    previous page; the page then starts after it, whatever was published meanwhile."""
    terms = query_terms(filters.q)
    candidates = _candidates(session, terms, include_unpublished_of)
    matched = [r for r in candidates if _matches(r, filters)]
    facets: dict[str, dict[str, int]] = {
        "institution": {},
        "modality": {},
        "use": {},
        "sensitivity": {},
        "price": {},
    }

    def bump(facet: str, value: str) -> None:
        facets[facet][value] = facets[facet].get(value, 0) + 1

    for row in candidates:
        if _matches(row, filters, skip="institution"):
            bump("institution", row.institution)
        if _matches(row, filters, skip="modality"):
            bump("modality", row.modality)
        if _matches(row, filters, skip="sensitivity"):
            bump("sensitivity", row.sensitivity)
        if _matches(row, filters, skip="use"):
            for use in row.uses:
                bump("use", use)
        if _matches(row, filters, skip="price"):
            for bucket in {_price_bucket(p) for p in row.prices}:
                bump("price", bucket)
    sort = filters.sort if filters.sort in SORTS else "relevance"
    key = _sort_key(sort, terms)
    matched.sort(key=key)
    if after is not None:
        try:
            start = sum(1 for r in matched if key(r) <= tuple(after))
        except TypeError:
            raise InvalidInput(
                "cursor is not one a `next` link of this search gave", code="invalid_cursor"
            ) from None
        page = start // limit + 1
    else:
        start = (page - 1) * limit
    page_ids = [r.id for r in matched[start : start + limit]]
    by_id = (
        {
            d.id: d
            for d in session.scalars(
                select(Dataset)
                .where(Dataset.id.in_(page_ids))
                .options(
                    selectinload(Dataset.offers),
                    selectinload(Dataset.institution),
                    selectinload(Dataset.versions),
                )
            )
        }
        if page_ids
        else {}
    )
    end = start + len(page_ids)
    return SearchResult(
        items=[by_id[i] for i in page_ids],
        total=len(matched),
        page=page,
        limit=limit,
        facets=facets,
        next_key=list(key(matched[end - 1])) if page_ids and end < len(matched) else None,
    )


_NO_PRICE = 10**18


def _sort_key(sort: str, terms: list[str]) -> Callable[[_Row], tuple[Any, ...]]:
    """The ascending key of a sort: JSON-friendly (ints and strings), unique per dataset
    (the id breaks ties), so a keyset cursor can carry it."""
    if sort == "title":
        return lambda r: (r.title, r.id)
    if sort == "newest":
        return lambda r: (-round(r.created_at.timestamp() * 1_000_000), -r.id)
    if sort == "price_asc":
        return lambda r: (min(r.prices or [_NO_PRICE]), r.id)
    if sort == "price_desc":
        return lambda r: (-max(r.prices or [-1]), -r.id)
    return lambda r: (-sum(1 for t in terms if t in r.title_all), r.title, r.id)
