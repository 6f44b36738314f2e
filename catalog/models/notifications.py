"""What the service tells people: notices, each reader's inbox, the outbox of deliveries
(e-mail, webhooks), e-mail preferences and the webhook endpoints teams and institutions
register.

A ``Notice`` is one thing that happened, addressed to one audience: a team or an
institution (never both), so that whoever reads it later (the inbox, a webhook, an event
feed) sees only what that audience may see. Its ``data`` is language-neutral (ids, codes,
amounts, both titles of a dataset); readers render it in their own language. Ids grow
monotonically and serve as a stable keyset cursor.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow
from catalog.models._types import BigId, JSONType, UTCDateTime, str_enum


class NoticeKind(enum.StrEnum):
    """Every kind of notice, as ``subject.event`` (the Standard Webhooks ``type``)."""

    PURCHASE_REQUESTED = "purchase.requested"  # a member acted; a lead must confirm
    PURCHASE_AWAITING_APPROVAL = "purchase.awaiting_approval"  # the provider decides
    PURCHASE_CONFIRMED = "purchase.confirmed"
    PURCHASE_APPROVED = "purchase.approved"
    PURCHASE_REJECTED = "purchase.rejected"
    PURCHASE_CANCELLED = "purchase.cancelled"
    JOINT_OPENED = "joint.opened"
    JOINT_INVITED = "joint.invited"  # a team taking part invites another
    JOINT_JOINED = "joint.joined"
    JOINT_LEFT = "joint.left"
    JOINT_CLOSING_SOON = "joint.closing_soon"
    JOINT_CLOSED = "joint.closed"
    LICENSE_ACTIVATED = "license.activated"
    LICENSE_SUSPENDED = "license.suspended"
    LICENSE_REINSTATED = "license.reinstated"
    LICENSE_REVOKED = "license.revoked"
    LICENSE_EXPIRING = "license.expiring"  # 30, 7 and 1 days before the end (``tick``)
    LICENSE_QUOTA_CHANGED = "license.quota_changed"
    LICENSE_ATTESTATION_DUE = "license.attestation_due"  # when due, then every 7 days
    RENEWAL_REQUESTED = "renewal.requested"  # a lead asked; the other leads confirm
    RENEWAL_AWAITING_APPROVAL = "renewal.awaiting_approval"  # the provider decides
    RENEWAL_APPROVED = "renewal.approved"
    RENEWAL_DECLINED = "renewal.declined"  # rejected, cancelled or lapsed
    DATASET_VERSION_PUBLISHED = "dataset.version_published"  # to teams holding a licence
    TEAM_ELIMINATED = "team.eliminated"
    BUDGET_GRANTED = "budget.granted"
    BUDGET_CLAWED_BACK = "budget.clawed_back"


class Channel(enum.StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Notice(Base):
    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint("(team_id IS NULL) <> (institution_id IS NULL)", name="one_audience"),
        Index("ix_notices_team_id_id", "team_id", "id"),
        Index("ix_notices_institution_id_id", "institution_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    # The audience: exactly one of a team or an institution.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    """One notice in one user's inbox."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("notice_id", "user_id"),
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    notice: Mapped[Notice] = relationship()


class WebhookEndpoint(Base):
    """A URL that receives a team's or an institution's notices, signed with its secret."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        CheckConstraint("(team_id IS NULL) <> (institution_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # The signing key ("whsec_" + base64). Kept whole: signing needs it; shown once.
    secret: Mapped[str] = mapped_column(String(100))
    # Notice kinds sent to this endpoint; empty = every kind of its audience.
    kinds: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Delivery(Base):
    """The outbox: one message to send over one channel, written with the change itself.

    ``deliver`` claims due rows, sends them outside any transaction and records the
    outcome; a failure is retried with exponential backoff until ``attempts`` reaches the
    maximum, then the row is ``failed`` (it never blocks other rows).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint(
            "(channel = 'email' AND user_id IS NOT NULL AND webhook_id IS NULL)"
            " OR (channel = 'webhook' AND webhook_id IS NOT NULL AND user_id IS NULL)",
            name="recipient_matches_channel",
        ),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_deliveries_webhook_id_id", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "delivery_channel"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_endpoints.id"))
    target: Mapped[str] = mapped_column(String(2000))  # e-mail address or URL
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    response_status: Mapped[int | None] = mapped_column(Integer)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    notice: Mapped[Notice] = relationship()


class NotificationPreference(Base):
    """Whether a user wants e-mail for one kind of notice (no row: yes)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
