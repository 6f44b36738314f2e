"""Presigning speed, and a 100,000-object manifest delivered over real HTTP.

1. boto3's ``generate_presigned_url`` in a loop (reused client) against ``storage.sigv4``
   (what ``S3Store.presign_get_many`` uses), same keys, same response-content-disposition:
   URLs per second each, and the ratio (goal: at least 40×).
2. A version of 100,000 objects in a temporary SQLite database, served by gunicorn (2 sync
   workers) with an S3 store on moto's server; a licensed member's token fetches every
   manifest page (5,000 objects each — the largest page, as ``kdc fetch`` asks for; URLs
   included) with httpx, following ``next``.
   Goal: under 3 s for all pages.

Everything lives in a temporary directory that is removed at the end.
Run: ``.venv/bin/python bench/bench_presign.py [--objects 100000]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
import httpx  # noqa: E402

PAGE_SIZE = 5000
# (figure, value, goal, met) for the summary table of `make bench`.
RESULTS: list[tuple[str, str, str, bool]] = []
AWS = {
    "AWS_ACCESS_KEY_ID": "AKIABENCHKDC",
    "AWS_SECRET_ACCESS_KEY": "bench-secret-key",
    "AWS_DEFAULT_REGION": "ap-northeast-2",
}
# Worst case: Korean directory and file names, spaces and reserved characters in every key
# (each URL then carries a percent-encoded RFC 5987 file name too).
KEYS = [f"원문/권{i:05d}/조선왕조실록 {i} +=&.jsonl" for i in range(20_000)]
# Typical: ASCII paths, as most archives name their shards.
ASCII_KEYS = [
    f"sillok/reign-{i % 27:02d}/vol-{i:05d}/articles-{i:06d}.jsonl" for i in range(20_000)
]


def bench_presign(keys_all: list[str], label: str, n_boto: int = 3000) -> None:
    from storage.base import content_disposition
    from storage.s3 import S3Store

    session = boto3.session.Session(
        aws_access_key_id=AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS["AWS_SECRET_ACCESS_KEY"],
        region_name="ap-northeast-2",
    )
    store = S3Store(
        "kdc-bench",
        "data",
        endpoint_url="http://127.0.0.1:9000",
        region="ap-northeast-2",
        addressing_style="path",
        session=session,
    )
    client = store.client
    keys = keys_all[:n_boto]
    client.generate_presigned_url("get_object", Params={"Bucket": "kdc-bench", "Key": "warm"})
    t0 = time.perf_counter()
    for key in keys:
        client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": "kdc-bench",
                "Key": f"data/{key}",
                "ResponseContentDisposition": content_disposition(key.rsplit("/", 1)[-1]),
            },
            ExpiresIn=900,
        )
    boto_rate = len(keys) / (time.perf_counter() - t0)

    items = [(k, k.rsplit("/", 1)[-1]) for k in keys_all]
    store.presign_get_many(items[:10], 900)
    now = datetime.now(UTC).replace(microsecond=0)
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        for start in range(0, len(items), 1000):
            store.presign_get_many(items[start : start + 1000], 900, issued_at=now)
        best = max(best, len(items) / (time.perf_counter() - t0))
    print(
        f"presign [{label}] boto3 generate_presigned_url loop: {boto_rate:10,.0f} URLs/s "
        f"({1e3 / boto_rate:.3f} ms per URL, {n_boto} URLs)"
    )
    print(
        f"presign [{label}] storage.sigv4 (presign_get_many): {best:10,.0f} URLs/s "
        f"({1e6 / best:.1f} µs per URL, {len(items)} URLs, best of 3)"
    )
    print(f"presign [{label}] ratio: {best / boto_rate:.1f}x")

    # The manifest's path: each object's URL-encoded key as stored when it was registered.
    from storage.sigv4 import quote_key

    stored = [(k, quote_key(k)) for k in keys_all]
    store.presign_downloads("datasets/bench", stored[:10], 900)
    best_stored = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        for start in range(0, len(stored), 1000):
            store.presign_downloads(
                "datasets/bench", stored[start : start + 1000], 900, issued_at=now
            )
        best_stored = max(best_stored, len(stored) / (time.perf_counter() - t0))
    print(
        f"presign [{label}] stored quoted keys (presign_downloads): {best_stored:10,.0f} URLs/s "
        f"({1e6 / best_stored:.1f} µs per URL, best of 3)"
    )
    ratio = best_stored / boto_rate
    print(f"presign [{label}] ratio (manifest path): {ratio:.1f}x  (goal ≥ 40x)")
    RESULTS.append((f"presign vs boto3 loop, {label}", f"{ratio:.1f}×", "≥ 40×", ratio >= 40))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(tmp: Path, storage_url: str, n_objects: int, keys: list[str], bucket: str) -> str:
    """Migrate, load the demo catalogue, add a 100k-object version and a licence; a token."""
    from sqlalchemy import insert, select

    from app import create_app
    from catalog.db import get_session, transaction, utcnow
    from catalog.demo import load_demo
    from catalog.migrate import upgrade
    from catalog.models import (
        Dataset,
        DatasetObject,
        DatasetVersion,
        License,
        Offer,
        Purchase,
        Team,
    )
    from catalog.models.datasets import VersionStatus
    from catalog.models.purchases import PurchaseStatus
    from catalog.services.context import Actor
    from catalog.services.tokens import create_token
    from catalog.services.users import find_user

    db_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    upgrade(db_url)
    app = create_app(
        {"DATABASE_URL": db_url, "STORAGE_URL": storage_url, "SECRET_KEY": "bench-secret"}
    )
    with app.app_context():
        session = get_session()
        load_demo(session, app.extensions["kdc_store"])
        with transaction(session):
            ds = session.scalar(select(Dataset).where(Dataset.slug == "joseon-annals-original"))
            team = session.scalar(select(Team).where(Team.code == "naver"))
            offer = session.scalar(select(Offer).where(Offer.dataset_id == ds.id))
            now = utcnow()
            version = DatasetVersion(
                dataset_id=ds.id,
                label="bench",
                storage_backend="s3",
                bucket=bucket,
                prefix="datasets/bench",
                status=VersionStatus.PUBLISHED,
                published_at=now,
                object_count=n_objects,
                total_bytes=n_objects * 1000,
            )
            session.add(version)
            session.flush()
            rows = [
                {
                    "version_id": version.id,
                    "key": f"{i // len(keys)}/{keys[i % len(keys)]}",
                    "size": 1000,
                    "sha256": hashlib.sha256(str(i).encode()).hexdigest(),
                    "content_type": "application/x-ndjson",
                    "created_at": now,
                }
                for i in range(n_objects)
            ]
            for start in range(0, len(rows), 10_000):
                session.execute(insert(DatasetObject), rows[start : start + 10_000])
            purchase = Purchase(
                dataset_id=ds.id,
                offer_id=offer.id,
                mode=offer.mode,
                status=PurchaseStatus.APPROVED,
                price_krw=offer.price_krw,
                opener_team_id=team.id,
            )
            session.add(purchase)
            session.flush()
            session.add(
                License(
                    team_id=team.id,
                    dataset_id=ds.id,
                    purchase_id=purchase.id,
                    valid_from=now,
                    valid_until=now + timedelta(days=365),
                    terms=offer.terms(),
                    terms_accepted_at=now,
                )
            )
            _tok, raw = create_token(
                session, Actor.system("bench"), find_user(session, "naver-member@kdc.test")
            )
    app.extensions["kdc_engine"].dispose()
    return raw


def peak_worker_rss_mb(master: int) -> float:
    """The largest peak resident set (VmHWM) among gunicorn's worker processes."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    peak = 0
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def bench_manifest(n_objects: int, keys: list[str], label: str) -> None:
    from moto.server import ThreadedMotoServer

    tmp = Path(tempfile.mkdtemp(prefix="kdc-bench-presign-"))
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    gunicorn = None
    try:
        moto.start()
        endpoint = f"http://127.0.0.1:{moto._port}"
        bucket = f"kdc-bench-{os.getpid()}-{len(label)}"
        boto3.client("s3", endpoint_url=endpoint, region_name="ap-northeast-2").create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"}
        )
        storage_url = (
            f"s3://{bucket}?endpoint_url={endpoint}&region=ap-northeast-2&addressing_style=path"
        )
        t0 = time.perf_counter()
        token = _prepare(tmp, storage_url, n_objects, keys, bucket)
        print(
            f"manifest setup: {n_objects:,} objects in SQLite in {time.perf_counter() - t0:.1f} s"
        )
        port = _free_port()
        env = {
            **os.environ,
            "KDC_DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "KDC_STORAGE_URL": storage_url,
            "KDC_SECRET_KEY": "bench-secret",
            "KDC_INSTANCE_PATH": str(tmp / "instance"),
            "PYTHONPATH": str(ROOT),
        }
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/api/v1/institutions", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or gunicorn.poll() is not None:
                raise SystemExit(
                    "gunicorn did not start: " + gunicorn.stderr.read().decode()[-2000:]
                )
            time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}"}
        results = []
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            # One warm-up page per worker (imports, connections), then three timed runs.
            for _ in range(2):
                client.get(
                    "/api/v1/datasets/joseon-annals-original/manifest",
                    params={"version": "bench", "limit": PAGE_SIZE},
                ).raise_for_status()
            for _ in range(3):
                t0 = time.perf_counter()
                url = f"/api/v1/datasets/joseon-annals-original/manifest?version=bench&limit={PAGE_SIZE}"
                pages = objects = 0
                last_url = ""
                while url:
                    resp = client.get(url)
                    resp.raise_for_status()
                    page = resp.json()
                    pages += 1
                    objects += len(page["objects"])
                    last_url = page["objects"][-1]["url"] if page["objects"] else last_url
                    url = page["next"]
                results.append(time.perf_counter() - t0)
        rss = peak_worker_rss_mb(gunicorn.pid)
        assert objects == n_objects, (objects, n_objects)
        assert "X-Amz-Signature=" in last_url
        print(
            f"manifest [{label}] {objects:,} objects, {pages} pages over HTTP (gunicorn, 2 sync workers, "
            f"SQLite, S3 store): best {min(results):.2f} s, runs "
            f"{', '.join(f'{r:.2f}' for r in results)} s  (goal < 3 s); "
            f"peak worker RSS {rss:.0f} MB (goal < 300 MB)"
        )
        best = min(results)
        RESULTS.append(
            (
                f"manifest {n_objects:,} objects over HTTP, {label}",
                f"{best:.2f} s",
                "< 3 s",
                best < 3,
            )
        )
        RESULTS.append(
            (f"manifest peak worker RSS, {label}", f"{rss:.0f} MB", "< 300 MB", rss < 300)
        )
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(10)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        moto.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    import logging

    # moto's server logs each request through werkzeug: keep the output to the figures.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--skip-manifest", action="store_true")
    args = parser.parse_args()
    os.environ.update(AWS)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(var, None)
    shapes = [(ASCII_KEYS, "ascii keys"), (KEYS, "korean keys")]
    for keys, label in shapes:
        bench_presign(keys, label)
    if not args.skip_manifest:
        for keys, label in shapes:
            bench_manifest(args.objects, keys, label)
    for figure, value, goal, met in RESULTS:
        print(f"RESULT|{figure}|{value}|{goal}|{'yes' if met else 'no'}")


if __name__ == "__main__":
    main()
