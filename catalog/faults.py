"""Fault points: named places inside the money and access paths where a test stops a server.

The crash tests (tests/faults) start gunicorn with ``KDC_FAULT_DIR`` naming a directory and
arm a point by creating ``<dir>/<point>.armed``. The first process to reach an armed point
claims it (``<dir>/<point>.pid``, created exclusively, holding its pid), disarms it and
sleeps there, inside the open transaction, so that the test can ``kill -9`` it at that very
step; the worker gunicorn starts in its place serves normally. Without ``KDC_FAULT_DIR``
(always, outside these tests) a fault point costs one dictionary lookup.
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
    """Pause here if a test armed this point."""
    folder = os.environ.get("KDC_FAULT_DIR")
    if not folder:
        return
    armed = os.path.join(folder, name + ".armed")
    if not os.path.exists(armed):
        return
    try:
        fd = os.open(os.path.join(folder, name + ".pid"), os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as fh:
        fh.write(str(os.getpid()))
    os.remove(armed)
    time.sleep(PAUSE_SECONDS)
