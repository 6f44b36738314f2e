"""Registering an existing bucket prefix (or local directory) as a dataset version.

``flask --app app storage sync`` checks every key under the prefix with the uploads' rule
(``versions.check_manifest_key``), reads every object to compute its SHA-256 (in parallel),
then writes the version and its manifest in one transaction, so a failure halfway leaves
nothing.
"""

from __future__ import annotations

import mimetypes
import posixpath
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from catalog import policy
from catalog.db import end_read, transaction, utcnow
from catalog.errors import Conflict, InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion, VersionStatus
from catalog.services.audit import record_event
from catalog.services.context import Actor
from catalog.services.versions import (
    KEY_MAX,
    LABEL_RE,
    check_manifest_key,
    get_dataset,
    get_version,
    require_draft,
    storage_errors,
)
from storage.base import (
    ObjectInfo,
    ObjectStore,
)


@dataclass
class SyncResult:
    version: DatasetVersion
    object_count: int
    total_bytes: int


def sync_version(
    session: Session,
    actor: Actor,
    store: ObjectStore,
    slug: str,
    label: str,
    prefix: str,
    *,
    publish: bool = False,
    release_notes: str = "",
    workers: int = 8,
    progress: Callable[[int, int], None] | None = None,
) -> SyncResult:
    """Register every object under ``prefix`` of ``store`` as version ``label``.

    Each object is read in full to compute its SHA-256 (``workers`` in parallel); the
    version and its manifest are then written in one transaction, so a failure halfway
    leaves nothing. The version must be new, or an empty draft with the same location.
    """
    prefix = prefix.strip("/")
    if not prefix:
        raise InvalidInput(
            "Sync needs a prefix below the bucket or directory root.", code="invalid_prefix"
        )
    if not LABEL_RE.match(label or ""):
        raise InvalidInput(
            "A version label is 1–50 letters, digits, '.', '_' or '-'.", code="invalid_label"
        )
    dataset = get_dataset(session, slug)
    policy.require(actor, "dataset.manage", dataset)
    _check_sync_target(session, dataset, label, store, prefix)
    end_read(session)
    with storage_errors():
        listed = list(store.list(prefix + "/"))
    if not listed:
        raise InvalidInput(f"No objects under {prefix}/.", code="prefix_empty")
    # Every key passes the uploads' rule before any byte is read: a key with '..' or a
    # control character would be served, signed and logged as something else.
    for info in listed:
        rel = info.key[len(prefix) + 1 :]
        try:
            check_manifest_key(rel)
        except InvalidInput as exc:
            raise InvalidInput(
                f"Cannot register {info.key!r} under {prefix}/: {exc.detail} "
                "Rename or remove it; nothing was registered.",
                code="invalid_key",
                key=info.key,
            ) from None
        if len(info.key) > KEY_MAX or len(info.key.encode()) > KEY_MAX:
            raise InvalidInput(
                f"Object key too long ({len(info.key.encode())} bytes, at most {KEY_MAX}): "
                f"{info.key[:80]!r}…; nothing was registered.",
                code="invalid_key",
                key=info.key,
            )
    done = 0

    def digest(info: ObjectInfo) -> tuple[int, str]:
        with storage_errors():
            return store.hash_object(info.key)

    rows: list[dict[str, Any]] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for info, (size, sha) in zip(listed, pool.map(digest, listed), strict=True):
            rel = info.key[len(prefix) + 1 :]
            rows.append(
                {
                    "key": rel,
                    "size": size,
                    "sha256": sha,
                    "content_type": mimetypes.guess_type(posixpath.basename(rel))[0]
                    or "application/octet-stream",
                }
            )
            done += 1
            if progress:
                progress(done, len(listed))
    total = sum(r["size"] for r in rows)
    with transaction(session):
        version = _check_sync_target(session, dataset, label, store, prefix, lock=True)
        if version is None:
            version = DatasetVersion(
                dataset_id=dataset.id,
                label=label,
                storage_backend=store.scheme,
                bucket=store.bucket,
                prefix=prefix,
                release_notes=release_notes,
            )
            session.add(version)
            session.flush()
        now = utcnow()
        for start in range(0, len(rows), 5000):
            session.execute(
                insert(DatasetObject),
                [
                    {**r, "version_id": version.id, "created_at": now}
                    for r in rows[start : start + 5000]
                ],
            )
        version.object_count = len(rows)
        version.total_bytes = total
        location = (
            f"{store.scheme}://{store.bucket}/{prefix}"
            if store.scheme == "s3"
            else f"file://{prefix}"
        )
        record_event(
            session,
            actor,
            AuditAction.VERSION_SYNC,
            "dataset_version",
            version.id,
            {
                "dataset": slug,
                "version": label,
                "location": location,
                "object_count": len(rows),
                "total_bytes": total,
            },
        )
        if publish:
            version.status = VersionStatus.PUBLISHED
            version.published_at = now
            record_event(
                session,
                actor,
                AuditAction.VERSION_PUBLISH,
                "dataset_version",
                version.id,
                {
                    "dataset": slug,
                    "version": label,
                    "object_count": len(rows),
                    "total_bytes": total,
                },
            )
        session.flush()
    return SyncResult(version=version, object_count=len(rows), total_bytes=total)


def _check_sync_target(
    session: Session,
    dataset: Dataset,
    label: str,
    store: ObjectStore,
    prefix: str,
    *,
    lock: bool = False,
) -> DatasetVersion | None:
    try:
        version = get_version(session, dataset, label, for_update=lock)
    except NotFound:
        return None
    require_draft(version)
    count = session.scalar(
        select(func.count())
        .select_from(DatasetObject)
        .where(DatasetObject.version_id == version.id)
    )
    if (
        count
        or version.prefix != prefix
        or version.storage_backend != store.scheme
        or (store.scheme == "s3" and version.bucket != store.bucket)
    ):
        raise Conflict(
            f"Version {label} already exists with other contents; choose a new label.",
            code="version_exists",
        )
    return version
