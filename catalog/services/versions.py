"""Dataset versions: drafts, verified provider uploads, bucket sync and publishing.

A provider creates a draft version, asks for upload URLs per file (one presigned PUT, or
presigned part PUTs of a multipart upload for big files), uploads the bytes straight to
the object store and then completes the upload. Completion reads the uploaded object back
from the store, checks its size and SHA-256 against the declared ones and only then adds
it to the manifest: a mismatch deletes the upload and changes nothing. Uploads land in a
staging key (``.kdc-uploads/…``) and are moved into the version's prefix under a lock on
the version, so a still-valid upload URL can never overwrite a verified object.
Publishing freezes the manifest; ``sync_version`` registers an existing bucket prefix.

Upload state lives in the object store and in a signed ticket (the ``upload_id`` handed
to the client), not in the database: an abandoned upload leaves no row behind.
"""

from __future__ import annotations

import math
import mimetypes
import posixpath
import re
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.db import transaction, utcnow
from catalog.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, Unavailable
from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion, VersionStatus
from catalog.services.audit import record_event
from catalog.services.context import Actor
from storage.base import (
    MAX_PART_SIZE,
    MAX_PARTS,
    MAX_SINGLE_PUT,
    MIN_PART_SIZE,
    STAGING_PREFIX,
    AccessDenied,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StorageUnavailable,
    check_key,
    is_internal_key,
)

LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_OBJECT_SIZE = 5 * 1024**4  # S3's largest object
DEFAULT_PART_SIZE = 64 * 1024**2
DEFAULT_MULTIPART_THRESHOLD = 64 * 1024**2
UPLOAD_TICKET_MAX_AGE = 7 * 24 * 3600
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
            return store.for_bucket(version.bucket)  # type: ignore[attr-defined]
    raise Unavailable(
        f"Version {version.label} is stored in a {version.storage_backend!r} store that this "
        "server is not configured for.",
        code="storage_not_configured",
        retry_after=60,
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


def may_manage(actor: Actor, dataset: Dataset) -> bool:
    return (
        actor.is_system
        or actor.is_admin
        or (actor.institution_id is not None and actor.institution_id == dataset.institution_id)
    )


def require_manager(actor: Actor, dataset: Dataset) -> None:
    if not may_manage(actor, dataset):
        raise Forbidden(
            "Only the staff of the dataset's institution manage its versions.",
            code="not_dataset_provider",
        )


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


def list_versions(session: Session, actor: Actor, slug: str) -> list[DatasetVersion]:
    """Every version for the dataset's providers, admins and auditors; published for others."""
    dataset = get_dataset(session, slug)
    stmt = select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id)
    if not (may_manage(actor, dataset) or actor.is_auditor):
        stmt = stmt.where(DatasetVersion.status == VersionStatus.PUBLISHED)
    return list(session.scalars(stmt.order_by(DatasetVersion.id)))


def show_version(session: Session, actor: Actor, slug: str, label: str) -> DatasetVersion:
    dataset = get_dataset(session, slug)
    version = get_version(session, dataset, label)
    if version.status != VersionStatus.PUBLISHED and not (
        may_manage(actor, dataset) or actor.is_auditor
    ):
        raise NotFound(f"Dataset {slug!r} has no version {label!r}.", code="version_not_found")
    return version


