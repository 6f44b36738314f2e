"""Catalog search: Korean and English substring queries, filters and facet counts.

All searching goes through ``search_datasets``. Matching is on ``Dataset.search_text``,
a normalised (NFKC, case-folded) copy of titles, descriptions, keywords and the
institution's names, so that ``실록`` finds 조선왕조실록 and ``annals`` finds "Annals".
Each whitespace-separated query term must occur (AND) as a substring.

Korean nouns are mostly two syllables, which rules out trigram indexes (they match nothing
for ``실록``), so the index is of *bigrams*: every two adjacent characters of every word of
``search_text``, and every single character (for one-syllable queries). A term's bigrams
must all be present, which for a term of one or two characters is exactly the substring
test and for a longer one a superset that ``LIKE`` then confirms on the few candidates.
Results are therefore the same as a substring scan (tests compare both on random corpora).

The index lives in tables of its own, outside the models, kept up to date inside the same
flush as every change to a dataset or an offer (``_after_flush``):

* ``dataset_search`` — one row per dataset with what filters, facets and sorts need
  (status, institution, modality, sensitivity, creation time, normalised titles, the price
  buckets, lowest and highest price and permitted uses of the active offers); on PostgreSQL
  also ``document``, a ``tsvector`` of the bigram tokens under a GIN index;
* ``dataset_search_fts`` — on SQLite, an FTS5 table of the same tokens (rowid = dataset id).

* ``dataset_search_state`` — one row, the catalogue's *generation*: a random number that
  every re-indexing flush replaces in its own transaction.

A search with terms fills the temporary table ``search_match`` once (index lookup and
substring confirmation); the facet counts (one ``GROUP BY`` per facet) and the page read it.
Results without the datasets themselves (counts, the page's ids, the cursor) are cached per
process in a bounded LRU keyed by the generation, so a change is visible at once in every
worker and host; a transaction that re-indexed something bypasses the cache.
``flask --app app search reindex`` rebuilds the index (``rebuild_index``).
"""

from __future__ import annotations

import functools
import math
import operator
import secrets
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    event,
    exists,
    func,
    insert,
    inspect,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.orm import Session, UOWTransaction, selectinload
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from catalog.db import transaction
from catalog.errors import InvalidInput
from catalog.models._types import UTCDateTime
from catalog.models.datasets import Dataset, DatasetStatus
from catalog.models.institutions import Institution
from catalog.models.offers import Offer, OfferMode
from catalog.services.context import Actor

SORTS = ("relevance", "title", "newest", "price_asc", "price_desc")
PRICE_BUCKETS = (
    ("lt_100m", 0, 100_000_000),
    ("100m_500m", 100_000_000, 500_000_000),
    ("500m_1b", 500_000_000, 1_000_000_000),
    ("gte_1b", 1_000_000_000, None),
)
_BUCKET_BIT = {name: 1 << i for i, (name, _lo, _hi) in enumerate(PRICE_BUCKETS)}
_CHUNK = 2000
_CACHE_SIZE = 512
_MANY_MATCHES = 3000
_DIRTY = "search_index_changed"  # Session.info key: this transaction re-indexed something

