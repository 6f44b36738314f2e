"""Sending the outbox: claim due deliveries, send them outside any transaction, record the outcome.

``deliver_due`` is what ``flask --app app deliver`` (and ``tick``) runs. It is idempotent
and safe on several hosts at once:

1. **claim** a batch in one short transaction: due ``pending`` rows, locked with
   ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (another host skips them and takes the next
   ones; on SQLite ``BEGIN IMMEDIATE`` serialises the claims). Claiming counts the attempt
   and leases the row: ``next_attempt_at`` moves ``LEASE`` ahead, so nobody else picks it
   up while it is being sent, and a host that dies mid-send only delays it;
2. **commit**, then **send** each message (SMTP, HTTP) with no transaction open;
3. **record** the outcome in a new transaction, only if the row is still the one claimed
   (same attempt number, still pending): ``sent``; or, after a failure, pending again with
   exponential backoff (``backoff``) until ``MAX_ATTEMPTS``, then ``failed``. A failing
   message is only ever rescheduled; it never holds up the others.

Delivery is at least once: a host that sends and dies before recording lets the message
go again after the lease. Webhook receivers deduplicate on ``webhook-id``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.orm import Session

from catalog.db import end_read, is_postgres, transaction, utcnow
from catalog.models.notifications import Channel, Delivery, DeliveryStatus, Notice
from catalog.models.users import User

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
BATCH = 20


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4, 8 … minutes, at most 6 hours."""
    factor: int = 2 ** max(attempts - 1, 0)
    return min(FIRST_RETRY * factor, LONGEST_WAIT)


class SendError(Exception):
    """A message could not be sent. ``permanent``: retrying cannot help (a refused address)."""

    def __init__(
        self, message: str, *, permanent: bool = False, response_status: int | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.response_status = response_status


@dataclass(frozen=True)
class Job:
    """A claimed delivery with everything needed to send it (no database access while sending)."""

    id: int
    channel: Channel
    target: str
    payload: dict[str, Any]
    attempt: int
    notice_id: int
    kind: str
    subject_type: str
    subject_id: str
    data: dict[str, Any]
    created_at: datetime
    secret: str = ""  # webhook signing key
    recipient_name: str = ""
    recipient_locale: str = "ko"


# A sender takes a job and returns the response status it got (HTTP) or None; it raises
# ``SendError`` when the message did not go.
Sender = Callable[[Job], "int | None"]


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.sent) + len(self.retrying) + len(self.failed)


