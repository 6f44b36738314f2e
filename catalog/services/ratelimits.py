"""Fixed-window request counters kept in the database, so every worker on every host counts
against the same limit (an atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING``, which
both SQLite and PostgreSQL support)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy.orm import Session

from catalog.db import transaction
from catalog.models.ratelimit import RateLimitCounter

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PgInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

KEY_MAX = 300


def _upsert(dialect: str) -> Callable[[type[RateLimitCounter]], PgInsert | SqliteInsert]:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def count_hit(
    session: Session, name: str, subject: str, window: int, now: float | None = None
) -> tuple[int, int]:
    """Count one request of ``subject`` against the limit ``name`` in the current fixed
    window; return the window's count so far and the seconds until the window ends."""
    now = time.time() if now is None else now
    start = int(now // window) * window
    end = start + window
    key = f"{name}:{subject}"[:KEY_MAX]
    insert = _upsert(session.get_bind().dialect.name)
    upsert = insert(RateLimitCounter).values(key=key, window_start=start, count=1, expires_at=end)
    stmt = upsert.on_conflict_do_update(
        index_elements=[RateLimitCounter.key, RateLimitCounter.window_start],
        set_={"count": RateLimitCounter.count + 1},
    ).returning(RateLimitCounter.count)
    with transaction(session):
        count = session.execute(stmt).scalar_one()
        if count == 1:
            # A new window began for this key: sweep rows whose windows have ended.
            session.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at < int(now)))
    return count, max(1, math.ceil(end - now))