index_metadata = MetaData()
search_rows = Table(
    "dataset_search",
    index_metadata,
    Column("dataset_id", Integer, primary_key=True),
    Column("institution_id", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("modality", String(16), nullable=False),
    Column("sensitivity", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("title_key", Text, nullable=False),
    Column("title_all", Text, nullable=False),
    Column("price_mask", Integer, nullable=False),
    Column("min_price", BigInteger),
    Column("max_price", BigInteger),
    Column("uses", Text, nullable=False),
    Column("document", TSVECTOR),  # PostgreSQL only
)
search_state = Table(
    "dataset_search_state",
    index_metadata,
    Column("id", Integer, primary_key=True),
    Column("generation", BigInteger, nullable=False),
)


def is_index_table(name: str | None) -> bool:
    """The search index's tables (and FTS5's shadow tables), which the models do not describe."""
    return bool(name) and str(name).startswith("dataset_search")


def include_in_migrations(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic ``include_name``: leave the search index out of model comparisons."""
    return not (type_ == "table" and is_index_table(name))


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


def term_tokens(term: str) -> set[str]:
    """The index tokens a document must hold to contain ``term`` (no whitespace in it)."""
    if len(term) == 1:
        return {f"u{ord(term):x}"}
    return {f"b{ord(a):x}x{ord(b):x}" for a, b in zip(term, term[1:], strict=False)}


@functools.lru_cache(maxsize=1 << 16)
def _word_tokens(word: str) -> frozenset[str]:
    """A word's tokens; words repeat across a catalogue, so each is worked out once."""
    tokens = {f"u{ord(c):x}" for c in word}
    tokens.update(f"b{ord(a):x}x{ord(b):x}" for a, b in zip(word, word[1:], strict=False))
    return frozenset(tokens)


@functools.lru_cache(maxsize=1 << 16)
def _word_document(word: str) -> str:
    return " ".join(_word_tokens(word))


def document(search_text: str) -> str:
    """The tokens of a text as the index stores them, separated by spaces. A token shared
    by two words appears twice, which FTS5 and ``array_to_tsvector`` both accept (deduplicating
    here costs more than the index build's other steps together)."""
    return " ".join(map(_word_document, set(search_text.split())))


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
    joint: bool = False  # only datasets with an active joint offer
    sort: str = "relevance"


@dataclass
class SearchResult:
    items: list[Dataset]
    total: int
    page: int
    limit: int
    facets: dict[str, dict[str, int]]
    next_key: list[Any] | None = None  # the sort key of this page's last item, if more follow

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.limit)) if self.limit else 1


def _price_bucket(price: int) -> str:
    for name, lo, hi in PRICE_BUCKETS:
        if price >= lo and (hi is None or price < hi):
            return name
    return PRICE_BUCKETS[-1][0]


# --- keeping the index up to date -------------------------------------------------------


def _is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def bump_generation(conn: Connection) -> None:
    """Mark every cached search result stale (in the caller's transaction).

    The generation is a fresh random number rather than a counter, so that one value names
    one committed state of the catalogue even across databases (a restored backup, copies of
    one template): a counter would start again and reuse numbers for other states."""
    conn.execute(update(search_state).values(generation=secrets.randbits(62)))


def refresh_index(conn: Connection, dataset_ids: Iterable[int], *, fresh: bool = False) -> None:
    """Rewrite the index rows of these datasets from the datasets and offers tables.

    ``fresh``: the index holds no rows for them yet (a rebuild), so nothing is deleted."""
    ids = sorted({i for i in dataset_ids if i is not None})
    for start in range(0, len(ids), _CHUNK):
        _refresh_chunk(conn, ids[start : start + _CHUNK], fresh)


def _refresh_chunk(conn: Connection, ids: list[int], fresh: bool) -> None:
    ds = Dataset.__table__
    of = Offer.__table__
    offers: dict[int, list[tuple[int, list[str]]]] = {}
    for ds_id, price, uses in conn.execute(
        select(of.c.dataset_id, of.c.price_krw, of.c.uses).where(
            of.c.dataset_id.in_(ids), of.c.active.is_(True)
        )
    ):
        offers.setdefault(ds_id, []).append((price, uses or []))
    rows: list[dict[str, Any]] = []
    fts: list[dict[str, Any]] = []
    pg = _is_postgres(conn)
    for r in conn.execute(
        select(
            ds.c.id,
            ds.c.institution_id,
            ds.c.status,
            ds.c.modality,
            ds.c.sensitivity,
            ds.c.created_at,
            ds.c.title_ko,
            ds.c.title_en,
            ds.c.search_text,
        ).where(ds.c.id.in_(ids))
    ):
        prices = [p for p, _u in offers.get(r.id, [])]
        uses = sorted({u for _p, us in offers.get(r.id, []) for u in us})
        mask = 0
        for p in prices:
            mask |= _BUCKET_BIT[_price_bucket(p)]
        doc = document(r.search_text or "")
        row = {
            "dataset_id": r.id,
            "institution_id": r.institution_id,
            "status": str(getattr(r.status, "value", r.status)),
            "modality": str(getattr(r.modality, "value", r.modality)),
            "sensitivity": str(getattr(r.sensitivity, "value", r.sensitivity)),
            "created_at": r.created_at,
            "title_key": normalise(r.title_ko),
            "title_all": normalise(r.title_ko + " " + r.title_en),
            "price_mask": mask,
            "min_price": min(prices) if prices else None,
            "max_price": max(prices) if prices else None,
            "uses": "|" + "|".join(uses) + "|" if uses else "",
        }
        if pg:
            row["doc"] = doc
        else:
            fts.append({"rowid": r.id, "doc": doc})
        rows.append(row)
    if not fresh:
        conn.execute(delete(search_rows).where(search_rows.c.dataset_id.in_(ids)))
    if not pg and not fresh:
        conn.execute(
            text("DELETE FROM dataset_search_fts WHERE rowid IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        )
    if not rows:
        return
    if pg:
        conn.execute(
            insert(search_rows).values(
                document=func.array_to_tsvector(
                    func.string_to_array(bindparam("doc", type_=Text), " ")
                )
            ),
            rows,
        )
    else:
        conn.execute(insert(search_rows), rows)
        conn.execute(
            text("INSERT INTO dataset_search_fts (rowid, document) VALUES (:rowid, :doc)"), fts
        )


def rebuild_index(session: Session) -> int:
    """Rebuild the whole index (``flask search reindex``); returns the number of datasets."""
    conn = session.connection()
    conn.execute(delete(search_rows))
    if not _is_postgres(conn):
        conn.execute(text("DELETE FROM dataset_search_fts"))
    ids = list(conn.scalars(select(Dataset.__table__.c.id)))
    if inspect(conn).has_table(search_state.name):  # absent while migration 0008 runs
        bump_generation(conn)
    refresh_index(conn, ids, fresh=True)
    # Statistics tell SQLite's planner that ``status`` hardly narrows anything, so a page
    # walks the sort's index and stops after 20 rows instead of sorting every published row.
    conn.exec_driver_sql("ANALYZE dataset_search")
    return len(ids)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    """Re-index every dataset that this flush created or changed, or whose offers changed."""
    touched: set[int] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Dataset):
            touched.add(obj.id)
        elif isinstance(obj, Offer):
            touched.add(obj.dataset_id)
    if touched:
        session.info[_DIRTY] = True
        bump_generation(session.connection())
        refresh_index(session.connection(), touched)


def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_DIRTY, None)


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "after_transaction_end", _after_transaction_end)


