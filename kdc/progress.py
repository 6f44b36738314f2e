"""A rich progress bar for transfers: bytes done of the total, rate, time left, file count."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


class TransferProgress:
    """Thread-safe callbacks (``add_total``, ``advance``, ``file_done``) for a transfer.

    With ``enabled`` false every callback is a no-op, so scripts and ``--json`` runs stay
    quiet; the bar goes to standard error so standard output stays machine-readable.
    """

    def __init__(self, console: Console, *, enabled: bool, label: str):
        self.enabled = enabled
        self.lock = threading.Lock()
        self.files_done = 0
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[files]} files"),
            console=console,
            transient=False,
            disable=not enabled,
        )
        self.task = self.progress.add_task(label, total=0, files=0)

    def __enter__(self) -> TransferProgress:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.enabled:
            self.progress.stop()

    def add_total(self, n: int) -> None:
        with self.lock:
            total = (self.progress.tasks[0].total or 0) + n
            self.progress.update(self.task, total=total)

    def advance(self, n: int) -> None:
        self.progress.advance(self.task, n)

    def file_done(self, key: str, outcome: str) -> None:
        with self.lock:
            self.files_done += 1
            self.progress.update(self.task, files=self.files_done)
