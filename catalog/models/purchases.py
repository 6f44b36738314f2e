"""Purchases (individual or joint) and their participating teams."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow
from catalog.models._types import UTCDateTime, str_enum
from catalog.models.offers import OfferMode

if TYPE_CHECKING:
    from catalog.models.datasets import Dataset
    from catalog.models.offers import Offer
    from catalog.models.teams import Team


class PurchaseStatus(enum.StrEnum):
    REQUESTED = "requested"  # individual, waiting for the provider
    OPEN = "open"  # joint, accepting participants
    PENDING_APPROVAL = "pending_approval"  # joint, closed with enough teams
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"  # joint, closed with too few teams


class ParticipantStatus(enum.StrEnum):
    JOINED = "joined"
    LEFT = "left"


class Purchase(Base):
    __tablename__ = "purchases"
    __table_args__ = (CheckConstraint("price_krw > 0", name="price_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    mode: Mapped[OfferMode] = mapped_column(str_enum(OfferMode, "purchase_mode"))
    status: Mapped[PurchaseStatus] = mapped_column(str_enum(PurchaseStatus, "purchase_status"))
    price_krw: Mapped[int] = mapped_column(BigInteger)
    opener_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    dataset: Mapped[Dataset] = relationship()
    offer: Mapped[Offer] = relationship()
    opener_team: Mapped[Team] = relationship()
    participants: Mapped[list[PurchaseParticipant]] = relationship(
        back_populates="purchase", order_by="PurchaseParticipant.join_order"
    )


class PurchaseParticipant(Base):
    __tablename__ = "purchase_participants"
    __table_args__ = (
        UniqueConstraint("purchase_id", "team_id"),
        CheckConstraint("share_krw IS NULL OR share_krw >= 0", name="share_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    status: Mapped[ParticipantStatus] = mapped_column(
        str_enum(ParticipantStatus, "participant_status"), default=ParticipantStatus.JOINED
    )
    # Position among the participants; decides who gets the remainder won of a split.
    join_order: Mapped[int] = mapped_column(Integer)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    joined_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the purchase is approved and the team is charged.
    share_krw: Mapped[int | None] = mapped_column(BigInteger)
    # A team lead commits the team's money (SPEC §2): a member's request or join counts
    # only once a lead of that team has confirmed it; a lead's own is confirmed at once.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    purchase: Mapped[Purchase] = relationship(back_populates="participants")
    team: Mapped[Team] = relationship()
