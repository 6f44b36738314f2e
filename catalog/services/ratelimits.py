"""Fixed-window request counters kept in the database, so every worker on every host counts
against the same limit (an atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING``, which
both SQLite and PostgreSQL support)."""

from __future__ import annotations

import math
import time

from sqlalchemy import delete
from sqlalchemy.orm import Session

from catalog.db import transaction
from catalog.models.ratelimit import RateLimitCounter

KEY_MAX = 300


def _upsert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


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
    stmt = insert(RateLimitCounter).values(key=key, window_start=start, count=1, expires_at=end)
    stmt = stmt.on_conflict_do_update(
        index_elements=[RateLimitCounter.key, RateLimitCounter.window_start],
        set_={"count": RateLimitCounter.count + 1},
    ).returning(RateLimitCounter.count)
    with transaction(session):
        count = session.execute(stmt).scalar_one()
        if count == 1:
            # A new window began for this key: sweep rows whose windows have ended.
            session.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at < int(now)))
    return count, max(1, math.ceil(end - now))
