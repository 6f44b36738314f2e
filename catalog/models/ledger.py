"""The double-entry budget ledger.

Every movement is one ``LedgerTransaction`` whose entries sum to zero. Entries are
never updated or deleted; a correction is a new, reversing transaction. Signs: money
arriving in an account is positive. A grant is program −X, team +X; a purchase share
is team −S, institution +S.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow
from catalog.models._types import BigId, UTCDateTime, str_enum


class AccountKind(enum.StrEnum):
    PROGRAM = "program"
    TEAM = "team"
    INSTITUTION = "institution"


class TransactionKind(enum.StrEnum):
    GRANT = "grant"
    CLAWBACK = "clawback"
    PURCHASE = "purchase"
    RENEWAL = "renewal"
    REVERSAL = "reversal"


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'program' AND team_id IS NULL AND institution_id IS NULL)"
            " OR (kind = 'team' AND team_id IS NOT NULL AND institution_id IS NULL)"
            " OR (kind = 'institution' AND institution_id IS NOT NULL AND team_id IS NULL)",
            name="owner_matches_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[AccountKind] = mapped_column(str_enum(AccountKind, "account_kind"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), unique=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), unique=True)


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[TransactionKind] = mapped_column(str_enum(TransactionKind, "transaction_kind"))
    purchase_id: Mapped[int | None] = mapped_column(ForeignKey("purchases.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    memo: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entries: Mapped[list[LedgerEntry]] = relationship(back_populates="transaction")


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (CheckConstraint("amount_krw <> 0", name="amount_non_zero"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount_krw: Mapped[int] = mapped_column(BigInteger)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")
    account: Mapped[LedgerAccount] = relationship()