def _require_draft(version: DatasetVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise Conflict(
            f"Version {version.label} is published; its manifest is frozen.",
            code="version_published",
        )


def _require_uploadable(store: ObjectStore, version: DatasetVersion) -> None:
    if version.storage_backend != store.scheme or (
        store.scheme == "s3" and version.bucket not in ("", store.bucket)
    ):
        raise Conflict(
            f"Version {version.label} lives in another store; upload to a version "
            "created on this server.",
            code="version_not_uploadable",
        )


def check_object_key(key: str, version: DatasetVersion) -> str:
    """A manifest key: a clean relative path that fits the column with its prefix."""
    try:
        check_key(key)
    except ValueError:
        raise InvalidInput(
            f"Invalid object key {key!r}: use a relative path of '/'-separated "
            "names without '.', '..' or empty segments.",
            code="invalid_key",
        ) from None
    if is_internal_key(key) or any(ord(c) < 0x20 or c == "\x7f" for c in key):
        raise InvalidInput(f"Invalid object key {key!r}.", code="invalid_key")
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
        require_manager(actor, dataset)
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
            "version:create",
            "dataset_version",
            version.id,
            {"dataset": slug, "version": label, "backend": store.scheme, "prefix": version.prefix},
        )
    return version


def publish_version(session: Session, actor: Actor, slug: str, label: str) -> DatasetVersion:
    """Publish a draft: its manifest is frozen from now on."""
    with transaction(session):
        dataset = get_dataset(session, slug)
        require_manager(actor, dataset)
        version = get_version(session, dataset, label, for_update=True)
        _require_draft(version)
        if version.object_count == 0:
            raise Conflict(
                f"Version {label} has no objects; upload or sync files first.", code="version_empty"
            )
        version.status = VersionStatus.PUBLISHED
        version.published_at = utcnow()
        session.flush()
        record_event(
            session,
            actor,
            "version:publish",
            "dataset_version",
            version.id,
            {
                "dataset": slug,
                "version": label,
                "object_count": version.object_count,
                "total_bytes": version.total_bytes,
            },
        )
    return version


def delete_object(
    session: Session, actor: Actor, store: ObjectStore, slug: str, label: str, key: str
) -> None:
    """Remove an object from a draft's manifest and from the store."""
    with transaction(session):
        dataset = get_dataset(session, slug)
        require_manager(actor, dataset)
        version = get_version(session, dataset, label, for_update=True)
        _require_draft(version)
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
            "version:remove_object",
            "dataset_version",
            version.id,
            {"dataset": slug, "version": label, "key": key, "size": obj.size, "sha256": obj.sha256},
        )
        # Delete the bytes last: if the store fails, the transaction rolls back.
        with storage_errors():
            store_for_version(store, version).delete(full_key(version, key))


# --- uploads -----------------------------------------------------------------------------------


class UploadTickets:
    """Signs and reads the ``upload_id`` tickets that carry an upload's declared facts."""

    def __init__(self, secret: str):
        self._s = URLSafeTimedSerializer(secret, salt="kdc-upload-ticket")

    def dumps(self, data: dict) -> str:
        return self._s.dumps(data)

    def loads(self, token: str) -> dict:
        try:
            return self._s.loads(token, max_age=UPLOAD_TICKET_MAX_AGE)
        except SignatureExpired:
            raise Conflict(
                "This upload is more than 7 days old; start a new one.", code="upload_expired"
            ) from None
        except BadSignature:
            raise NotFound("No such upload.", code="upload_not_found") from None


@dataclass
class UploadPlan:
    upload_id: str
    key: str
    size: int
    sha256: str
    content_type: str
    multipart: bool
    part_size: int | None
    url: str | None
    parts: list[dict]
    expires_at: datetime
    received: list[dict] | None = None


def _part_layout(size: int, part_size: int) -> list[tuple[int, int]]:
    """``(part number, part size)`` for a multipart upload of ``size`` bytes."""
    count = max(1, math.ceil(size / part_size))
    return [(n, min(part_size, size - (n - 1) * part_size)) for n in range(1, count + 1)]


def _choose_part_size(size: int, requested: int | None) -> int:
    part = requested or DEFAULT_PART_SIZE
    if not MIN_PART_SIZE <= part <= MAX_PART_SIZE:
        raise InvalidInput(
            f"part_size must be between {MIN_PART_SIZE} and {MAX_PART_SIZE} bytes.",
            code="invalid_part_size",
        )
    if math.ceil(size / part) > MAX_PARTS:
        if requested:
            raise InvalidInput(
                f"{size} bytes in parts of {part} would need more than "
                f"{MAX_PARTS} parts; choose a larger part_size.",
                code="invalid_part_size",
            )
        part = math.ceil(size / MAX_PARTS / 1024**2) * 1024**2
    return part