# --- searching ---------------------------------------------------------------------------


def _price_mask(names: Sequence[str]) -> int:
    mask = 0
    for name in names:
        mask |= _BUCKET_BIT.get(name, 0)
    return mask


def _query_tokens(terms: list[str]) -> list[str]:
    tokens: set[str] = set()
    for t in terms:
        tokens |= term_tokens(t)
    return sorted(tokens)


def _matched(
    session: Session, terms: list[str], own_institution: int | None
) -> ColumnElement[bool]:
    """The condition "visible and matches the terms", worked out once: the index lookup and
    the substring check run in one statement, whose ids the facet counts and the page then
    reuse from a temporary table (the connection's own, emptied for each search)."""
    s = search_rows.c
    published = DatasetStatus.PUBLISHED.value
    long_terms = [t for t in terms if len(t) > 2]
    conn = session.connection()
    # Each time: creating it is transactional, so a rolled-back read would drop it again.
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS search_match (dataset_id INTEGER PRIMARY KEY)"
    )
    conn.exec_driver_sql("DELETE FROM search_match")
    if conn.dialect.name == "postgresql":
        visible: ColumnElement[bool] = s.status == published
        if own_institution is not None:
            visible = or_(visible, s.institution_id == own_institution)
        conds = [visible, s.document.op("@@")(cast(" & ".join(_query_tokens(terms)), TSQUERY))]
        ids: Select[Any] = select(s.dataset_id).select_from(search_rows)
        if long_terms:
            ids = ids.join(Dataset, Dataset.id == s.dataset_id)
        # Bigrams prove a substring of one or two characters; longer terms are confirmed
        # (both sides are case-folded, so ``strpos`` does, faster than ``LIKE '%…%'``).
        for t in long_terms:
            conds.append(func.strpos(Dataset.search_text, bindparam(None, t, type_=Text)) > 0)
        # For a common term the planner prefers reading every tsvector (detoasted) to the
        # GIN index; the index's posting lists are several times faster at any share.
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        conn.execute(insert(_match_table).from_select(["dataset_id"], ids.where(*conds)))
        conn.exec_driver_sql("SET LOCAL enable_seqscan TO DEFAULT")
        conn.exec_driver_sql("ANALYZE search_match")
        return s.dataset_id.in_(select(_match_table.c.dataset_id))
    # SQLite: CROSS JOIN keeps the join order: the FTS5 hits in rowid order, then each
    # dataset by its primary key, which reads the tables in order (the planner would start
    # from dataset_search's status index and look the texts up at random, twice as slow).
    params: dict[str, Any] = {"fts_query": " AND ".join(_query_tokens(terms)), "pub": published}
    sql = ["INSERT INTO search_match (dataset_id) SELECT s.dataset_id FROM dataset_search_fts"]
    if long_terms:
        sql.append("CROSS JOIN datasets AS d ON d.id = dataset_search_fts.rowid")
    sql.append("CROSS JOIN dataset_search AS s ON s.dataset_id = dataset_search_fts.rowid")
    sql.append("WHERE dataset_search_fts MATCH :fts_query")
    if own_institution is None:
        sql.append("AND s.status = :pub")
    else:
        sql.append("AND (s.status = :pub OR s.institution_id = :own)")
        params["own"] = own_institution
    # Bigrams prove a substring of one or two characters; longer terms are confirmed (both
    # sides are case-folded, so ``instr`` does, faster than ``LIKE '%…%'``).
    for n, t in enumerate(long_terms):
        sql.append(f"AND instr(d.search_text, :t{n}) > 0")
        params[f"t{n}"] = t
    n = conn.execute(text(" ".join(sql)), params).rowcount
    if n > _MANY_MATCHES and n * 4 > (conn.scalar(select(func.max(search_rows.c.dataset_id))) or 0):
        # A large share of the catalogue matches: walk the narrow covering index and probe
        # the ids, rather than look most wide rows up by key ("+" keeps SQLite from using
        # the primary key). For fewer matches the lookups by key are faster.
        return literal_column("+dataset_search.dataset_id").in_(select(_match_table.c.dataset_id))
    return s.dataset_id.in_(select(_match_table.c.dataset_id))


