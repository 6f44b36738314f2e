"""Sales, licences and downloads per dataset, for the provider console.

A provider sees these figures for the datasets it manages (an admin for every dataset):
how many purchases were approved and for how much, how many licences are in force, and
how many download batches, objects and bytes the access broker issued. Teams' names and
balances are not part of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog import policy
from catalog.models.access import AccessGrant
from catalog.models.datasets import Dataset
from catalog.models.licenses import License, LicenseStatus
from catalog.models.purchases import Purchase, PurchaseStatus
from catalog.services.context import Actor


@dataclass(frozen=True)
class DatasetFigures:
    sales: int = 0
    revenue_krw: int = 0
    licences_in_force: int = 0
    downloads: int = 0
    objects_issued: int = 0
    bytes_issued: int = 0


def dataset_figures(
    session: Session, actor: Actor, datasets: Iterable[Dataset]
) -> dict[int, DatasetFigures]:
    """Figures for each of ``datasets`` the actor manages, keyed by dataset id."""
    ids = []
    for dataset in datasets:
        policy.require(actor, "dataset.manage", dataset)
        ids.append(dataset.id)
    if not ids:
        return {}
    sales: dict[int, tuple[int, int]] = {
        ds_id: (int(count), int(total))
        for ds_id, count, total in session.execute(
            select(
                Purchase.dataset_id,
                func.count(Purchase.id),
                func.coalesce(func.sum(Purchase.price_krw), 0),
            )
            .where(Purchase.dataset_id.in_(ids), Purchase.status == PurchaseStatus.APPROVED)
            .group_by(Purchase.dataset_id)
        )
    }
    licences: dict[int, int] = {
        ds_id: int(count)
        for ds_id, count in session.execute(
            select(License.dataset_id, func.count(License.id))
            .where(License.dataset_id.in_(ids), License.status == LicenseStatus.ACTIVE)
            .group_by(License.dataset_id)
        )
    }
    grants: dict[int, tuple[int, int, int]] = {
        ds_id: (int(batches), int(objects), int(nbytes))
        for ds_id, batches, objects, nbytes in session.execute(
            select(
                AccessGrant.dataset_id,
                func.count(AccessGrant.id),
                func.coalesce(func.sum(AccessGrant.object_count), 0),
                func.coalesce(func.sum(AccessGrant.byte_count), 0),
            )
            .where(AccessGrant.dataset_id.in_(ids))
            .group_by(AccessGrant.dataset_id)
        )
    }
    out: dict[int, DatasetFigures] = {}
    for ds_id in ids:
        count, total = sales.get(ds_id, (0, 0))
        batches, objects, nbytes = grants.get(ds_id, (0, 0, 0))
        out[ds_id] = DatasetFigures(
            sales=count,
            revenue_krw=total,
            licences_in_force=licences.get(ds_id, 0),
            downloads=batches,
            objects_issued=objects,
            bytes_issued=nbytes,
        )
    return out
