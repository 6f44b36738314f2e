"""Catalogue search speed: ``search_datasets`` over synthetic catalogues on SQLite and PostgreSQL.

Prints the median time per query (with facets) for catalogues of 1,000 and 10,000
published datasets, for two-syllable Korean queries, an English word, and no query.
Run: ``.venv/bin/python bench/bench_search.py`` (PostgreSQL at 127.0.0.1:5432 optional).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from catalog.db import make_engine  # noqa: E402
from catalog.migrate import upgrade  # noqa: E402
from catalog.models import Dataset, Institution, Offer  # noqa: E402
from catalog.models.datasets import DatasetStatus, Modality, Sensitivity  # noqa: E402
from catalog.models.institutions import InstitutionKind  # noqa: E402
from catalog.models.offers import OfferMode  # noqa: E402
from catalog.services.search import SearchFilters, reindex_dataset, search_datasets  # noqa: E402

WORDS_KO = [
    "특허",
    "방송",
    "통계",
    "음성",
    "자막",
    "영상",
    "실록",
    "기록",
    "인구",
    "상표",
    "뉴스",
    "교육",
    "강의",
    "문서",
    "사진",
    "지도",
    "법령",
    "의회",
    "선거",
    "기상",
]
WORDS_EN = [
    "patent",
    "broadcast",
    "statistics",
    "speech",
    "subtitle",
    "video",
    "annals",
    "record",
    "census",
    "trademark",
    "news",
    "lecture",
    "document",
    "photo",
]
QUERIES = ["실록", "특허", "음성 자막", "census", ""]


def populate(url: str, n: int) -> None:
    engine = make_engine(url)
    session = sessionmaker(engine)()
    rnd = random.Random(n)
    inst = Institution(
        code="BENCH", name_ko="벤치마크", name_en="Bench", kind=InstitutionKind.ARCHIVE
    )
    session.add(inst)
    session.flush()
    for i in range(n):
        ko = " ".join(rnd.sample(WORDS_KO, 3))
        en = " ".join(rnd.sample(WORDS_EN, 3))
        ds = Dataset(
            slug=f"bench-{i}",
            institution=inst,
            title_ko=f"{ko} 데이터 {i}",
            title_en=f"{en} dataset {i}",
            description_ko=" ".join(rnd.sample(WORDS_KO, 8)),
            description_en=" ".join(rnd.sample(WORDS_EN, 8)),
            modality=rnd.choice(list(Modality)),
            sensitivity=rnd.choice(list(Sensitivity)),
            status=DatasetStatus.PUBLISHED,
            keywords=[],
        )
        reindex_dataset(ds)
        session.add(ds)
        session.flush()
        session.add(
            Offer(
                dataset_id=ds.id,
                mode=OfferMode.INDIVIDUAL,
                price_krw=rnd.randrange(10**7, 3 * 10**9),
                term_months=12,
                uses=["ai_training"],
            )
        )
    session.commit()
    session.close()
    engine.dispose()


def measure(url: str) -> dict[str, float]:
    engine = make_engine(url)
    Session = sessionmaker(engine)
    out = {}
    for q in QUERIES:
        times = []
        for _ in range(5):
            with Session() as s:
                t0 = time.perf_counter()
                res = search_datasets(s, SearchFilters(q=q), page=1, limit=20)
                times.append(time.perf_counter() - t0)
        out[q or "(none)"] = (statistics.median(times) * 1000, res.total)
    engine.dispose()
    return out


def main() -> None:
    print("search_datasets median ms per query (matches) — 5 runs each")
    for n in (1_000, 10_000):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.sqlite3"
            upgrade(url)
            populate(url, n)
            for q, (ms, total) in measure(url).items():
                print(f"  sqlite      n={n:>6}  q={q!r:<12} {ms:8.1f} ms  ({total} matches)")
        name = f"kdc_bench_{uuid.uuid4().hex[:8]}"
        try:
            admin = psycopg.connect(
                "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
            )
        except psycopg.OperationalError:
            print("  postgresql  (not reachable; skipped)")
            continue
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
            upgrade(url)
            populate(url, n)
            for q, (ms, total) in measure(url).items():
                print(f"  postgresql  n={n:>6}  q={q!r:<12} {ms:8.1f} ms  ({total} matches)")
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin.close()


if __name__ == "__main__":
    main()
