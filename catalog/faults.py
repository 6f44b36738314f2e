"""Fault points: named places inside the money and access paths where a test stops a server.

The crash tests (tests/faults) start gunicorn with ``KDC_FAULT_PAUSE`` naming one or more
points (comma-separated) and ``KDC_FAULT_DIR`` a directory. The first process to reach a
named point writes ``<dir>/<point>`` holding its pid and sleeps there, inside the open
transaction, so that the test can ``kill -9`` it at that very step. Each point pauses once
per directory (the file is created exclusively): the worker gunicorn starts in place of the
killed one serves normally. Without both variables a fault point does nothing.
"""

from __future__ import annotations

import os
import time

# Where a process may be stopped (the names tests and docs/security.md use).
POINTS = (
    "purchase.approve.charged",  # the ledger transaction is written, nothing else yet
    "purchase.approve.licensed",  # charged, approved and licensed; not yet committed
    "access.issue.granted",  # URLs signed, grant and its audit event written; not committed
)
PAUSE_SECONDS = 120.0


def pause_point(name: str) -> None:
    """Pause here if ``KDC_FAULT_PAUSE`` names this point and it has not paused yet."""
    wanted = os.environ.get("KDC_FAULT_PAUSE")
    if not wanted or name not in wanted.split(","):
        return
    folder = os.environ.get("KDC_FAULT_DIR")
    if not folder:
        return
    try:
        fd = os.open(os.path.join(folder, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as fh:
        fh.write(str(os.getpid()))
    time.sleep(PAUSE_SECONDS)