def _normalise_declared(size, sha256: str, key: str, content_type: str | None):
    sha = (sha256 or "").strip().lower()
    if not SHA256_RE.match(sha):
        raise InvalidInput("sha256 must be 64 hexadecimal digits.", code="invalid_sha256")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_OBJECT_SIZE:
        raise InvalidInput(
            f"size must be a whole number of bytes from 0 to {MAX_OBJECT_SIZE}.",
            code="invalid_size",
        )
    ctype = (
        content_type
        or mimetypes.guess_type(posixpath.basename(key))[0]
        or "application/octet-stream"
    )
    return sha, ctype


def request_upload(
    session: Session,
    actor: Actor,
    store: ObjectStore,
    tickets: UploadTickets,
    slug: str,
    label: str,
    *,
    key: str,
    size: int,
    sha256: str,
    content_type: str | None = None,
    multipart: bool | None = None,
    part_size: int | None = None,
    ttl: int = 6 * 3600,
) -> UploadPlan:
    """Presigned URL(s) to upload one file of a draft version; nothing is recorded yet."""
    dataset = get_dataset(session, slug)
    require_manager(actor, dataset)
    version = get_version(session, dataset, label)
    _require_draft(version)
    _require_uploadable(store, version)
    check_object_key(key, version)
    sha, ctype = _normalise_declared(size, sha256, key, content_type)
    if _object_exists(session, version, key):
        raise Conflict(
            f"Version {label} already has {key!r}; delete it first to replace it.",
            code="object_exists",
        )
    version_id = version.id
    session.rollback()  # end the read transaction before talking to the store
    if multipart is None:
        multipart = size > DEFAULT_MULTIPART_THRESHOLD
    if not multipart and size > MAX_SINGLE_PUT:
        raise InvalidInput(
            f"A single PUT carries at most {MAX_SINGLE_PUT} bytes; use multipart.",
            code="multipart_required",
        )
    if multipart and size == 0:
        raise InvalidInput("An empty file is uploaded with a single PUT.", code="invalid_size")
    staging = f"{STAGING_PREFIX}/{uuid.uuid4().hex}"
    chosen_part = _choose_part_size(size, part_size) if multipart else None
    expires_at = utcnow().replace(microsecond=0) + timedelta(seconds=ttl)
    with storage_errors():
        if multipart:
            upload = store.create_multipart(staging, ctype)
            layout = _part_layout(size, chosen_part)
            urls = store.presign_upload_parts(staging, upload, [n for n, _ in layout], ttl)
            parts = [
                {"number": n, "size": s, "url": u} for (n, s), u in zip(layout, urls, strict=True)
            ]
            url = None
        else:
            upload = None
            url = store.presign_put(staging, ttl, content_type=ctype)
            parts = []
    ticket = tickets.dumps(
        {
            "v": version_id,
            "k": key,
            "s": size,
            "h": sha,
            "c": ctype,
            "st": staging,
            "u": upload,
            "p": chosen_part,
        }
    )
    return UploadPlan(
        upload_id=ticket,
        key=key,
        size=size,
        sha256=sha,
        content_type=ctype,
        multipart=bool(multipart),
        part_size=chosen_part,
        url=url,
        parts=parts,
        expires_at=expires_at,
    )


def _object_exists(session: Session, version: DatasetVersion, key: str) -> bool:
    return (
        session.scalar(
            select(DatasetObject.id).where(
                DatasetObject.version_id == version.id, DatasetObject.key == key
            )
        )
        is not None
    )


