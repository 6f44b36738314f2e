"""The periodic duties (``flask --app app tick``), idempotent and safe on several hosts at once.

Each duty takes its own locks and commits per item, so two hosts running ``tick`` from
cron at the same minute do the work once between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from catalog.db import utcnow
from catalog.services import attestations, licensing, notices, purchasing, renewals
from catalog.services.context import Actor


@dataclass
class TickResult:
    closed: list[tuple[int, str]]  # (purchase id, new status)
    expired_licenses: list[int]
    closing_soon: list[int]  # open joint purchases announced as closing within 24 hours
    expiring_soon: list[int] = field(default_factory=list)  # licences told 30/7/1 days ahead
    lapsed_renewals: list[int] = field(default_factory=list)
    attestation_reminders: list[int] = field(default_factory=list)  # licences reminded


def tick(session: Session, actor: Actor, now: datetime | None = None) -> TickResult:
    """The periodic duties: close joint purchases past their deadline, lapse renewals left
    undecided, expire lapsed licences (their teams then owe destruction attestations),
    announce joint purchases that close within 24 hours and licences that end within 30, 7
    and 1 days, remind leads of overdue attestations every 7 days (sending the outbox is the
    CLI's ``deliver``, which ``tick`` also runs).

    Idempotent and safe to run from cron on several hosts at once.
    """
    now = now or utcnow()
    closed = purchasing.close_expired_purchases(session, actor, now)
    lapsed = renewals.lapse_renewals(session, actor, now)
    expired = licensing.expire_licenses(session, actor, now)
    closing = notices.announce_closing_soon(session, actor, now)
    expiring = licensing.announce_expiring(session, actor, now)
    reminded = attestations.remind(session, actor, now)
    return TickResult(
        closed=closed,
        expired_licenses=expired,
        closing_soon=closing,
        expiring_soon=expiring,
        lapsed_renewals=lapsed,
        attestation_reminders=reminded,
    )
