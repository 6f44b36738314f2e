"""Reading the catalogue: datasets, institutions, who holds what."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog.errors import NotFound
from catalog.models.datasets import Dataset, DatasetStatus
from catalog.models.institutions import Institution
from catalog.models.licenses import License, LicenseStatus
from catalog.models.teams import Team


def get_published_dataset(session: Session, slug: str) -> Dataset:
    dataset = session.scalar(
        select(Dataset)
        .where(Dataset.slug == slug, Dataset.status == DatasetStatus.PUBLISHED)
        .options(
            selectinload(Dataset.offers),
            selectinload(Dataset.versions),
            selectinload(Dataset.institution),
        )
    )
    if dataset is None:
        raise NotFound(f"No published dataset {slug!r}.")
    return dataset


def licensed_team_codes(session: Session, dataset: Dataset) -> list[str]:
    return sorted(
        session.scalars(
            select(Team.code)
            .join(License, License.team_id == Team.id)
            .where(License.dataset_id == dataset.id, License.status == LicenseStatus.ACTIVE)
            .distinct()
        )
    )


def list_institutions(session: Session) -> list[Institution]:
    return list(session.scalars(select(Institution).order_by(Institution.code)))


def get_team(session: Session, code: str) -> Team:
    team = session.scalar(select(Team).where(Team.code == code))
    if team is None:
        raise NotFound(f"No team {code!r}.")
    return team
