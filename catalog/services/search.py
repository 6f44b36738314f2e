"""Catalog search: Korean and English substring queries, filters and facet counts.

All searching goes through ``search_datasets``. Matching is on ``Dataset.search_text``,
a normalised (NFKC, case-folded) copy of titles, descriptions, keywords and the
institution's names, so that ``실록`` finds 조선왕조실록 and ``annals`` finds "Annals".
Each whitespace-separated query term must occur (AND). Korean nouns are mostly two
syllables, which rules out trigram indexes (they silently match nothing for ``실록``);
a substring scan is exact and, for a catalogue of thousands of datasets, fast — see
docs/benchmarks.md. A bigram index can replace the scan behind this one function.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from catalog.models.datasets import Dataset, DatasetStatus
from catalog.models.institutions import Institution

SORTS = ("relevance", "title", "newest", "price_asc", "price_desc")
PRICE_BUCKETS = (
    ("lt_100m", 0, 100_000_000),
    ("100m_500m", 100_000_000, 500_000_000),
    ("500m_1b", 500_000_000, 1_000_000_000),
    ("gte_1b", 1_000_000_000, None),
)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def build_search_text(dataset: Dataset, institution: Institution | None = None) -> str:
    inst = institution or dataset.institution
    parts = [
        dataset.slug,
        dataset.title_ko,
        dataset.title_en,
        dataset.description_ko,
        dataset.description_en,
        " ".join(dataset.keywords or []),
    ]
    if inst is not None:
        parts += [inst.code, inst.name_ko, inst.name_en]
    return " ".join(normalise(p) for p in parts if p)


def query_terms(q: str | None) -> list[str]:
    return [t for t in normalise(q or "").split() if t][:10]


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class SearchFilters:
    q: str = ""
    institution: list[str] = field(default_factory=list)
    modality: list[str] = field(default_factory=list)
    use: list[str] = field(default_factory=list)
    sensitivity: list[str] = field(default_factory=list)
    price: list[str] = field(default_factory=list)  # PRICE_BUCKETS names
    min_price: int | None = None
    max_price: int | None = None
    sort: str = "relevance"


@dataclass
class SearchResult:
    items: list[Dataset]
    total: int
    page: int
    limit: int
    facets: dict[str, dict[str, int]]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.limit)) if self.limit else 1


def _base_query(terms: list[str], include_unpublished_of: int | None) -> Select:
    stmt = select(Dataset).options(
        selectinload(Dataset.offers), selectinload(Dataset.institution),
        selectinload(Dataset.versions),
    )
    visible = Dataset.status == DatasetStatus.PUBLISHED
    if include_unpublished_of is not None:
        visible = or_(visible, Dataset.institution_id == include_unpublished_of)
    stmt = stmt.where(visible)
    for term in terms:
        stmt = stmt.where(Dataset.search_text.like(f"%{_like_escape(term)}%", escape="\\"))
    return stmt


def _active_prices(ds: Dataset) -> list[int]:
    return [o.price_krw for o in ds.offers if o.active]


def _uses(ds: Dataset) -> set[str]:
    return {u for o in ds.offers if o.active for u in o.uses}


def _price_bucket(price: int) -> str:
    for name, lo, hi in PRICE_BUCKETS:
        if price >= lo and (hi is None or price < hi):
            return name
    return PRICE_BUCKETS[-1][0]


def _matches(ds: Dataset, f: SearchFilters, skip: str | None = None) -> bool:
    if skip != "institution" and f.institution and ds.institution.code not in f.institution:
        return False
    if skip != "modality" and f.modality and ds.modality.value not in f.modality:
        return False
    if skip != "sensitivity" and f.sensitivity and ds.sensitivity.value not in f.sensitivity:
        return False
    if skip != "use" and f.use and not set(f.use) <= _uses(ds):
        return False
    prices = _active_prices(ds)
    if skip != "price" and f.price and not any(_price_bucket(p) in f.price for p in prices):
        return False
    if f.min_price is not None and not any(p >= f.min_price for p in prices):
        return False
    if f.max_price is not None and not any(p <= f.max_price for p in prices):
        return False
    return True


def _relevance(ds: Dataset, terms: list[str]) -> tuple:
    title = normalise(ds.title_ko + " " + ds.title_en)
    in_title = sum(1 for t in terms if t in title)
    return (-in_title, normalise(ds.title_ko))


def search_datasets(
    session: Session,
    filters: SearchFilters,
    *,
    page: int = 1,
    limit: int = 20,
    include_unpublished_of: int | None = None,
) -> SearchResult:
    """Search the catalogue. Facet counts for a facet ignore that facet's own filter."""
    terms = query_terms(filters.q)
    candidates = list(session.scalars(_base_query(terms, include_unpublished_of)).unique())
    matched = [d for d in candidates if _matches(d, filters)]
    facets: dict[str, dict[str, int]] = {
        "institution": {}, "modality": {}, "use": {}, "sensitivity": {}, "price": {}
    }
    for ds in candidates:
        if _matches(ds, filters, skip="institution"):
            facets["institution"][ds.institution.code] = facets["institution"].get(ds.institution.code, 0) + 1
        if _matches(ds, filters, skip="modality"):
            facets["modality"][ds.modality.value] = facets["modality"].get(ds.modality.value, 0) + 1
        if _matches(ds, filters, skip="sensitivity"):
            key = ds.sensitivity.value
            facets["sensitivity"][key] = facets["sensitivity"].get(key, 0) + 1
        if _matches(ds, filters, skip="use"):
            for use in _uses(ds):
                facets["use"][use] = facets["use"].get(use, 0) + 1
        if _matches(ds, filters, skip="price"):
            for bucket in {_price_bucket(p) for p in _active_prices(ds)}:
                facets["price"][bucket] = facets["price"].get(bucket, 0) + 1
    sort = filters.sort if filters.sort in SORTS else "relevance"
    if sort == "relevance":
        matched.sort(key=lambda d: _relevance(d, terms))
    elif sort == "title":
        matched.sort(key=lambda d: normalise(d.title_ko))
    elif sort == "newest":
        matched.sort(key=lambda d: (d.created_at, d.id), reverse=True)
    elif sort == "price_asc":
        matched.sort(key=lambda d: min(_active_prices(d) or [math.inf]))
    elif sort == "price_desc":
        matched.sort(key=lambda d: max(_active_prices(d) or [-1]), reverse=True)
    start = (page - 1) * limit
    return SearchResult(items=matched[start : start + limit], total=len(matched), page=page,
                        limit=limit, facets=facets)


def reindex_dataset(dataset: Dataset) -> None:
    dataset.search_text = build_search_text(dataset)


def count_published(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(Dataset).where(and_(Dataset.status == DatasetStatus.PUBLISHED))
    ) or 0
