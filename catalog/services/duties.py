"""The periodic duties (``flask --app app tick``), idempotent and safe on several hosts at once.

Each duty takes its own locks and commits per item, so two hosts running ``tick`` from
cron at the same minute do the work once between them. The last duty signs the audit
chain's head when a checkpoint is due (``audit_review.auto_checkpoint``); two hosts
signing the same head at once leave one checkpoint.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from catalog.db import utcnow
from catalog.errors import DomainError
from catalog.services import attestations, audit_review, licensing, notices, purchasing, renewals
from catalog.services.context import Actor


@dataclass
class TickResult:
    closed: list[tuple[int, str]]  # (purchase id, new status)
    expired_licenses: list[int]
    closing_soon: list[int] = field(default_factory=list)  # announced as closing within 24 h
    expiring_soon: list[int] = field(default_factory=list)  # licences told 30/7/1 days ahead
    lapsed_renewals: list[int] = field(default_factory=list)
    attestation_reminders: list[int] = field(default_factory=list)  # licences reminded
    checkpoint: audit_review.AutoCheckpoint | None = None
    checkpoint_error: DomainError | None = None


def tick(
    session: Session,
    actor: Actor,
    now: datetime | None = None,
    *,
    audit_key: str | os.PathLike[str] | None = None,
    checkpoint_events: int = 1000,
    checkpoint_hours: int = 1,
) -> TickResult:
    """The periodic duties: close joint purchases past their deadline, lapse renewals left
    undecided, expire lapsed licences (their teams then owe destruction attestations),
    announce joint purchases that close within 24 hours and licences that end within 30, 7
    and 1 days, remind leads of overdue attestations every 7 days, and (given the
    ``audit_key`` path) sign the audit chain's head when a checkpoint is due. Sending the
    outbox is the CLI's ``deliver``, which ``tick`` also runs.

    Idempotent and safe to run from cron on several hosts at once. A chain that fails
    verification is not signed: ``checkpoint_error`` says why (the other duties are done).
    """
    now = now or utcnow()
    closed = purchasing.close_expired_purchases(session, actor, now)
    lapsed = renewals.lapse_renewals(session, actor, now)
    expired = licensing.expire_licenses(session, actor, now)
    closing = notices.announce_closing_soon(session, actor, now)
    expiring = licensing.announce_expiring(session, actor, now)
    reminded = attestations.remind(session, actor, now)
    result = TickResult(
        closed=closed,
        expired_licenses=expired,
        closing_soon=closing,
        expiring_soon=expiring,
        lapsed_renewals=lapsed,
        attestation_reminders=reminded,
    )
    if audit_key is not None:
        try:
            result.checkpoint = audit_review.auto_checkpoint(
                session,
                audit_key,
                every_events=checkpoint_events,
                every_hours=checkpoint_hours,
                now=now,
            )
        except DomainError as exc:
            result.checkpoint_error = exc
    return result
