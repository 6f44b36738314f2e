"""What a team holds: each licence with its dataset, purchase mode, price paid and status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog.db import utcnow
from catalog.models.licenses import License
from catalog.models.purchases import Purchase, PurchaseParticipant
from catalog.models.teams import Team
from catalog.services import licensing


def team_holdings(
    session: Session, team: Team, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Each licence of the team: dataset, joint or individual, what the team paid, status."""
    now = now or utcnow()
    rows = session.execute(
        select(License, Purchase, PurchaseParticipant.share_krw)
        .join(Purchase, Purchase.id == License.purchase_id)
        .join(
            PurchaseParticipant,
            (PurchaseParticipant.purchase_id == Purchase.id)
            & (PurchaseParticipant.team_id == License.team_id),
        )
        .where(License.team_id == team.id)
        .order_by(License.id.desc())
        .options(selectinload(License.dataset))
    ).all()
    return [
        {
            "license_id": lic.id,
            "dataset": lic.dataset.slug,
            "mode": purchase.mode.value,
            "purchase_id": purchase.id,
            "price_krw": purchase.price_krw,
            "paid_krw": share,
            "status": licensing.effective_status(lic, now).value,
            "valid_until": lic.valid_until,
        }
        for lic, purchase, share in rows
    ]
