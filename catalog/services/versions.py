"""Dataset versions: drafts, their manifests, publishing (which freezes the manifest).

A version's objects live under ``datasets/<slug>/<label>`` of the configured store (or a
registered bucket prefix, ``bucket_sync``). Files reach a draft through verified uploads
(``uploads``) or a bucket sync; publishing freezes the manifest. The helpers at the top
(store of a version, storage errors as 503 problems) are shared with the access broker.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog import policy
from catalog.db import after_commit, transaction, utcnow
from catalog.errors import Conflict, DomainError, InvalidInput, NotFound, Unavailable
from catalog.models.audit import AuditAction
from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion, VersionStatus
from catalog.services import notices
from catalog.services.audit import record_event
from catalog.services.context import Actor
from storage.base import (
    AccessDenied,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StorageUnavailable,
    check_key,
    is_internal_key,
)

log = logging.getLogger(__name__)
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")
KEY_MAX = 1024


# --- storage helpers shared with the access broker ------------------------------------------


@contextmanager
def storage_errors(what: str = "The object store") -> Iterator[None]:
    """Turn storage failures (other than a missing object) into 503 problems."""
    try:
        yield
    except ObjectNotFound:
        raise
    except StorageUnavailable as exc:
        raise Unavailable(
            f"{what} is unavailable; retry shortly.", retry_after=10, code="storage_unavailable"
        ) from exc
    except AccessDenied as exc:
        raise Unavailable(
            f"{what} refused the catalogue's credentials; the operators "
            "have to fix its configuration.",
            retry_after=60,
            code="storage_access_denied",
        ) from exc
    except StorageError as exc:
        raise Unavailable(
            f"{what} failed; retry shortly.", retry_after=10, code="storage_error"
        ) from exc


def store_for_version(store: ObjectStore, version: DatasetVersion) -> ObjectStore:
    """The store holding a version's bytes: the configured one, or a sibling S3 bucket."""
    if version.storage_backend == store.scheme:
        if store.scheme == "file" or version.bucket in ("", store.bucket):
            return store
        if store.scheme == "s3":
            from storage.s3 import S3Store

            assert isinstance(store, S3Store)
            return store.for_bucket(version.bucket)
    # Permanent until an operator configures the store: no Retry-After.
    raise DomainError(
        f"Version {version.label} is stored in a {version.storage_backend!r} store that this "
        "server is not configured for.",
        code="storage_not_configured",
        status=503,
    )


def full_key(version: DatasetVersion, key: str) -> str:
    return f"{version.prefix}/{key}"


# --- lookups and permissions ---------------------------------------------------------------------


def get_dataset(session: Session, slug: str) -> Dataset:
    dataset = (
        session.scalar(select(Dataset).where(Dataset.slug == slug)) if len(slug) <= 100 else None
    )
    if dataset is None:
        raise NotFound(f"No dataset {slug!r}.", code="not_found")
    return dataset


def get_version(
    session: Session, dataset: Dataset, label: str, *, for_update: bool = False
) -> DatasetVersion:
    stmt = select(DatasetVersion).where(
        DatasetVersion.dataset_id == dataset.id, DatasetVersion.label == label
    )
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    version = session.scalar(stmt) if len(label) <= 50 else None
    if version is None:
        raise NotFound(
            f"Dataset {dataset.slug!r} has no version {label!r}.", code="version_not_found"
        )
    return version


def latest_published_version(session: Session, dataset: Dataset) -> DatasetVersion | None:
    """The dataset's newest published version (what downloads and previews default to)."""
    return session.scalar(
        select(DatasetVersion)
        .where(
            DatasetVersion.dataset_id == dataset.id,
            DatasetVersion.status == VersionStatus.PUBLISHED,
        )
        .order_by(DatasetVersion.published_at.desc(), DatasetVersion.id.desc())
        .limit(1)
    )


def list_versions(session: Session, actor: Actor, slug: str) -> list[DatasetVersion]:
    """Every version for the dataset's providers, admins and auditors; published for others."""
    dataset = get_dataset(session, slug)
    stmt = select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id)
    if not policy.can(actor, "dataset.view_drafts", dataset):
        stmt = stmt.where(DatasetVersion.status == VersionStatus.PUBLISHED)
    return list(session.scalars(stmt.order_by(DatasetVersion.id)))


def show_version(session: Session, actor: Actor, slug: str, label: str) -> DatasetVersion:
    dataset = get_dataset(session, slug)
    version = get_version(session, dataset, label)
    if version.status != VersionStatus.PUBLISHED and not policy.can(
        actor, "dataset.view_drafts", dataset
    ):
        raise NotFound(f"Dataset {slug!r} has no version {label!r}.", code="version_not_found")
    return version


