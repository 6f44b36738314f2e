"""Offers: the terms under which a dataset is sold, individually or jointly."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow
from catalog.models._types import JSONType, UTCDateTime, str_enum

if TYPE_CHECKING:
    from catalog.models.datasets import Dataset


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
    RELEASE_WEIGHTS = "release_weights"


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
        CheckConstraint(
            "download_quota_bytes IS NULL OR download_quota_bytes > 0", name="quota_bytes_positive"
        ),
        CheckConstraint("kogl_type IS NULL OR kogl_type BETWEEN 1 AND 4", name="kogl_type_range"),
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
    # Caps per licence term: objects and bytes of download URLs issued (None: no cap).
    download_quota: Mapped[int | None] = mapped_column(Integer)
    download_quota_bytes: Mapped[int | None] = mapped_column(BigInteger)
    # 공공누리 (Korea Open Government Licence) type 1–4, or None.
    kogl_type: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dataset: Mapped[Dataset] = relationship(back_populates="offers")
    documents: Mapped[list[LicenseDocument]] = relationship(
        back_populates="offer", order_by="LicenseDocument.version"
    )

    @property
    def current_document(self) -> LicenseDocument | None:
        """The newest version of the licence text (what a licence sold now refers to)."""
        return self.documents[-1] if self.documents else None

    def terms(self) -> dict[str, Any]:
        """The frozen copy of these terms that a licence keeps."""
        doc = self.current_document
        return {
            "offer_id": self.id,
            "mode": self.mode.value,
            "price_krw": self.price_krw,
            "term_months": self.term_months,
            "uses": sorted(self.uses),
            "attribution": self.attribution,
            "survives_elimination": self.survives_elimination,
            "download_quota": self.download_quota,
            "download_quota_bytes": self.download_quota_bytes,
            "kogl_type": self.kogl_type,
            "min_teams": self.min_teams,
            "max_teams": self.max_teams,
            "licence_document": (
                {"id": doc.id, "version": doc.version, "sha256": doc.sha256} if doc else None
            ),
        }


class LicenseDocument(Base):
    """One version of an offer's full licence text: Korean first, an English translation.

    ``sha256`` is the digest of ``LicenseDocument.text`` (the exact text a team accepts,
    as served at ``/datasets/<slug>/offers/<id>/licence.txt``). A new version never
    replaces an old one: licences refer to the version they were sold under.
    """

    __tablename__ = "license_documents"
    __table_args__ = (
        UniqueConstraint("offer_id", "version"),
        CheckConstraint("version > 0", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    text_ko: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offer: Mapped[Offer] = relationship(back_populates="documents")

    @property
    def text(self) -> str:
        return document_text(self.text_ko, self.text_en)


def document_text(text_ko: str, text_en: str) -> str:
    """The exact text of a licence document: the Korean text, then the English translation."""
    body = text_ko.strip() + "\n"
    if text_en.strip():
        body += "\n---\n\n" + text_en.strip() + "\n"
    return body
