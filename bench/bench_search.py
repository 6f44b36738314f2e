"""Catalogue search speed: ``search_datasets`` over synthetic catalogues on SQLite and PostgreSQL.

Prints p50 and p95 (milliseconds, facets included) per query kind for one catalogue of
``--datasets`` datasets, most of them published, each with one or two offers.

Two corpora:

* ``pessimistic`` — every title and description is drawn from 20 Korean and 14 English
  words, so every query word matches a large share of the catalogue (the worst case for an
  index: long posting lists, thousands of matches to count and rank).
* ``realistic`` — a Zipf-distributed vocabulary of a few thousand Korean and English words
  (a handful very common, most rare), 40 institutions, real-looking titles such as
  "국회 회의록 음성 자막 2019"; the queries range from a rare word to a very common one.

Run: ``.venv/bin/python bench/bench_search.py --datasets 100000 --db sqlite --corpus realistic``.
The PostgreSQL run creates its own database on ``--pg`` (default 127.0.0.1:5432) and drops it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from catalog.db import make_engine  # noqa: E402
from catalog.migrate import upgrade  # noqa: E402
from catalog.models import Dataset, Institution, Offer  # noqa: E402
from catalog.models.datasets import DatasetStatus, Modality, Sensitivity  # noqa: E402
from catalog.models.offers import Use  # noqa: E402
from catalog.services import search  # noqa: E402
from catalog.services.search import SearchFilters, normalise, search_datasets  # noqa: E402

WORDS_KO = "특허 방송 통계 음성 자막 영상 실록 기록 인구 상표 뉴스 교육 강의 문서 사진 지도 법령 의회 선거 기상".split()
WORDS_EN = (
    "patent broadcast statistics speech subtitle video annals record census trademark "
    "news lecture document photo"
).split()

# Realistic corpus: common real words first (Zipf rank order), then generated rare words.
COMMON_KO = (
    "데이터 자료 기록 통계 영상 음성 문서 국가 한국 조사 정보 방송 뉴스 교육 공공 연구 지역 "
    "사진 지도 특허 법령 회의록 자막 말뭉치 의회 선거 기상 인구 경제 산업 농업 해양 교통 "
    "의료 건강 문화 역사 실록 고문서 신문 잡지 논문 강의 판결 민원 관광 환경 에너지 주택"
).split()
COMMON_EN = (
    "data dataset records statistics video speech audio documents national korea survey "
    "information broadcast news education public research regional photos maps patents "
    "laws minutes subtitles corpus assembly elections weather census economy industry "
    "agriculture ocean transport medical health culture history annals manuscripts "
    "newspapers magazines papers lectures rulings petitions tourism environment energy housing"
).split()
SYLLABLES = "가나다라마바사아자차카타파하고노도로모보소오조초코토포호구누두루무부수우주추쿠투푸후기니디리미비시이지치키티피히한국민생활경제산업문화역사"
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def realistic_vocab(rnd: random.Random) -> tuple[list[str], list[str]]:
    ko = list(COMMON_KO)
    seen = set(ko)
    while len(ko) < 3000:
        w = "".join(rnd.choice(SYLLABLES) for _ in range(rnd.choice((2, 2, 2, 3, 3, 4))))
        if w not in seen:
            seen.add(w)
            ko.append(w)
    en = list(COMMON_EN)
    seen = set(en)
    while len(en) < 3000:
        w = "".join(rnd.choice(LETTERS) for _ in range(rnd.randrange(4, 11)))
        if w not in seen:
            seen.add(w)
            en.append(w)
    return ko, en


def zipf_picker(words: list[str], rnd: random.Random, s: float = 1.1):
    weights = [1 / (r + 1) ** s for r in range(len(words))]
    cum = []
    acc = 0.0
    for w in weights:
        acc += w
        cum.append(acc)

    def pick(k: int) -> list[str]:
        return rnd.choices(words, cum_weights=cum, k=k)

    return pick


def queries(corpus: str, vocab: tuple[list[str], list[str]] | None) -> dict[str, SearchFilters]:
    if corpus == "pessimistic":
        return {
            "ko two syllables (실록)": SearchFilters(q="실록"),
            "ko two terms (음성 자막)": SearchFilters(q="음성 자막"),
            "en word (census)": SearchFilters(q="census"),
            "single syllable (록)": SearchFilters(q="록"),
            "browse": SearchFilters(),
            "browse + filters": SearchFilters(modality=["audio"], use=["ai_training"]),
            "en word, newest": SearchFilters(q="census", sort="newest"),
            "browse, price_asc": SearchFilters(sort="price_asc"),
        }
    assert vocab is not None
    ko, en = vocab
    return {
        "ko very common (데이터)": SearchFilters(q="데이터"),
        "ko common (실록)": SearchFilters(q="실록"),
        f"ko rare ({ko[1500]})": SearchFilters(q=ko[1500]),
        "ko two terms (음성 자막)": SearchFilters(q="음성 자막"),
        "ko substring (회의)": SearchFilters(q="회의"),
        "en common (census)": SearchFilters(q="census"),
        f"en rare ({en[2000]})": SearchFilters(q=en[2000]),
        "mixed (국회 minutes)": SearchFilters(q="국회 minutes"),
        "no match (zzqx)": SearchFilters(q="zzqx"),
        "browse": SearchFilters(),
        "browse + filters": SearchFilters(modality=["audio"], price=["lt_100m"]),
        "ko common, price_desc": SearchFilters(q="데이터", sort="price_desc"),
    }


def populate(url: str, n: int, corpus: str) -> tuple[list[str], list[str]] | None:
    """Insert ``n`` datasets in bulk, then build the search index as an operator would."""
    engine = make_engine(url)
    session = sessionmaker(engine)()
    rnd = random.Random(n)
    vocab = realistic_vocab(rnd) if corpus == "realistic" else None
    n_inst = 40 if corpus == "realistic" else 1
    insts = [
        {
            "code": f"B{i:03d}",
            "name_ko": "국회" if i == 0 else f"기관{i}",
            "name_en": "National Assembly" if i == 0 else f"Institution {i}",
            "kind": "archive",
            "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        }
        for i in range(n_inst)
    ]
    session.execute(insert(Institution), insts)
    inst_rows = session.execute(Institution.__table__.select()).all()
    inst_by_id = {r.id: r for r in inst_rows}
    inst_ids = list(inst_by_id)
    if vocab:
        pick_ko, pick_en = zipf_picker(vocab[0], rnd), zipf_picker(vocab[1], rnd)
    modalities, sens, uses = list(Modality), list(Sensitivity), [u.value for u in Use]
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    batch_ds: list[dict] = []
    batch_offers: list[tuple[int, dict]] = []

    def flush() -> None:
        ids = session.execute(insert(Dataset).returning(Dataset.id), batch_ds).scalars().all()
        offers = [dict(o, dataset_id=ids[k]) for k, o in batch_offers]
        if offers:
            session.execute(insert(Offer), offers)
        batch_ds.clear()
        batch_offers.clear()

    for i in range(n):
        if vocab:
            title_ko = " ".join(pick_ko(rnd.randrange(2, 5))) + f" {2000 + i % 25}"
            title_en = " ".join(pick_en(rnd.randrange(2, 5))) + f" {2000 + i % 25}"
            desc_ko = " ".join(pick_ko(rnd.randrange(15, 40)))
            desc_en = " ".join(pick_en(rnd.randrange(15, 40)))
            keywords = pick_ko(2) + pick_en(2)
        else:
            title_ko = " ".join(rnd.sample(WORDS_KO, 3)) + f" 데이터 {i}"
            title_en = " ".join(rnd.sample(WORDS_EN, 3)) + f" dataset {i}"
            desc_ko = " ".join(rnd.sample(WORDS_KO, 8))
            desc_en = " ".join(rnd.sample(WORDS_EN, 8))
            keywords = []
        inst = inst_by_id[rnd.choice(inst_ids)]
        slug = f"bench-{i}"
        text = " ".join(
            normalise(p)
            for p in (
                slug,
                title_ko,
                title_en,
                desc_ko,
                desc_en,
                " ".join(keywords),
                inst.code,
                inst.name_ko,
                inst.name_en,
            )
            if p
        )
        created = t0 + timedelta(minutes=rnd.randrange(3_000_000))
        batch_ds.append(
            {
                "slug": slug,
                "institution_id": inst.id,
                "title_ko": title_ko,
                "title_en": title_en,
                "description_ko": desc_ko,
                "description_en": desc_en,
                "modality": rnd.choice(modalities),
                "sensitivity": rnd.choice(sens),
                "status": DatasetStatus.PUBLISHED if rnd.random() < 0.95 else DatasetStatus.DRAFT,
                "keywords": keywords,
                "languages": [],
                "formats": [],
                "record_count": 0,
                "total_bytes": 0,
                "is_demo": False,
                "search_text": text,
                "created_at": created,
                "updated_at": created,
            }
        )
        for _ in range(rnd.choice((1, 1, 2))):
            batch_offers.append(
                (
                    len(batch_ds) - 1,
                    {
                        "mode": "individual",
                        "price_krw": rnd.randrange(10**7, 3 * 10**9),
                        "term_months": 12,
                        "uses": rnd.sample(uses, rnd.randrange(1, 4)),
                        "active": rnd.random() < 0.9,
                        "created_at": created,
                    },
                )
            )
        if len(batch_ds) >= 2000:
            flush()
    if batch_ds:
        flush()
    session.commit()
    rebuild = getattr(search, "rebuild_index", None)
    if rebuild is not None:  # the bigram index (absent before it existed)
        t = time.perf_counter()
        rebuild(session)
        session.commit()
        print(f"  index built in {time.perf_counter() - t:.1f} s", flush=True)
    session.close()
    engine.dispose()
    return vocab


def _percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def measure(url: str, kinds: dict[str, SearchFilters], runs: int) -> None:
    """Cold: the process's result cache emptied before each search (the first request after a
    change of the catalogue, or a query nobody asked since). Warm: the same search again."""
    engine = make_engine(url)
    Session = sessionmaker(engine)
    clear = getattr(search, "clear_cache", lambda: None)
    with Session() as s:  # warm the database's own caches once
        for f in kinds.values():
            search_datasets(s, f, page=1, limit=20)
    print(
        f"  {'query kind':<34} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} {'warm p95':>9}"
        f" {'matches':>8}"
    )
    for name, f in kinds.items():
        cold, warm = [], []
        for _ in range(runs):
            clear()
            with Session() as s:
                t0 = time.perf_counter()
                res = search_datasets(s, f, page=1, limit=20)
                cold.append((time.perf_counter() - t0) * 1000)
            with Session() as s:
                t0 = time.perf_counter()
                search_datasets(s, f, page=1, limit=20)
                warm.append((time.perf_counter() - t0) * 1000)
        c50, c95 = _percentiles(cold)
        w50, w95 = _percentiles(warm)
        print(
            f"  {name:<34} {c50:9.1f} {c95:9.1f} {w50:9.1f} {w95:9.1f} {res.total:8d}", flush=True
        )
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=10_000)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--corpus", choices=("pessimistic", "realistic"), default="realistic")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    print(
        f"search_datasets, {args.datasets} datasets, {args.db}, {args.corpus} corpus, "
        f"{args.runs} runs per query kind",
        flush=True,
    )
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.sqlite3"
            upgrade(url)
            t = time.perf_counter()
            vocab = populate(url, args.datasets, args.corpus)
            print(f"  populated in {time.perf_counter() - t:.1f} s", flush=True)
            measure(url, queries(args.corpus, vocab), args.runs)
        return
    name = f"kdc_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(args.pg, autocommit=True)
    admin.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    try:
        url = args.pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        url = f"{url}/{name}"
        upgrade(url)
        t = time.perf_counter()
        vocab = populate(url, args.datasets, args.corpus)
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as c:
            c.execute("VACUUM ANALYZE")
        print(f"  populated in {time.perf_counter() - t:.1f} s", flush=True)
        measure(url, queries(args.corpus, vocab), args.runs)
    finally:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