_match_table = Table("search_match", MetaData(), Column("dataset_id", Integer, primary_key=True))


@dataclass(frozen=True)
class _Found:
    """What a search found, without the datasets themselves (what the cache keeps)."""

    total: int
    page: int
    facets: dict[str, dict[Any, int]]  # institution counts keyed by institution id
    page_ids: list[int]
    next_key: list[Any] | None


class _ResultCache:
    """A bounded LRU of search results, per process, keyed by the catalogue's generation."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], _Found] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> _Found | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], found: _Found) -> None:
        with self._lock:
            self._items[key] = found
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _ResultCache(_CACHE_SIZE)


def clear_cache() -> None:
    """Forget every cached search result of this process (benchmarks measure cold searches)."""
    _cache.clear()


def search_datasets(
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
    previous page; the page then starts after it, whatever was published meanwhile.

    Results (counts and the page's ids, not the datasets) are cached per process under the
    catalogue's generation, which every re-indexing flush bumps in its own transaction: a
    change is seen at once by every process, and a transaction that changed the catalogue
    itself bypasses the cache."""
    f = filters
    terms = query_terms(f.q)
    sort = f.sort if f.sort in SORTS else "relevance"
    keys = _sort_keys(sort, terms)
    if after is not None and (
        len(after) != len(keys)
        or any(
            not isinstance(v, k.kind) or isinstance(v, bool)
            for v, k in zip(after, keys, strict=False)
        )
    ):
        raise InvalidInput(
            "cursor is not one a `next` link of this search gave", code="invalid_cursor"
        )
    codes: dict[int, str] = {
        i: c for i, c in session.execute(select(Institution.id, Institution.code))
    }
    inst_ids = sorted(i for i, c in codes.items() if c in f.institution)
    key: tuple[Any, ...] | None = None
    if not session.info.get(_DIRTY):
        generation = session.scalar(select(search_state.c.generation))
        key = (
            generation,
            tuple(terms),
            bool(f.institution),
            tuple(inst_ids),
            tuple(sorted(set(f.modality))),
            tuple(sorted(set(f.use))),
            tuple(sorted(set(f.sensitivity))),
            _price_mask(f.price),
            bool(f.price),
            f.min_price,
            f.max_price,
            f.joint,
            sort,
            page,
            limit,
            include_unpublished_of,
            tuple(after) if after is not None else None,
        )
    found = _cache.get(key) if key is not None else None
    if found is None:
        found = _search(
            session, f, terms, keys, inst_ids, page, limit, include_unpublished_of, after
        )
        # Under READ COMMITTED a change may commit while the statements run: keep the result
        # only if the generation it was computed under is still the current one.
        if key is not None and session.scalar(select(search_state.c.generation)) == key[0]:
            _cache.put(key, found)
    facets = {name: dict(counts) for name, counts in found.facets.items()}
    by_code: dict[str, int] = {}
    for inst_id, n in found.facets["institution"].items():
        code = codes.get(inst_id, "")
        by_code[code] = by_code.get(code, 0) + n
    facets["institution"] = by_code
    page_ids = found.page_ids
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
    return SearchResult(
        items=[by_id[i] for i in page_ids if i in by_id],
        total=found.total,
        page=found.page,
        limit=limit,
        facets=facets,
        next_key=list(found.next_key) if found.next_key is not None else None,
    )


