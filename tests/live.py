"""A real server process on 127.0.0.1 for tests that talk HTTP (kdc client, browser).

``LiveServer`` runs ``flask run`` (Werkzeug, threaded) in a subprocess against a copy of
a template database and storage, on a free loopback port, and stops it by its PID;
``GunicornServer`` runs the production command (gunicorn) the same way.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, database_url: str, storage_dir: Path, instance: Path, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KDC_")},
            "KDC_DATABASE_URL": database_url,
            "KDC_STORAGE_URL": f"file://{storage_dir}",
            "KDC_SECRET_KEY": "live-test-secret",
            "KDC_INSTANCE_PATH": str(instance),
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.log_path = instance / "server.log"
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "app",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--with-threads",
            "--no-reload",
            "--no-debugger",
        ]

    def _spawn(self) -> subprocess.Popen:
        self._log = log = self.log_path.open("wb")
        return subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:]

    def start(self, timeout: float = 30) -> LiveServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.proc = self._spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"server exited: {self.tail()}")
            try:
                if httpx.get(self.url + "/api/v1/institutions", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start in time")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fh in (getattr(self, "_log", None), getattr(self, "_err", None)):
            if fh is not None:
                fh.close()


class LoggingGunicornServer(LiveServer):
    """The production command, ``gunicorn … 'app:create_app()'``, with access and error logs
    in files and its standard output and error kept apart (``stdout_path``, ``stderr_path``).
    """

    def __init__(self, *args, workers: int = 1, extra_args: tuple[str, ...] = (), **env):
        super().__init__(*args, **env)
        base = self.log_path.parent
        self.access_log = base / "gunicorn-access.log"
        self.error_log = base / "gunicorn-error.log"
        self.stdout_path = base / "gunicorn.stdout"
        self.stderr_path = base / "gunicorn.stderr"
        self.workers = workers
        self.extra_args = extra_args

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(self.workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--access-logfile",
            str(self.access_log),
            "--error-logfile",
            str(self.error_log),
            *self.extra_args,
            "app:create_app()",
        ]

    def _spawn(self) -> subprocess.Popen:
        self._log = out = self.stdout_path.open("wb")
        self._err = err = self.stderr_path.open("wb")
        return subprocess.Popen(self.command(), cwd=ROOT, env=self.env, stdout=out, stderr=err)

    def tail(self) -> str:
        return "\n".join(f"{k}: {v[-1500:]}" for k, v in self.outputs().items())

    def outputs(self) -> dict[str, str]:
        """Everything the server wrote: standard output and error and both log files."""
        return {
            p.name: p.read_text(errors="replace")
            for p in (self.stdout_path, self.stderr_path, self.access_log, self.error_log)
            if p.exists()
        }

        if getattr(self, "_log", None):
            self._log.close()


class GunicornServer:
    """gunicorn with the project's config (``catalog/gunicorn_conf.py``: multiprocess
    metrics) and sync workers on a free loopback port; stdout and stderr kept in files."""

    def __init__(
        self, database_url: str, storage_url: str, instance: Path, workers: int = 2, **env
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.instance = instance
        self.metrics_dir = instance / "metrics"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("KDC_", "PROMETHEUS"))},
            "KDC_DATABASE_URL": database_url,
            "KDC_STORAGE_URL": storage_url,
            "KDC_SECRET_KEY": "live-test-secret",
            "KDC_INSTANCE_PATH": str(instance),
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.stdout_path = instance / "gunicorn.out"
        self.stderr_path = instance / "gunicorn.err"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> GunicornServer:
        self.instance.mkdir(parents=True, exist_ok=True)
        self._out = self.stdout_path.open("wb")
        self._err = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "catalog" / "gunicorn_conf.py"),
                "-w",
                str(self.workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "--graceful-timeout",
                "5",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._out,
            stderr=self._err,
        )
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"gunicorn exited: {self.stderr_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            "gunicorn did not answer in time: " + self.stderr_path.read_text()[-3000:]
        )

    def worker_pids(self) -> list[int]:
        """The master's current children (its workers)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()]

    def wait_for_workers(self, exclude: set[int] = frozenset(), timeout: float = 30) -> list[int]:
        """Wait until ``workers`` workers run, none of them in ``exclude`` (killed ones)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == self.workers and not set(pids) & set(exclude):
                return pids
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not replace its workers: {self.worker_pids()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # quick shutdown: nothing is left to serve
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fh in (getattr(self, "_out", None), getattr(self, "_err", None)):
            if fh:
                fh.close()