def claim_due(
    session: Session, channels: list[Channel], now: datetime, limit: int = BATCH
) -> list[Job]:
    """Claim up to ``limit`` due pending deliveries of ``channels`` (one short transaction)."""
    if not channels:
        return []
    with transaction(session):
        q = (
            select(Delivery)
            .where(
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at <= now,
                Delivery.channel.in_(channels),
            )
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        if is_postgres(session):
            q = q.with_for_update(skip_locked=True, of=Delivery)
        rows = list(session.scalars(q))
        jobs = []
        for row in rows:
            gone = _recipient_gone(session, row)
            if gone:
                row.status = DeliveryStatus.FAILED
                row.last_error = gone
                continue
            row.attempts += 1
            row.last_attempt_at = now
            row.next_attempt_at = now + LEASE
            jobs.append(_job(session, row))
        session.flush()
    return jobs


def _recipient_gone(session: Session, row: Delivery) -> str:
    """Why the delivery can no longer go (deactivated account, deleted webhook), or ""."""
    from catalog.models.notifications import WebhookEndpoint

    # The foreign keys keep a delivery's user or webhook row (accounts and webhooks are
    # deactivated or soft-deleted, never removed).
    if row.channel == Channel.EMAIL:
        user = session.get(User, row.user_id)
        assert user is not None
        return "" if user.active else "the account was deactivated"
    hook = session.get(WebhookEndpoint, row.webhook_id)
    assert hook is not None
    return "" if hook.active else "the webhook was deleted"


def _job(session: Session, row: Delivery) -> Job:
    notice = session.get(Notice, row.notice_id)
    assert notice is not None  # the foreign key keeps a delivery's notice
    secret, name, locale = "", "", "ko"
    if row.channel == Channel.WEBHOOK:
        from catalog.models.notifications import WebhookEndpoint

        hook = session.get(WebhookEndpoint, row.webhook_id)
        assert hook is not None  # checked by _recipient_gone when claimed
        secret = hook.secret
    else:
        user = session.get(User, row.user_id)
        assert user is not None  # checked by _recipient_gone when claimed
        name = user.name
        locale = row.payload.get("locale") or user.locale or "ko"
    return Job(
        id=row.id,
        channel=row.channel,
        target=row.target,
        payload=dict(row.payload),
        attempt=row.attempts,
        notice_id=notice.id,
        kind=notice.kind,
        subject_type=notice.subject_type,
        subject_id=notice.subject_id,
        data=dict(notice.data),
        created_at=notice.created_at,
        secret=secret,
        recipient_name=name,
        recipient_locale=locale,
    )


def _still_claimed(job: Job) -> tuple[ColumnElement[bool], ...]:
    return (
        Delivery.id == job.id,
        Delivery.status == DeliveryStatus.PENDING,
        Delivery.attempts == job.attempt,
    )


def record_sent(
    session: Session, job: Job, now: datetime, response_status: int | None = None
) -> bool:
    """Mark the claimed delivery sent; False if another host re-claimed it meanwhile."""
    with transaction(session):
        # An UPDATE's result is a CursorResult (SQLAlchemy types execute() as a plain Result).
        result = cast(
            CursorResult[Any],
            session.execute(
                update(Delivery)
                .where(*_still_claimed(job))
                .values(
                    status=DeliveryStatus.SENT,
                    sent_at=now,
                    last_error="",
                    response_status=response_status,
                )
            ),
        )
        return bool(result.rowcount)


def record_failure(
    session: Session,
    job: Job,
    now: datetime,
    error: str,
    *,
    permanent: bool = False,
    response_status: int | None = None,
) -> DeliveryStatus | None:
    """Reschedule the claimed delivery with backoff, or mark it failed after the last attempt
    (or at once, if retrying cannot help). None if another host re-claimed it meanwhile."""
    final = permanent or job.attempt >= MAX_ATTEMPTS
    status = DeliveryStatus.FAILED if final else DeliveryStatus.PENDING
    with transaction(session):
        result = cast(
            CursorResult[Any],
            session.execute(
                update(Delivery)
                .where(*_still_claimed(job))
                .values(
                    status=status,
                    next_attempt_at=now if final else now + backoff(job.attempt),
                    last_error=error[:2000],
                    response_status=response_status,
                )
            ),
        )
        return status if result.rowcount else None


def deliver_due(
    session: Session,
    senders: dict[Channel, Sender],
    *,
    now: datetime | None = None,
    limit: int = 1000,
) -> DeliveryReport:
    """Send what is due over the channels in ``senders``, at most ``limit`` messages.

    ``now`` (default: the time of each batch) decides what is due and when to retry.
    """
    report = DeliveryReport()
    channels = list(senders)
    end_read(session)
    while report.total < limit:
        jobs = claim_due(session, channels, now or utcnow(), min(BATCH, limit - report.total))
        if not jobs:
            break
        for job in jobs:
            try:
                response_status = senders[job.channel](job)
            except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
                if not isinstance(exc, SendError):
                    exc = SendError(f"{exc.__class__.__name__}: {exc}")
                outcome = record_failure(
                    session,
                    job,
                    now or utcnow(),
                    str(exc),
                    permanent=exc.permanent,
                    response_status=exc.response_status,
                )
                if outcome == DeliveryStatus.FAILED:
                    report.failed.append(job.id)
                elif outcome == DeliveryStatus.PENDING:
                    report.retrying.append(job.id)
            else:
                if record_sent(session, job, now or utcnow(), response_status):
                    report.sent.append(job.id)
    return report


def pending_count(session: Session, channel: Channel | None = None) -> int:
    from sqlalchemy import func

    q = select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.PENDING)
    if channel is not None:
        q = q.where(Delivery.channel == channel)
    return int(session.scalar(q) or 0)
