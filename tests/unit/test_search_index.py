"""The bigram index finds exactly what the old substring scan found, on both databases.

``search_reference.scan_search_datasets`` is the scan as it was; hypothesis draws random
catalogues (Korean, English, mixed text, prices on the bucket edges, inactive offers,
drafts) and random searches (terms, filters, sorts, pages) and both must return the same
page, total and facet counts. The other tests follow the index through the services and
the operator's ``search reindex``.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from catalog.models import Dataset, Institution, Offer
from catalog.models.datasets import DatasetStatus, Modality, Sensitivity
from catalog.models.institutions import InstitutionKind
from catalog.models.offers import OfferMode, Use
from catalog.services.search import (
    PRICE_BUCKETS,
    SORTS,
    SearchFilters,
    reindex_dataset,
    search_datasets,
)
from tests.unit.search_reference import scan_search_datasets

# Few characters, so that random terms often match: Korean syllables (two-syllable words
# such as 실록), Latin letters in both cases, a ligature and ß (changed by NFKC/casefold),
# and the LIKE wildcards.
CHARS = "실록음성자막조선왕aceEnNsuß%_\\ﬁ-"
word = st.text(alphabet=CHARS, min_size=1, max_size=5)
phrase = st.lists(word, max_size=4).map(" ".join)
# Query words from fewer characters, so that a term's bigrams often occur in a text that
# lacks the term itself (실록음 against "실록 록음"), which only the confirmation rejects.
query_word = st.one_of(word, st.text(alphabet="실록음aeE", min_size=1, max_size=4))
PRICES = [1, 99_999_999, 100_000_000, 499_999_999, 500_000_000, 999_999_999, 10**9, 3 * 10**9]
USES = [u.value for u in Use][:3]
_seq = itertools.count()

offer_st = st.fixed_dictionaries(
    {
        "price": st.sampled_from(PRICES),
        "uses": st.lists(st.sampled_from(USES), max_size=3, unique=True),
        "active": st.booleans(),
    }
)
dataset_st = st.fixed_dictionaries(
    {
        "inst": st.integers(0, 2),
        "title_ko": phrase,
        "title_en": phrase,
        "description_ko": phrase,
        "description_en": phrase,
        "keywords": st.lists(word, max_size=2),
        "modality": st.sampled_from([Modality.TEXT, Modality.AUDIO, Modality.VIDEO]),
        "sensitivity": st.sampled_from(list(Sensitivity)),
        "status": st.sampled_from([DatasetStatus.PUBLISHED] * 3 + list(DatasetStatus)),
        "created": st.integers(0, 1),
        "offers": st.lists(offer_st, max_size=2),
    }
)
CODES = ["INSA", "INSB", "INSC"]


def often_none(strategy):
    """Unset most of the time, so that searches keep enough matches to compare."""
    return st.one_of(st.just([]), st.just([]), strategy)


filters_st = st.builds(
    SearchFilters,
    q=st.lists(query_word, max_size=3).map(" ".join),
    institution=often_none(st.lists(st.sampled_from(CODES + ["NONE"]), max_size=2, unique=True)),
    modality=often_none(st.lists(st.sampled_from(["text", "audio", "image"]), max_size=2)),
    use=often_none(st.lists(st.sampled_from(USES), max_size=2, unique=True)),
    sensitivity=often_none(st.lists(st.sampled_from([s.value for s in Sensitivity]), max_size=2)),
    price=often_none(
        st.lists(st.sampled_from([b[0] for b in PRICE_BUCKETS]), max_size=2, unique=True)
    ),
    min_price=st.one_of(st.none(), st.none(), st.sampled_from(PRICES)),
    max_price=st.one_of(st.none(), st.none(), st.sampled_from(PRICES)),
)


def _load(session, datasets: list[dict]) -> list[Institution]:
    run = next(_seq)
    insts = [
        Institution(
            code=f"{code}",
            name_ko=f"기관{i}실록" if i == 0 else f"기관{i}",
            name_en=f"Census Office {i}",
            kind=InstitutionKind.ARCHIVE,
        )
        for i, code in enumerate(CODES)
    ]
    session.add_all(insts)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for n, d in enumerate(datasets):
        ds = Dataset(
            slug=f"p{run}-{n}",
            institution=insts[d["inst"]],
            title_ko=d["title_ko"],
            title_en=d["title_en"],
            description_ko=d["description_ko"],
            description_en=d["description_en"],
            keywords=d["keywords"],
            modality=d["modality"],
            sensitivity=d["sensitivity"],
            status=d["status"],
            created_at=t0 + timedelta(seconds=d["created"]),
        )
        reindex_dataset(ds)
        session.add(ds)
        for o in d["offers"]:
            ds.offers.append(
                Offer(
                    mode=OfferMode.INDIVIDUAL,
                    price_krw=o["price"],
                    term_months=12,
                    uses=o["uses"],
                    active=o["active"],
                )
            )
    session.flush()
    return insts


def _same(session, f: SearchFilters, page: int, limit: int, unpublished_of) -> None:
    new = search_datasets(session, f, page=page, limit=limit, include_unpublished_of=unpublished_of)
    old = scan_search_datasets(
        session, f, page=page, limit=limit, include_unpublished_of=unpublished_of
    )
    assert [d.slug for d in new.items] == [d.slug for d in old.items]
    assert new.total == old.total
    assert new.facets == old.facets
    assert new.next_key == old.next_key
    if old.next_key is not None:  # the next page through the keyset cursor
        new = search_datasets(
            session, f, limit=limit, include_unpublished_of=unpublished_of, after=new.next_key
        )
        old = scan_search_datasets(
            session, f, limit=limit, include_unpublished_of=unpublished_of, after=old.next_key
        )
        assert [d.slug for d in new.items] == [d.slug for d in old.items]
        assert (new.page, new.next_key) == (old.page, old.next_key)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    datasets=st.lists(dataset_st, min_size=2, max_size=10),
    searches=st.lists(st.tuples(filters_st, st.booleans()), min_size=1, max_size=3),
    from_text=st.data(),
)
def test_index_returns_what_the_scan_returns(session, datasets, searches, from_text):
    try:
        insts = _load(session, datasets)
        for f, own in searches:
            for sort in SORTS:
                f.sort = sort
                for page, limit in ((1, 50), (2, 2)):
                    _same(session, f, page, limit, insts[0].id if own else None)
        if datasets:  # a term cut out of a dataset's own text always matches something
            d = from_text.draw(st.sampled_from(datasets))
            source = " ".join([d["title_ko"], d["title_en"], d["description_en"]]).split()
            if source:
                w = from_text.draw(st.sampled_from(source))
                i = from_text.draw(st.integers(0, len(w) - 1))
                j = from_text.draw(st.integers(i + 1, len(w)))
                _same(session, SearchFilters(q=w[i:j]), 1, 20, None)
    finally:
        session.rollback()


def test_bigrams_of_a_term_in_separate_words_do_not_match(session):
    _published(session, "split", "실록 록음")
    assert _slugs(session, q="실록음") == []
    assert _slugs(session, q="록음") == ["split"]
    assert _slugs(session, q="록") == ["split"]


def _published(session, slug: str, title: str) -> Dataset:
    inst = Institution(code="IDX", name_ko="색인", name_en="Index", kind=InstitutionKind.ARCHIVE)
    ds = Dataset(
        slug=slug,
        institution=inst,
        title_ko=title,
        title_en="Royal annals",
        modality=Modality.TEXT,
        status=DatasetStatus.PUBLISHED,
    )
    reindex_dataset(ds)
    ds.offers.append(
        Offer(mode=OfferMode.INDIVIDUAL, price_krw=50_000_000, term_months=12, uses=["ai_training"])
    )
    session.add(ds)
    session.commit()
    return ds


def _slugs(session, **filters) -> list[str]:
    return [d.slug for d in search_datasets(session, SearchFilters(**filters)).items]


def test_index_follows_edits_offers_and_withdrawal(session):
    ds = _published(session, "annals", "조선왕조실록")
    assert _slugs(session, q="실록") == ["annals"]
    ds.title_ko = "승정원일기"
    reindex_dataset(ds)
    session.commit()
    assert _slugs(session, q="실록") == []
    assert _slugs(session, q="일기") == ["annals"]
    assert _slugs(session, price=["lt_100m"]) == ["annals"]
    ds.offers[0].active = False
    session.commit()
    assert _slugs(session, price=["lt_100m"]) == []
    ds.status = DatasetStatus.WITHDRAWN
    session.commit()
    assert _slugs(session, q="일기") == []


def test_search_reindex_repairs_a_wiped_index(app, session):
    _published(session, "annals", "조선왕조실록")
    session.execute(text("DELETE FROM dataset_search"))
    session.commit()
    assert _slugs(session, q="실록") == []
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "reindexed 1 datasets" in result.output
    session.expire_all()
    assert _slugs(session, q="실록") == ["annals"]
    assert session.scalar(select(Dataset.slug)) == "annals"