def _search(
    session: Session,
    f: SearchFilters,
    terms: list[str],
    keys: list[_Key],
    inst_ids: list[int],
    page: int,
    limit: int,
    include_unpublished_of: int | None,
    after: list[Any] | None,
) -> _Found:
    s = search_rows.c
    visible: ColumnElement[bool] = s.status == DatasetStatus.PUBLISHED.value
    if include_unpublished_of is not None:
        visible = or_(visible, s.institution_id == include_unpublished_of)
    base = [_matched(session, terms, include_unpublished_of) if terms else visible]
    if f.min_price is not None:
        base.append(s.max_price >= f.min_price)
    if f.max_price is not None:
        base.append(s.min_price <= f.max_price)
    if f.joint:
        base.append(
            exists().where(
                Offer.dataset_id == s.dataset_id,
                Offer.mode == OfferMode.JOINT,
                Offer.active.is_(True),
            )
        )

    def filter_conds(skip: str | None = None) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if skip != "institution" and f.institution:
            conds.append(s.institution_id.in_(inst_ids))
        if skip != "modality" and f.modality:
            conds.append(s.modality.in_(f.modality))
        if skip != "sensitivity" and f.sensitivity:
            conds.append(s.sensitivity.in_(f.sensitivity))
        if skip != "use":
            for use in f.use:
                conds.append(s.uses.like(f"%|{_like_escape(use)}|%", escape="\\"))
        if skip != "price" and f.price:
            conds.append(s.price_mask.op("&")(_price_mask(f.price)) != 0)
        return conds

    def counts(facet: str, column: Any) -> list[tuple[Any, int]]:
        stmt = (
            select(column, func.count())
            .select_from(search_rows)
            .where(*base, *filter_conds(skip=facet))
            .group_by(column)
        )
        return [(r[0], r[1]) for r in session.execute(stmt)]

    # One GROUP BY per facet, each with every filter but its own.
    facets: dict[str, dict[Any, int]] = {
        "institution": {},
        "modality": {},
        "use": {},
        "sensitivity": {},
        "price": {},
    }
    total = 0
    for inst_id, n in counts("institution", s.institution_id):
        facets["institution"][inst_id] = n
        if not f.institution or inst_id in inst_ids:
            total += n
    if total or f.use:
        for uses, n in counts("use", s.uses):
            for use in uses.split("|"):
                if use:
                    facets["use"][use] = facets["use"].get(use, 0) + n
    if total or f.modality:
        facets["modality"] = dict(counts("modality", s.modality))
    if total or f.sensitivity:
        facets["sensitivity"] = dict(counts("sensitivity", s.sensitivity))
    if total or f.price:
        for mask, n in counts("price", s.price_mask):
            for name, bit in _BUCKET_BIT.items():
                if mask & bit:
                    facets["price"][name] = facets["price"].get(name, 0) + n

    where = [*base, *filter_conds()]
    if after is not None:
        later = _after(keys, after)
        remaining = (
            session.scalar(select(func.count()).select_from(search_rows).where(*where, later)) or 0
        )
        start = total - remaining
        page = start // limit + 1
        where.append(later)
        offset = 0
    else:
        start = offset = (page - 1) * limit
    page_rows: list[Any] = []
    if total > start:
        page_rows = list(
            session.execute(
                select(s.dataset_id, *(k.expr for k in keys))
                .select_from(search_rows)
                .where(and_(*where))
                .order_by(
                    *(k.expr.desc() if k.descending else k.expr for k in keys if not k.constant)
                )
                .limit(limit)
                .offset(offset)
            )
        )
    next_key = None
    if page_rows and start + len(page_rows) < total:
        next_key = [k.to_key(v) for k, v in zip(keys, page_rows[-1][1:], strict=True)]
    return _Found(
        total=total,
        page=page,
        facets=facets,
        page_ids=[r[0] for r in page_rows],
        next_key=next_key,
    )


