"""Licences: a team's right to a dataset, with a frozen copy of the offer's terms."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow
from catalog.models._types import JSONType, UTCDateTime, str_enum


class LicenseStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


class License(Base):
    __tablename__ = "licenses"
    __table_args__ = (
        UniqueConstraint("team_id", "dataset_id", "purchase_id"),
        CheckConstraint("valid_until > valid_from", name="valid_range"),
        # Backstop against duplicate licences: at most one live (active or suspended)
        # licence per team and dataset, whatever races the services lose.
        Index(
            "uq_licenses_live_team_dataset",
            "team_id",
            "dataset_id",
            unique=True,
            postgresql_where=text("status IN ('active', 'suspended')"),
            sqlite_where=text("status IN ('active', 'suspended')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"))
    status: Mapped[LicenseStatus] = mapped_column(
        str_enum(LicenseStatus, "license_status"), default=LicenseStatus.ACTIVE
    )
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    terms: Mapped[dict] = mapped_column(JSONType)
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    terms_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    team: Mapped[Team] = relationship()  # noqa: F821
    dataset: Mapped[Dataset] = relationship()  # noqa: F821
    purchase: Mapped[Purchase] = relationship()  # noqa: F821
