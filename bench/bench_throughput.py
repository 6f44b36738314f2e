"""Requests per second of the catalogue's public reads as a share of a one-line Flask endpoint.

In one run: a one-line Flask JSON endpoint and the catalogue (demo data, SQLite, and
PostgreSQL when reachable) are served by the same gunicorn command (2 sync workers,
127.0.0.1, free ports, no access log), one after the other, and ``wrk -t2 -c16`` loads:

- the bare endpoint (the reference),
- the dataset detail API, the dataset list API, the search API,
- the dataset page and the catalogue home (HTML, Korean, anonymous).

Goals (share of the bare endpoint): detail ≥ 50 %, list and search ≥ 25 %, page ≥ 25 %,
home ≥ 20 %. Everything lives in a temporary directory (and a PostgreSQL database) that is
removed at the end.

Run: ``.venv/bin/python bench/bench_throughput.py [--duration 10] [--db sqlite,postgresql]``
(``KDC_BENCH_DURATION`` sets the default duration).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

PG_ADMIN = os.environ.get("KDC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")

BARE_APP = textwrap.dedent(
    """
    from flask import Flask
    app = Flask(__name__)

    @app.get("/")
    def hello():
        return {"hello": "world"}
    """
)

# (label, path, goal as a share of the bare endpoint)
TARGETS = [
    ("dataset detail API", "/api/v1/datasets/joseon-annals-original", 0.50),
    ("dataset list API", "/api/v1/datasets", 0.25),
    ("search API", "/api/v1/datasets?q=%EC%8B%A4%EB%A1%9D", 0.25),
    ("dataset page HTML", "/datasets/joseon-annals-original", 0.25),
    ("catalogue home HTML", "/", 0.20),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn -w 2 -k sync`` on a free port, access log off, stopped by its PID."""

    def __init__(self, app: str, cwd: Path, env: dict[str, str], config: str | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                *(["-c", config] if config else []),
                "-w",
                "2",
                "-k",
                "sync",
                "-b",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                app,
            ],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait_ready(self, path: str) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.base + path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise SystemExit(
                    "gunicorn did not start: " + self.proc.stderr.read().decode()[-2000:]
                )
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wrk(url: str, duration: int) -> float:
    """Requests per second from ``wrk -t2 -c16``; non-2xx/3xx responses abort the bench."""
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{duration}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise SystemExit(f"{url}: {bad.group(1)} error responses\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def prepare_catalogue(db_url: str, instance: Path) -> None:
    from app import create_app
    from catalog.db import get_session
    from catalog.demo import load_demo
    from catalog.migrate import upgrade

    upgrade(db_url)
    app = create_app(
        {
            "DATABASE_URL": db_url,
            "STORAGE_URL": f"file://{instance / 'storage'}",
            "SECRET_KEY": "bench-secret",
        }
    )
    with app.app_context():
        load_demo(get_session(), app.extensions["kdc_store"])
    app.extensions["kdc_engine"].dispose()


def warm(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(4):
            for _label, path, _goal in TARGETS:
                client.get(path).raise_for_status()


def run(backends: list[str], duration: int) -> list[tuple[str, str, float, float, float]]:
    """Rows of (backend, label, req/s, share of the bare endpoint measured just before, goal);
    the bare endpoint's first measurement first."""
    tmp = Path(tempfile.mkdtemp(prefix="kdc-bench-throughput-"))
    rows: list[tuple[str, str, float, float, float]] = []
    pg_name = None
    bare = None
    try:
        (tmp / "bare_app.py").write_text(BARE_APP)
        # The bare endpoint stays up and is measured again right before each target, so
        # every ratio compares two runs seconds apart (the shared machine's load drifts).
        bare = Gunicorn("bare_app:app", tmp, {**os.environ, "PYTHONPATH": str(tmp)})
        bare.wait_ready("/")
        wrk(bare.base + "/", 2)
        bare_rps = wrk(bare.base + "/", duration)
        rows.append(("-", "one-line Flask JSON endpoint", bare_rps, 1.0, 0.0))
        for backend in backends:
            if backend == "sqlite":
                db_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
            else:
                import psycopg

                pg_name = f"kdc_bench_tp_{os.getpid()}"
                try:
                    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                        conn.execute(f'CREATE DATABASE "{pg_name}"')
                except psycopg.OperationalError:
                    print("postgresql not reachable: skipped", file=sys.stderr)
                    pg_name = None
                    continue
                db_url = (
                    PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
                    + f"/{pg_name}"
                )
            instance = tmp / f"instance-{backend}"
            instance.mkdir()
            prepare_catalogue(db_url, instance)
            env = {
                **os.environ,
                "KDC_DATABASE_URL": db_url,
                "KDC_STORAGE_URL": f"file://{instance / 'storage'}",
                "KDC_SECRET_KEY": "bench-secret",
                "KDC_INSTANCE_PATH": str(instance),
                "PYTHONPATH": str(ROOT),
            }
            ours = Gunicorn("app:create_app()", ROOT, env)
            try:
                ours.wait_ready("/api/v1/datasets")
                warm(ours.base)
                for label, path, goal in TARGETS:
                    bare_rps = wrk(bare.base + "/", duration)
                    rps = wrk(ours.base + path, duration)
                    rows.append((backend, label, rps, rps / bare_rps, goal))
            finally:
                ours.stop()
    finally:
        if bare is not None:
            bare.stop()
        if pg_name:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=int, default=int(os.environ.get("KDC_BENCH_DURATION", "10"))
    )
    parser.add_argument("--db", default=os.environ.get("KDC_BENCH_DB", "sqlite,postgresql"))
    args = parser.parse_args()
    rows = run([b.strip() for b in args.db.split(",") if b.strip()], args.duration)
    print(f"throughput: wrk -t2 -c16 -d{args.duration}s, gunicorn -w 2 -k sync")
    for backend, label, rps, share, goal in rows:
        verdict = "" if not goal else ("ok" if share >= goal else "MISSED")
        goal_text = f"goal ≥ {goal:.0%}" if goal else ""
        print(
            f"throughput [{backend}] {label:<30} {rps:9,.0f} req/s  {share:6.1%}  "
            f"{goal_text} {verdict}"
        )
        if goal:
            met = "yes" if share >= goal else "no"
            print(f"RESULT|{label}, {backend}, share of bare Flask|{share:.1%}|≥ {goal:.0%}|{met}")


if __name__ == "__main__":
    main()