def require_draft(version: DatasetVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise Conflict(
            f"Version {version.label} is published; its manifest is frozen.",
            code="version_published",
        )


def require_uploadable(store: ObjectStore, version: DatasetVersion) -> None:
    if version.storage_backend != store.scheme or (
        store.scheme == "s3" and version.bucket not in ("", store.bucket)
    ):
        raise Conflict(
            f"Version {version.label} lives in another store; upload to a version "
            "created on this server.",
            code="version_not_uploadable",
        )


def check_manifest_key(key: str) -> str:
    """A manifest key is a clean relative path: '/'-separated names, none of them empty,
    '.' or '..', no control characters, not in the internal area (uploads, ``storage sync``
    and anything else that writes a manifest apply this one rule)."""
    try:
        check_key(key)
    except ValueError:
        raise InvalidInput(
            f"Invalid object key {key!r}: use a relative path of '/'-separated "
            "names without '.', '..' or empty segments.",
            code="invalid_key",
            key=key,
        ) from None
    if is_internal_key(key) or any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in key):
        raise InvalidInput(
            f"Invalid object key {key!r}: no control characters, and not under '.kdc-' (internal).",
            code="invalid_key",
            key=key,
        )
    return key


def check_object_key(key: str, version: DatasetVersion) -> str:
    """A manifest key: a clean relative path that fits the column with its prefix."""
    check_manifest_key(key)
    if len(full_key(version, key)) > KEY_MAX or len(full_key(version, key).encode()) > KEY_MAX:
        raise InvalidInput(
            f"Object key too long (at most {KEY_MAX - len(version.prefix) - 1} "
            "bytes in this version).",
            code="invalid_key",
        )
    return key


# --- creating and publishing ---------------------------------------------------------------------


def create_version(
    session: Session,
    actor: Actor,
    store: ObjectStore,
    slug: str,
    label: str,
    release_notes: str = "",
) -> DatasetVersion:
    """A new empty draft version whose objects will live under ``datasets/<slug>/<label>``."""
    if not LABEL_RE.match(label or ""):
        raise InvalidInput(
            "A version label is 1–50 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. 2025.1).",
            code="invalid_label",
        )
    with transaction(session):
        dataset = get_dataset(session, slug)
        policy.require(actor, "dataset.manage", dataset)
        exists = session.scalar(
            select(DatasetVersion.id).where(
                DatasetVersion.dataset_id == dataset.id, DatasetVersion.label == label
            )
        )
        if exists:
            raise Conflict(
                f"Dataset {slug!r} already has a version {label!r}.", code="version_exists"
            )
        version = DatasetVersion(
            dataset_id=dataset.id,
            label=label,
            storage_backend=store.scheme,
            bucket=store.bucket,
            prefix=f"datasets/{slug}/{label}",
            release_notes=release_notes,
        )
        session.add(version)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(
                f"Dataset {slug!r} already has a version {label!r}.", code="version_exists"
            ) from None
        record_event(
            session,
            actor,
            AuditAction.VERSION_CREATE,
            "dataset_version",
            version.id,
            {"dataset": slug, "version": label, "backend": store.scheme, "prefix": version.prefix},
        )
    return version


def publish_version(session: Session, actor: Actor, slug: str, label: str) -> DatasetVersion:
    """Publish a draft: its manifest is frozen from now on."""
    with transaction(session):
        dataset = get_dataset(session, slug)
        policy.require(actor, "dataset.manage", dataset)
        version = get_version(session, dataset, label, for_update=True)
        require_draft(version)
        if version.object_count == 0:
            raise Conflict(
                f"Version {label} has no objects; upload or sync files first.", code="version_empty"
            )
        version.status = VersionStatus.PUBLISHED
        version.published_at = utcnow()
        # The dataset's size is its newest published version's: the catalogue shows it.
        dataset.total_bytes = version.total_bytes
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.VERSION_PUBLISH,
            "dataset_version",
            version.id,
            {
                "dataset": slug,
                "version": label,
                "object_count": version.object_count,
                "total_bytes": version.total_bytes,
            },
        )
        notices.version_published(session, actor, dataset, version)
    return version


def delete_object(
    session: Session, actor: Actor, store: ObjectStore, slug: str, label: str, key: str
) -> None:
    """Remove an object from a draft's manifest and from the store."""
    with transaction(session):
        dataset = get_dataset(session, slug)
        policy.require(actor, "dataset.manage", dataset)
        version = get_version(session, dataset, label, for_update=True)
        require_draft(version)
        obj = session.scalar(
            select(DatasetObject).where(
                DatasetObject.version_id == version.id, DatasetObject.key == key
            )
        )
        if obj is None:
            raise NotFound(f"Version {label} has no object {key!r}.", code="object_not_found")
        version.object_count -= 1
        version.total_bytes -= obj.size
        session.delete(obj)
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.VERSION_REMOVE_OBJECT,
            "dataset_version",
            version.id,
            {"dataset": slug, "version": label, "key": key, "size": obj.size, "sha256": obj.sha256},
        )
        # The bytes go once the manifest no longer lists them: a store that fails then
        # leaves an unlisted object behind (harmless), never a listed object without bytes.
        target_store, target = store_for_version(store, version), full_key(version, key)
        after_commit(session, lambda: _delete_bytes(target_store, target))


def _delete_bytes(store: ObjectStore, key: str) -> None:
    try:
        store.delete(key)
    except StorageError:
        log.warning("could not delete %s from the object store; remove it by hand", key)


def object_exists(session: Session, version: DatasetVersion, key: str) -> bool:
    return (
        session.scalar(
            select(DatasetObject.id).where(
                DatasetObject.version_id == version.id, DatasetObject.key == key
            )
        )
        is not None
    )
