"""What operators watch, read from the database: readiness and the figures ``/metrics`` shows.

The figures are the database's, not a process's: every worker and host reports the same
purchases by state, URLs issued, outbox backlog and audit head, and they survive restarts.
Only reads; nothing here changes state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from catalog.db import end_read
from catalog.models.access import AccessGrant
from catalog.models.audit import AuditChainHead
from catalog.models.notifications import Delivery, DeliveryStatus
from catalog.models.purchases import Purchase, PurchaseStatus

# The outbox of notifications: rows waiting to be delivered (or retried) are the backlog;
# delivered and finally failed ones are not.
OUTBOX_WAITING = (DeliveryStatus.PENDING.value,)


@dataclass
class Figures:
    purchases: dict[str, int] = field(default_factory=dict)  # status → count
    access_grants: int = 0
    urls_issued: int = 0
    audit_head_seq: int = 0
    outbox: dict[str, int] = field(default_factory=dict)  # status → count

    @property
    def outbox_backlog(self) -> int:
        return sum(n for status, n in self.outbox.items() if status in OUTBOX_WAITING)


def ping_database(session: Session) -> None:
    """One round trip to the database; raises the driver's error when it cannot answer."""
    session.execute(text("SELECT 1"))
    end_read(session)


def _outbox_counts(session: Session) -> dict[str, int]:
    """Deliveries by status."""
    rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    return {DeliveryStatus(status).value: int(n) for status, n in rows}


def service_figures(session: Session) -> Figures:
    """The figures of ``/metrics`` in one short read-only transaction."""
    counts = dict(
        session.execute(select(Purchase.status, func.count()).group_by(Purchase.status)).all()
    )
    grants, urls = session.execute(
        select(func.count(), func.coalesce(func.sum(AccessGrant.object_count), 0)).select_from(
            AccessGrant
        )
    ).one()
    head = session.scalar(select(AuditChainHead.seq).where(AuditChainHead.id == 1))
    figures = Figures(
        purchases={s.value: int(counts.get(s, 0)) for s in PurchaseStatus},
        access_grants=int(grants),
        urls_issued=int(urls),
        audit_head_seq=int(head or 0),
        outbox=_outbox_counts(session),
    )
    end_read(session)
    return figures
