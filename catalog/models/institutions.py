"""Institutions: the public bodies that publish and sell datasets."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow
from catalog.models._types import UTCDateTime, str_enum

if TYPE_CHECKING:
    from catalog.models.datasets import Dataset


class InstitutionKind(enum.StrEnum):
    ARCHIVE = "archive"
    HISTORY = "history"
    STATISTICS = "statistics"
    PATENT = "patent"
    BROADCASTER = "broadcaster"


class Institution(Base):
    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_ko: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[InstitutionKind] = mapped_column(str_enum(InstitutionKind, "institution_kind"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    datasets: Mapped[list[Dataset]] = relationship(back_populates="institution")
