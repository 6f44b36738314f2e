"""Offers: the terms under which a dataset is sold, individually or jointly."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow
from catalog.models._types import JSONType, UTCDateTime, str_enum


class OfferMode(enum.StrEnum):
    INDIVIDUAL = "individual"
    JOINT = "joint"


class Use(enum.StrEnum):
    """Machine-readable permitted uses of a licence."""

    AI_TRAINING = "ai_training"
    COMMERCIAL_MODEL = "commercial_model"
    REDISTRIBUTION = "redistribution"
    DERIVATIVE_DATASETS = "derivative_datasets"
    PUBLISH_EXCERPTS = "publish_excerpts"


class Offer(Base):
    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("price_krw > 0", name="price_positive"),
        CheckConstraint("term_months > 0", name="term_positive"),
        CheckConstraint(
            "(mode = 'individual' AND min_teams IS NULL AND max_teams IS NULL)"
            " OR (mode = 'joint' AND min_teams >= 2 AND max_teams >= min_teams"
            " AND join_window_days > 0)",
            name="joint_bounds",
        ),
        CheckConstraint("download_quota IS NULL OR download_quota > 0", name="quota_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    mode: Mapped[OfferMode] = mapped_column(str_enum(OfferMode, "offer_mode"))
    price_krw: Mapped[int] = mapped_column(BigInteger)
    term_months: Mapped[int] = mapped_column(Integer)
    min_teams: Mapped[int | None] = mapped_column(Integer)
    max_teams: Mapped[int | None] = mapped_column(Integer)
    # A joint purchase under this offer accepts participants for this many days.
    join_window_days: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[list[str]] = mapped_column(JSONType, default=list)
    attribution: Mapped[str] = mapped_column(Text, default="")
    survives_elimination: Mapped[bool] = mapped_column(Boolean, default=False)
    download_quota: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dataset: Mapped[Dataset] = relationship(back_populates="offers")  # noqa: F821

    def terms(self) -> dict:
        """The frozen copy of these terms that a licence keeps."""
        return {
            "offer_id": self.id,
            "mode": self.mode.value,
            "price_krw": self.price_krw,
            "term_months": self.term_months,
            "uses": sorted(self.uses),
            "attribution": self.attribution,
            "survives_elimination": self.survives_elimination,
            "download_quota": self.download_quota,
            "min_teams": self.min_teams,
            "max_teams": self.max_teams,
        }
