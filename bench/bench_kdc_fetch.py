"""``kdc fetch`` throughput against a local server (gunicorn, local storage, SQLite).

Builds a throw-away instance with the demo catalogue, publishes a version of many small
files and one of a few large ones, licenses team naver, then times ``kdc fetch`` with
1, 4 and 8 parallel downloads, and a re-run on the complete directory (which must
download nothing). Prints files/s and MB/s; figures depend on the machine (2 cores here:
server and client share them).

    .venv/bin/python bench/bench_kdc_fetch.py [--small 400] [--large 4] [--large-mb 32]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(instance: Path, small: int, large: int, large_mb: int) -> dict:
    instance.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            "KDC_INSTANCE_PATH": str(instance),
            "KDC_DATABASE_URL": f"sqlite:///{instance / 'kdc.sqlite3'}",
            "KDC_STORAGE_URL": f"file://{instance / 'storage'}",
            "KDC_SECRET_KEY": "bench-secret",
        }
    )
    from sqlalchemy import select

    from app import create_app
    from catalog.db import get_session, transaction, utcnow
    from catalog.demo import load_demo
    from catalog.migrate import upgrade
    from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion, VersionStatus
    from catalog.models.offers import Offer, OfferMode
    from catalog.services import purchasing
    from catalog.services.context import Actor
    from catalog.services.tokens import create_token
    from catalog.services.users import find_user

    upgrade(os.environ["KDC_DATABASE_URL"])
    app = create_app()
    with app.app_context():
        session = get_session()
        store = app.extensions["kdc_store"]
        load_demo(session, store)
        slug = "kbs-news-speech"
        ds = session.scalar(select(Dataset).where(Dataset.slug == slug))
        for label, files in (
            ("small", {f"clips/{i:05d}.bin": os.urandom(64 * 1024) for i in range(small)}),
            ("large", {f"video/{i}.bin": os.urandom(large_mb * 1024**2) for i in range(large)}),
        ):
            with transaction(session):
                prefix = f"bench/{label}"
                version = DatasetVersion(
                    dataset_id=ds.id,
                    label=label,
                    storage_backend="file",
                    bucket=store.bucket,
                    prefix=prefix,
                    status=VersionStatus.PUBLISHED,
                    published_at=utcnow(),
                    object_count=len(files),
                    total_bytes=sum(map(len, files.values())),
                )
                session.add(version)
                session.flush()
                for key, data in files.items():
                    store.put(f"{prefix}/{key}", data)
                    session.add(
                        DatasetObject(
                            version_id=version.id,
                            key=key,
                            size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(),
                        )
                    )
        offer = session.scalar(
            select(Offer).where(Offer.dataset_id == ds.id, Offer.mode == OfferMode.INDIVIDUAL)
        )
        lead = Actor.for_user(find_user(session, "naver-lead@kdc.test"))
        provider = Actor.for_user(find_user(session, "kbs@kdc.test"))
        p = purchasing.request_purchase(session, lead, dataset=slug, offer=offer.id)
        purchasing.approve_purchase(session, provider, p.id)
        from catalog.models.licenses import License
        from catalog.services import terms

        terms.accept_terms(
            session, lead, session.scalar(select(License.id).where(License.purchase_id == p.id))
        )
        _tok, raw = create_token(
            session, Actor.system("bench"), find_user(session, "naver-member@kdc.test")
        )
    app.extensions["kdc_engine"].dispose()
    return {"token": raw, "slug": slug}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=400)
    ap.add_argument("--large", type=int, default=4)
    ap.add_argument("--large-mb", type=int, default=32)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kdc-bench-"))
    server = None
    try:
        info = setup(work / "instance", args.small, args.large, args.large_mb)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-w",
                "4",
                "-b",
                f"127.0.0.1:{port}",
                "app:create_app()",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=os.environ,
        )
        for _ in range(100):
            try:
                httpx.get(url + "/api/v1/institutions", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        env = {**os.environ, "KDC_URL": url, "KDC_TOKEN": info["token"]}
        kdc = [sys.executable, "-m", "kdc.cli"]
        print(
            f"server: gunicorn 4 sync workers; {args.small} files of 64 KiB, "
            f"{args.large} files of {args.large_mb} MiB"
        )
        for label in ("small", "large"):
            for jobs in (1, 4, 8):
                dest = work / f"{label}-{jobs}"
                res = subprocess.run(
                    [
                        *kdc,
                        "fetch",
                        info["slug"],
                        "--version",
                        label,
                        "--dest",
                        str(dest),
                        "--jobs",
                        str(jobs),
                        "--json",
                    ],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                )
                if not res.stdout.strip():
                    raise SystemExit(
                        f"kdc fetch printed nothing (exit {res.returncode}): {res.stderr}"
                    )
                s = json.loads(res.stdout)
                assert s["status"] == "complete", res.stderr
                mb = s["bytes_downloaded"] / 1024**2
                print(
                    f"{label:5} -j {jobs}: {s['objects']:4} files {mb:7.1f} MiB in "
                    f"{s['seconds']:6.2f} s = {s['objects'] / s['seconds']:7.1f} files/s, "
                    f"{mb / s['seconds']:6.1f} MiB/s (exit {res.returncode})"
                )
            started = time.monotonic()
            res = subprocess.run(
                [
                    *kdc,
                    "fetch",
                    info["slug"],
                    "--version",
                    label,
                    "--dest",
                    str(work / f"{label}-8"),
                    "--json",
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            s = json.loads(res.stdout)
            print(
                f"{label:5} re-run on the complete directory: {s['downloaded']} downloaded, "
                f"{s['present']} present, {time.monotonic() - started:.2f} s wall "
                "(process start included)"
            )
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
