"""Fixed-window request counters for rate limits (token creation, web login).

Kept in the database, not in process memory, so that every worker on every host counts
against the same limit (SPEC §5: nothing keeps state in process memory).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base


class RateLimitCounter(Base):
    __tablename__ = "rate_limit_counters"

    # "<limit name>:<subject>", e.g. "login-addr:10.0.0.7" or "token-create:user:12".
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    # Start of the fixed window, in whole seconds since the epoch.
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer, default=0)
    # When the row may be deleted (end of its window), for cheap clean-up by index.
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