_NO_PRICE = 10**18
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class _Key:
    """One part of a sort key: its SQL expression, direction, and the JSON-friendly value a
    cursor carries (ascending: a descending part is negated)."""

    expr: Any
    descending: bool
    kind: type
    to_key: Callable[[Any], Any]
    from_key: Callable[[Any], Any]
    constant: bool = False  # the same for every row: left out of ORDER BY


def _neg(v: Any) -> Any:
    return -v


def _same(v: Any) -> Any:
    return v


def _micros(v: datetime) -> int:
    return -round((v - _EPOCH) / timedelta(microseconds=1))


def _from_micros(k: int) -> datetime:
    return _EPOCH + timedelta(microseconds=-k)


def _sort_keys(sort: str, terms: list[str]) -> list[_Key]:
    """The sort's key parts; unique per dataset (the id breaks ties) for keyset cursors."""
    s = search_rows.c
    ds_id = _Key(s.dataset_id, False, int, _same, _same)
    ds_id_desc = _Key(s.dataset_id, True, int, _neg, _neg)
    title = _Key(s.title_key, False, str, _same, _same)
    if sort == "title" or (sort == "relevance" and not terms):
        if sort == "relevance":  # no terms: every score is 0
            return [_Key(literal_column("0"), False, int, lambda v: 0, _same, True), title, ds_id]
        return [title, ds_id]
    if sort == "newest":
        return [_Key(s.created_at, True, int, _micros, _from_micros), ds_id_desc]
    if sort == "price_asc":
        return [_Key(func.coalesce(s.min_price, _NO_PRICE), False, int, _same, _same), ds_id]
    if sort == "price_desc":
        return [_Key(func.coalesce(s.max_price, -1), True, int, _neg, _neg), ds_id_desc]
    hits = [
        case((s.title_all.like(f"%{_like_escape(t)}%", escape="\\"), 1), else_=0) for t in terms
    ]
    score = functools.reduce(operator.add, hits)
    return [_Key(score, True, int, _neg, _neg), title, ds_id]


def _after(keys: list[_Key], after: list[Any]) -> ColumnElement[bool]:
    """Rows whose sort key comes after ``after`` (lexicographic over the key parts)."""
    ors: list[ColumnElement[bool]] = []
    for i, k in enumerate(keys):
        eqs = [keys[j].expr == keys[j].from_key(after[j]) for j in range(i)]
        v = k.from_key(after[i])
        ors.append(and_(*eqs, k.expr < v if k.descending else k.expr > v))
    return or_(*ors)


def reindex_dataset(dataset: Dataset) -> None:
    """Recompute the dataset's search text; the index follows when the session flushes."""
    dataset.search_text = build_search_text(dataset)


def reindex(session: Session, actor: Actor) -> int:
    """Rebuild the search index from the datasets and offers (an operator's repair).

    The index is derived data, so this writes no audit event; ``actor`` is the operator.
    """
    del actor
    with transaction(session):
        return rebuild_index(session)
