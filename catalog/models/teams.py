"""Teams of the foundation-model programme and the evaluation phases that eliminate them."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base, utcnow
from catalog.models._types import JSONType, UTCDateTime, str_enum


class TeamStatus(enum.StrEnum):
    ACTIVE = "active"
    ELIMINATED = "eliminated"


class EvaluationPhase(Base):
    __tablename__ = "evaluation_phases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (
        # The ledger is the truth; this cached balance is what money paths lock,
        # and the CHECK is the backstop that no race can take it below zero.
        CheckConstraint("balance_krw >= 0", name="balance_non_negative"),
        CheckConstraint(
            "(status = 'eliminated') = (eliminated_phase IS NOT NULL)",
            name="eliminated_has_phase",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_ko: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    organisations: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[TeamStatus] = mapped_column(
        str_enum(TeamStatus, "team_status"), default=TeamStatus.ACTIVE
    )
    eliminated_phase: Mapped[int | None] = mapped_column(Integer)
    eliminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    balance_krw: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
