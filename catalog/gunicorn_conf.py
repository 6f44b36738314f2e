"""gunicorn settings for K-Data Catalog: ``gunicorn -c catalog/gunicorn_conf.py 'app:create_app()'``.

Prometheus metrics in multiprocess mode: every worker writes its counters to files in
``PROMETHEUS_MULTIPROC_DIR`` (a fresh temporary directory unless set), ``/metrics`` sums
them, and a worker's files are marked dead when it exits. Stale files of an earlier run
are removed at start. Command-line options (``-w``, ``-b``, …) override what is set here.
"""

from __future__ import annotations

import glob
import os
import tempfile

# Before anything imports prometheus_client: the multiprocess mode is chosen at import.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="kdc-metrics-")
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from prometheus_client import multiprocess  # noqa: E402

bind = "127.0.0.1:8000"
workers = 2
worker_class = "sync"  # measured steadier than gthread for database endpoints on small hosts
timeout = 60
# No request-line limit in gunicorn, whose 414 is an HTML page: the app answers a line
# beyond 8,190 bytes with a 414 problem (catalog.api.openapi).
limit_request_line = 0
# One control socket per user ($HOME/.gunicorn/gunicorn.ctl) would be shared by every
# instance on the host; the service needs none (signals manage workers).
control_socket_disable = True


def on_starting(server) -> None:
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def child_exit(server, worker) -> None:
    multiprocess.mark_process_dead(worker.pid)
