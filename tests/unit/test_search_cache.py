"""Search results are cached per process under the catalogue's generation: a change made by
any session (another worker's included) shows at once, a transaction sees its own changes
before it commits, and a cached answer is the same as a fresh one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalog.models import Dataset, Institution, Offer
from catalog.models.datasets import DatasetStatus, Modality
from catalog.models.institutions import InstitutionKind
from catalog.models.offers import OfferMode
from catalog.services.search import SORTS, SearchFilters, reindex_dataset, search_datasets
from tests.unit.search_reference import scan_search_datasets


def _catalogue(session) -> list[Dataset]:
    inst = Institution(
        code="CCH", name_ko="국사편찬", name_en="History", kind=InstitutionKind.ARCHIVE
    )
    titles = ["조선왕조실록", "승정원일기", "실록 색인", "일성록", "국회 회의록"]
    out = []
    for n, title in enumerate(titles):
        ds = Dataset(
            slug=f"c{n}",
            institution=inst,
            title_ko=title,
            title_en=f"Annals {n}",
            modality=Modality.TEXT if n % 2 else Modality.AUDIO,
            status=DatasetStatus.PUBLISHED,
        )
        reindex_dataset(ds)
        ds.offers.append(
            Offer(
                mode=OfferMode.INDIVIDUAL,
                price_krw=(n + 1) * 150_000_000,
                term_months=12,
                uses=["ai_training"],
            )
        )
        session.add(ds)
        out.append(ds)
    session.commit()
    return out


def _slugs(session, **filters) -> list[str]:
    return [d.slug for d in search_datasets(session, SearchFilters(**filters)).items]


def test_a_repeated_search_answers_what_the_scan_answers(session):
    _catalogue(session)
    for q in ("실록", "록", "annals 3", ""):
        for sort in SORTS:
            f = SearchFilters(q=q, sort=sort)
            old = scan_search_datasets(session, f, page=1, limit=2)
            for _ in range(2):  # the second answer comes from the cache
                new = search_datasets(session, f, page=1, limit=2)
                assert [d.slug for d in new.items] == [d.slug for d in old.items]
                assert (new.total, new.facets, new.next_key) == (
                    old.total,
                    old.facets,
                    old.next_key,
                )


def test_a_change_committed_elsewhere_shows_at_once(session):
    ids = [d.id for d in _catalogue(session)]
    assert _slugs(session, q="실록") == ["c2", "c0"]
    assert search_datasets(session, SearchFilters(q="실록")).facets["modality"] == {"audio": 2}
    session.rollback()  # end the read, as a request does
    with Session(bind=session.get_bind()) as other:  # another worker
        ds = other.get(Dataset, ids[4])
        ds.title_ko = "국회 실록"
        reindex_dataset(ds)
        other.get(Dataset, ids[2]).status = DatasetStatus.WITHDRAWN
        other.commit()
    assert _slugs(session, q="실록") == ["c4", "c0"]
    assert search_datasets(session, SearchFilters(q="실록")).facets["modality"] == {"audio": 2}
    assert search_datasets(session, SearchFilters(q="실록")).total == 2


def test_a_transaction_sees_its_own_change_and_not_a_rolled_back_one(session):
    datasets = _catalogue(session)
    assert _slugs(session, q="일기") == ["c1"]
    datasets[1].status = DatasetStatus.WITHDRAWN
    session.flush()
    assert _slugs(session, q="일기") == []
    session.rollback()
    assert _slugs(session, q="일기") == ["c1"]