def _ticket_version(
    session: Session, actor: Actor, tickets: UploadTickets, slug: str, label: str, upload_id: str
) -> tuple[dict, Dataset, DatasetVersion]:
    ticket = tickets.loads(upload_id)
    dataset = get_dataset(session, slug)
    require_manager(actor, dataset)
    version = get_version(session, dataset, label)
    if ticket.get("v") != version.id:
        raise NotFound("No such upload for this version.", code="upload_not_found")
    return ticket, dataset, version


def upload_status(
    session: Session,
    actor: Actor,
    store: ObjectStore,
    tickets: UploadTickets,
    slug: str,
    label: str,
    upload_id: str,
    ttl: int = 6 * 3600,
) -> UploadPlan:
    """Where an upload stands, with fresh URLs for what is still missing (to resume)."""
    ticket, _dataset, version = _ticket_version(session, actor, tickets, slug, label, upload_id)
    _require_draft(version)
    session.rollback()
    staging, upload, size = ticket["st"], ticket["u"], ticket["s"]
    expires_at = utcnow().replace(microsecond=0) + timedelta(seconds=ttl)
    with storage_errors():
        if upload:
            try:
                received = store.list_parts(staging, upload)
            except ObjectNotFound:
                raise Conflict(
                    "This upload was completed or aborted.", code="upload_finished"
                ) from None
            got = {p.number: p.size for p in received}
            layout = _part_layout(size, ticket["p"])
            missing = [(n, s) for n, s in layout if got.get(n) != s]
            urls = store.presign_upload_parts(staging, upload, [n for n, _ in missing], ttl)
            parts = [
                {"number": n, "size": s, "url": u} for (n, s), u in zip(missing, urls, strict=True)
            ]
            return UploadPlan(
                upload_id=upload_id,
                key=ticket["k"],
                size=size,
                sha256=ticket["h"],
                content_type=ticket["c"],
                multipart=True,
                part_size=ticket["p"],
                url=None,
                parts=parts,
                expires_at=expires_at,
                received=[{"number": p.number, "size": p.size} for p in received],
            )
        uploaded = store.exists(staging)
        return UploadPlan(
            upload_id=upload_id,
            key=ticket["k"],
            size=size,
            sha256=ticket["h"],
            content_type=ticket["c"],
            multipart=False,
            part_size=None,
            url=None if uploaded else store.presign_put(staging, ttl),
            parts=[],
            expires_at=expires_at,
            received=[{"number": 1, "size": size}] if uploaded else [],
        )


def abort_upload(
    session: Session,
    actor: Actor,
    store: ObjectStore,
    tickets: UploadTickets,
    slug: str,
    label: str,
    upload_id: str,
) -> None:
    """Discard an upload's bytes (staging object or parts); idempotent."""
    ticket, _dataset, _version = _ticket_version(session, actor, tickets, slug, label, upload_id)
    session.rollback()
    with storage_errors():
        if ticket["u"]:
            store.abort_multipart(ticket["st"], ticket["u"])
        store.delete(ticket["st"])


