"""Users, their roles, and the API tokens scripts authenticate with."""

from __future__ import annotations

import enum
from datetime import datetime

# flask_login ships no type information: UserMixin is Any to mypy.
from flask_login import UserMixin  # type: ignore[import-untyped]
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow
from catalog.models._types import BigId, JSONType, UTCDateTime, str_enum
from catalog.models.institutions import Institution
from catalog.models.teams import Team


class Role(enum.StrEnum):
    ADMIN = "admin"
    PROVIDER = "provider"
    TEAM_MEMBER = "team_member"
    TEAM_LEAD = "team_lead"
    AUDITOR = "auditor"


class User(UserMixin, Base):  # type: ignore[misc]  # UserMixin is untyped
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'provider') = (institution_id IS NOT NULL)", name="provider_has_institution"
        ),
        CheckConstraint(
            "(role IN ('team_member', 'team_lead')) = (team_id IS NOT NULL)",
            name="team_role_has_team",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    # A web session is valid only while it carries this number: raising it (sign-out,
    # a new password, a new role, deactivation) ends every session of the user at once.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    institution: Mapped[Institution | None] = relationship()
    team: Mapped[Team | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    # SHA-256 of the token: tokens carry 256 random bits, so a fast hash is safe.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
