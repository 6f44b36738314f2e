"""Access grants: each issuance of download URLs. Full URLs are never stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base, utcnow
from catalog.models._types import BigId, UTCDateTime


class AccessGrant(Base):
    __tablename__ = "access_grants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    license_id: Mapped[int] = mapped_column(ForeignKey("licenses.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"))
    object_count: Mapped[int] = mapped_column(Integer)
    # Bytes of the objects whose URLs were issued (a URL issued is a download permitted).
    byte_count: Mapped[int] = mapped_column(BigInteger, default=0)
    ttl_seconds: Mapped[int] = mapped_column(Integer)
    client_addr: Mapped[str] = mapped_column(String(64), default="")