def complete_upload(
    session: Session,
    actor: Actor,
    store: ObjectStore,
    tickets: UploadTickets,
    slug: str,
    label: str,
    upload_id: str,
) -> DatasetObject:
    """Verify an uploaded file's size and SHA-256 and add it to the draft's manifest.

    A mismatch deletes the uploaded bytes and raises 422 (``size_mismatch``,
    ``checksum_mismatch``); the manifest is untouched. The read-back costs one full read
    of the object (minutes for tens of gigabytes), done before any lock is taken.
    """
    ticket, dataset, version = _ticket_version(session, actor, tickets, slug, label, upload_id)
    _require_draft(version)
    key, size, sha, ctype = ticket["k"], ticket["s"], ticket["h"], ticket["c"]
    staging, upload = ticket["st"], ticket["u"]
    if _object_exists(session, version, key):
        raise Conflict(f"Version {label} already has {key!r}.", code="object_exists")
    target = full_key(version, key)
    session.rollback()  # no transaction (nor SQLite write lock) while reading the bytes

    def refuse(exc: DomainError) -> DomainError:
        with storage_errors():
            if upload:
                store.abort_multipart(staging, upload)
            store.delete(staging)
        return exc

    with storage_errors():
        if upload:
            try:
                parts = store.list_parts(staging, upload)
            except ObjectNotFound:
                parts = None
            if parts is None:
                if not store.exists(staging):
                    raise Conflict("This upload was completed or aborted.", code="upload_finished")
            else:
                expected = _part_layout(size, ticket["p"])
                got = [(p.number, p.size) for p in parts]
                if len(got) < len(expected) and sum(s for _, s in got) < size:
                    missing = sorted({n for n, _ in expected} - {n for n, _ in got})
                    raise Conflict(
                        f"Parts still missing: {missing[:20]}{' …' if len(missing) > 20 else ''}.",
                        code="upload_incomplete",
                        missing_parts=missing[:1000],
                    )
                if got != expected:
                    raise refuse(
                        InvalidInput(
                            f"The uploaded parts ({len(got)} parts, {sum(s for _, s in got)} bytes) "
                            f"do not match the declared {size} bytes in parts of {ticket['p']}; "
                            "the upload was discarded.",
                            code="size_mismatch",
                        )
                    )
                try:
                    store.complete_multipart(staging, upload)
                except ValueError as exc:
                    raise refuse(
                        InvalidInput(f"{exc}; the upload was discarded.", code="parts_invalid")
                    ) from None
        try:
            actual_size, actual_sha = store.hash_object(staging)
        except ObjectNotFound:
            raise Conflict(
                "Nothing has been uploaded for this upload yet (or it was already "
                "completed or aborted).",
                code="upload_missing",
            ) from None
        if actual_size != size:
            raise refuse(
                InvalidInput(
                    f"The uploaded file has {actual_size} bytes, not the "
                    f"declared {size}; the upload was discarded.",
                    code="size_mismatch",
                )
            )
        if actual_sha != sha:
            raise refuse(
                InvalidInput(
                    f"The uploaded file's SHA-256 is {actual_sha}, not the "
                    f"declared {sha}; the upload was discarded.",
                    code="checksum_mismatch",
                )
            )
    moved = False
    try:
        with transaction(session):
            version = get_version(session, dataset, label, for_update=True)
            _require_draft(version)
            if _object_exists(session, version, key):
                raise Conflict(f"Version {label} already has {key!r}.", code="object_exists")
            with storage_errors():
                store.move(staging, target, content_type=ctype)
            moved = True
            obj = DatasetObject(
                version_id=version.id, key=key, size=size, sha256=sha, content_type=ctype
            )
            session.add(obj)
            version.object_count += 1
            version.total_bytes += size
            session.flush()
            record_event(
                session,
                actor,
                "version:add_object",
                "dataset_version",
                version.id,
                {
                    "dataset": slug,
                    "version": label,
                    "key": key,
                    "size": size,
                    "sha256": sha,
                    "content_type": ctype,
                },
            )
    except BaseException:
        if moved:
            # The row did not commit: take the bytes back out so nothing half-done remains.
            try:
                store.delete(target)
            except StorageError:
                pass
        raise
    return obj


# --- registering an existing prefix ----------------------------------------------------------


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
    require_manager(actor, dataset)
    _check_sync_target(session, dataset, label, store, prefix)
    session.rollback()
    with storage_errors():
        listed = list(store.list(prefix + "/"))
    if not listed:
        raise InvalidInput(f"No objects under {prefix}/.", code="prefix_empty")
    done = 0

    def digest(info):
        with storage_errors():
            return store.hash_object(info.key)

    rows = []
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
    for row in rows:
        if len(row["key"]) + len(prefix) + 1 > KEY_MAX:
            raise InvalidInput(f"Object key too long: {row['key'][:80]}…", code="invalid_key")
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
            "version:sync",
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
                "version:publish",
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
    _require_draft(version)
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
