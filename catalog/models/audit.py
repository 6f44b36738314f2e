"""The append-only, hash-chained audit log (see docs/audit.md for the hash rules)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base
from catalog.models._types import JSONType, UTCDateTime


class AuditAction(enum.StrEnum):
    """Every action the audit chain records, as ``subject:verb`` (one list, no typing by hand)."""

    ACCESS_ISSUE_URLS = "access:issue_urls"
    AUDIT_VERIFY = "audit:verify"
    AUTH_SIGN_IN = "auth:sign_in"
    AUTH_SIGN_IN_FAILED = "auth:sign_in_failed"
    AUTH_SIGN_OUT = "auth:sign_out"
    DATASET_CREATE = "dataset:create"
    DATASET_PUBLISH = "dataset:publish"
    DATASET_UPDATE = "dataset:update"
    DATASET_WITHDRAW = "dataset:withdraw"
    INSTITUTION_CREATE = "institution:create"
    LICENSE_ACCEPT_TERMS = "license:accept_terms"
    LICENSE_ATTEST = "license:attest"
    LICENSE_EXPIRE = "license:expire"
    LICENSE_ISSUE = "license:issue"
    LICENSE_REINSTATE = "license:reinstate"
    LICENSE_RENEW = "license:renew"
    LICENSE_REVOKE = "license:revoke"
    LICENSE_SET_QUOTA = "license:set_quota"
    LICENSE_SUSPEND = "license:suspend"
    OFFER_CREATE = "offer:create"
    OFFER_DEACTIVATE = "offer:deactivate"
    OFFER_LICENCE_TEXT = "offer:licence_text"
    RENEWAL_APPROVE = "renewal:approve"
    RENEWAL_CANCEL = "renewal:cancel"
    RENEWAL_CONFIRM = "renewal:confirm"
    RENEWAL_LAPSE = "renewal:lapse"
    RENEWAL_REJECT = "renewal:reject"
    RENEWAL_REQUEST = "renewal:request"
    PHASE_CREATE = "phase:create"
    PREFERENCES_UPDATE = "preferences:update"
    PURCHASE_APPROVE = "purchase:approve"
    PURCHASE_CANCEL = "purchase:cancel"
    PURCHASE_CLOSE = "purchase:close"
    PURCHASE_CONFIRM = "purchase:confirm"
    PURCHASE_INVITE = "purchase:invite"
    PURCHASE_JOIN = "purchase:join"
    PURCHASE_LEAVE = "purchase:leave"
    PURCHASE_OPEN = "purchase:open"
    PURCHASE_REJECT = "purchase:reject"
    PURCHASE_REQUEST = "purchase:request"
    PURCHASE_WITHDRAW = "purchase:withdraw"
    TEAM_CREATE = "team:create"
    TEAM_ELIMINATE = "team:eliminate"
    TOKEN_CREATE = "token:create"
    TOKEN_REVOKE = "token:revoke"
    UPLOAD_ABORT = "upload:abort"
    UPLOAD_START = "upload:start"
    USER_CHANGE_ROLE = "user:change_role"
    USER_CREATE = "user:create"
    USER_SET_PASSWORD = "user:set_password"
    USER_UPDATE = "user:update"
    VERSION_ADD_OBJECT = "version:add_object"
    VERSION_CREATE = "version:create"
    VERSION_PUBLISH = "version:publish"
    VERSION_REMOVE_OBJECT = "version:remove_object"
    VERSION_SYNC = "version:sync"
    WEBHOOK_CREATE = "webhook:create"
    WEBHOOK_DELETE = "webhook:delete"
    LEDGER_GRANT = "ledger:grant"
    LEDGER_CLAWBACK = "ledger:clawback"
    LEDGER_PURCHASE = "ledger:purchase"
    LEDGER_RENEWAL = "ledger:renewal"
    LEDGER_REVERSAL = "ledger:reversal"


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (CheckConstraint("seq > 0", name="seq_positive"),)

    # Gap-free: assigned as head + 1 while the chain head row is locked.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    actor: Mapped[str] = mapped_column(String(254))  # e-mail or "system"
    action: Mapped[str] = mapped_column(String(64), index=True)  # subject:verb
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    client_addr: Mapped[str] = mapped_column(String(64), default="")
    # Backstop against two writers appending after the same predecessor.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHead(Base):
    """One row: the last sequence number and hash. Appenders lock it (FOR UPDATE)."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed statement of the chain head at a time (Ed25519, key outside the database)."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)
