"""A real server process on 127.0.0.1 for tests that talk HTTP (kdc client, browser).

``LiveServer`` runs ``flask run`` (Werkzeug, threaded) in a subprocess against a copy of
a template database and storage, on a free loopback port, and stops it by its PID.
"""

from __future__ import annotations

import os
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

    def start(self, timeout: float = 30) -> LiveServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [
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
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
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
        if getattr(self, "_log", None):
            self._log.close()
