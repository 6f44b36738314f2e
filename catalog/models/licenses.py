"""Licences: a team's right to a dataset, with a frozen copy of the offer's terms."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow
from catalog.models._types import BigId, JSONType, UTCDateTime, str_enum

if TYPE_CHECKING:
    from catalog.models.datasets import Dataset
    from catalog.models.purchases import Purchase
    from catalog.models.teams import Team


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
        CheckConstraint("used_objects >= 0 AND used_bytes >= 0", name="usage_non_negative"),
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
    terms: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    terms_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The exact licence text accepted: its document and SHA-256 (see LicenseDocument).
    terms_accepted_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("license_documents.id")
    )
    terms_accepted_sha256: Mapped[str | None] = mapped_column(String(64))
    # Usage of the current term (the access broker counts under the licence's row lock):
    # objects and bytes of the download URLs issued since ``usage_since``.
    used_objects: Mapped[int] = mapped_column(BigInteger, default=0)
    used_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    usage_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An approved renewal starts a new term (with a fresh quota) at the old end.
    next_term_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The lowest number of days (30, 7, 1) announced before ``valid_until``.
    expiry_notice_days: Mapped[int | None] = mapped_column(Integer)
    # When the licence stopped giving access for good (expiry or revocation), and the
    # destruction attestation the team then owes (only if URLs were ever issued).
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attestation_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attestation_notices: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    team: Mapped[Team] = relationship()
    dataset: Mapped[Dataset] = relationship()
    purchase: Mapped[Purchase] = relationship()


class RenewalStatus(enum.StrEnum):
    REQUESTED = "requested"  # waiting for the leads' confirmations, then the provider
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    LAPSED = "lapsed"  # the licences ended before a decision


class LicenseRenewal(Base):
    """A request to extend the licences of one purchase by another term, at the same terms.

    A joint purchase's licences are renewed together: every team still holding one takes
    part, its lead confirms, and the provider's approval charges each its share.
    """

    __tablename__ = "license_renewals"
    __table_args__ = (CheckConstraint("price_krw > 0", name="price_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    status: Mapped[RenewalStatus] = mapped_column(str_enum(RenewalStatus, "renewal_status"))
    price_krw: Mapped[int] = mapped_column(BigInteger)
    term_months: Mapped[int] = mapped_column(Integer)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requester_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str] = mapped_column(String(1000), default="")
    ledger_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dataset: Mapped[Dataset] = relationship()
    requester_team: Mapped[Team] = relationship()
    parts: Mapped[list[LicenseRenewalPart]] = relationship(
        back_populates="renewal", order_by="LicenseRenewalPart.id"
    )


class LicenseRenewalPart(Base):
    """One licence in a renewal: its team's confirmation, share and the end it moved."""

    __tablename__ = "license_renewal_parts"
    __table_args__ = (
        UniqueConstraint("renewal_id", "license_id"),
        CheckConstraint("share_krw IS NULL OR share_krw >= 0", name="share_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    renewal_id: Mapped[int] = mapped_column(ForeignKey("license_renewals.id"))
    license_id: Mapped[int] = mapped_column(ForeignKey("licenses.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    share_krw: Mapped[int | None] = mapped_column(BigInteger)
    previous_valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    new_valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    renewal: Mapped[LicenseRenewal] = relationship(back_populates="parts")
    license: Mapped[License] = relationship()
    team: Mapped[Team] = relationship()


class DestructionAttestation(Base):
    """A team's statement that its copies of a licensed dataset were deleted.

    ``method`` is ``purge`` (``kdc purge``: the objects deleted, with their SHA-256, and
    the host) or ``declaration`` (a team lead in the web UI). ``complete`` is false for a
    partial destruction, which then carries a reason.
    """

    __tablename__ = "destruction_attestations"
    __table_args__ = (
        CheckConstraint("method IN ('purge', 'declaration')", name="method_known"),
        CheckConstraint("complete OR length(reason) > 0", name="partial_has_reason"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    license_id: Mapped[int] = mapped_column(ForeignKey("licenses.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    method: Mapped[str] = mapped_column(String(16))
    host: Mapped[str] = mapped_column(String(255), default="")
    dest: Mapped[str] = mapped_column(String(1000), default="")
    objects: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    object_count: Mapped[int] = mapped_column(Integer, default=0)
    byte_count: Mapped[int] = mapped_column(BigInteger, default=0)
    complete: Mapped[bool] = mapped_column(Boolean, default=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    client_addr: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
