"""Verified provider uploads into a draft version.

A provider asks for upload URLs per file (one presigned PUT, or presigned part PUTs of a
multipart upload for big files), uploads the bytes straight to the object store and then
completes the upload. Completion reads the uploaded object back from the store, checks its
size and SHA-256 against the declared ones and only then adds it to the manifest: a
mismatch deletes the upload and changes nothing. Uploads land in a staging key
(``.kdc-uploads/…``). Completion first moves the bytes to a sealed key (``.kdc-sealed/…``)
that no upload URL names, hashes that copy, and publishes that same copy into the
version's prefix under a lock on the version: a still-valid upload URL can neither swap
the bytes between the check and the publication nor overwrite a verified object.

Upload state lives in the object store and in a signed ticket (the ``upload_id`` handed to
the client), not in the database: an abandoned upload leaves no row behind but its audit
events (``upload:start``, ``upload:abort``; neither carries a URL or the ticket).
"""

from __future__ import annotations

import logging
import math
import mimetypes
import posixpath
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from catalog import policy
from catalog.db import after_rollback, end_read, transaction, utcnow
from catalog.errors import Conflict, DomainError, InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion
from catalog.services.audit import record_event
from catalog.services.context import Actor
from catalog.services.versions import (
    check_object_key,
    full_key,
    get_dataset,
    get_version,
    object_exists,
    require_draft,
    require_uploadable,
    storage_errors,
)
from storage.base import (
    MAX_PART_SIZE,
    MAX_PARTS,
    MAX_SINGLE_PUT,
    MIN_PART_SIZE,
    SEALED_PREFIX,
    STAGING_PREFIX,
    ObjectNotFound,
    ObjectStore,
    StorageError,
)

log = logging.getLogger(__name__)
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_OBJECT_SIZE = 5 * 1024**4  # S3's largest object
DEFAULT_PART_SIZE = 64 * 1024**2
DEFAULT_MULTIPART_THRESHOLD = 64 * 1024**2
UPLOAD_TICKET_MAX_AGE = 7 * 24 * 3600


class UploadTickets:
    """Signs and reads the ``upload_id`` tickets that carry an upload's declared facts."""

    def __init__(self, secret: str):
        self._s = URLSafeTimedSerializer(secret, salt="kdc-upload-ticket")

    def dumps(self, data: dict[str, Any]) -> str:
        return self._s.dumps(data)

    def loads(self, token: str) -> dict[str, Any]:
        try:
            data: dict[str, Any] = self._s.loads(token, max_age=UPLOAD_TICKET_MAX_AGE)
            return data
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
    parts: list[dict[str, Any]]
    expires_at: datetime
    received: list[dict[str, Any]] | None = None


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


def _normalise_declared(
    size: object, sha256: str, key: str, content_type: str | None
) -> tuple[str, str]:
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
    """Presigned URL(s) to upload one file of a draft version; only the audit event
    ``upload:start`` is recorded (the manifest changes at completion)."""
    dataset = get_dataset(session, slug)
    policy.require(actor, "dataset.manage", dataset)
    version = get_version(session, dataset, label)
    require_draft(version)
    require_uploadable(store, version)
    check_object_key(key, version)
    sha, ctype = _normalise_declared(size, sha256, key, content_type)
    if object_exists(session, version, key):
        raise Conflict(
            f"Version {label} already has {key!r}; delete it first to replace it.",
            code="object_exists",
        )
    version_id = version.id
    end_read(session)  # before talking to the store
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
            assert chosen_part is not None
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
    with transaction(session):
        record_event(
            session,
            actor,
            AuditAction.UPLOAD_START,
            "dataset_version",
            version_id,
            {
                "dataset": slug,
                "version": label,
                "key": key,
                "size": size,
                "sha256": sha,
                "multipart": bool(multipart),
                "upload_ref": staging.rsplit("/", 1)[-1],
            },
        )
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


def _ticket_version(
    session: Session, actor: Actor, tickets: UploadTickets, slug: str, label: str, upload_id: str
) -> tuple[dict[str, Any], Dataset, DatasetVersion]:
    ticket = tickets.loads(upload_id)
    dataset = get_dataset(session, slug)
    policy.require(actor, "dataset.manage", dataset)
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
    require_draft(version)
    end_read(session)
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
    """Discard an upload's bytes (staging object or parts); idempotent, and audited."""
    ticket, _dataset, version = _ticket_version(session, actor, tickets, slug, label, upload_id)
    version_id = version.id
    end_read(session)
    with storage_errors():
        if ticket["u"]:
            store.abort_multipart(ticket["st"], ticket["u"])
        store.delete(ticket["st"])
    with transaction(session):
        record_event(
            session,
            actor,
            AuditAction.UPLOAD_ABORT,
            "dataset_version",
            version_id,
            {
                "dataset": slug,
                "version": label,
                "key": ticket["k"],
                "upload_ref": ticket["st"].rsplit("/", 1)[-1],
            },
        )


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
    require_draft(version)
    key, size, sha, ctype = ticket["k"], ticket["s"], ticket["h"], ticket["c"]
    staging, upload = ticket["st"], ticket["u"]
    if object_exists(session, version, key):
        raise Conflict(f"Version {label} already has {key!r}.", code="object_exists")
    target = full_key(version, key)
    end_read(session)  # no transaction (nor SQLite write lock) while reading the bytes

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
        # Seal: from here on the bytes live where no upload URL reaches (a PUT to the
        # staging key now makes a new object there, which is thrown away).
        sealed = f"{SEALED_PREFIX}/{uuid.uuid4().hex}"
        try:
            store.move(staging, sealed, content_type=ctype)
        except ObjectNotFound:
            raise Conflict(
                "Nothing has been uploaded for this upload yet (or it was already "
                "completed or aborted).",
                code="upload_missing",
            ) from None
    try:
        with storage_errors():
            actual_size, actual_sha = store.hash_object(sealed)
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
        with transaction(session):
            version = get_version(session, dataset, label, for_update=True)
            require_draft(version)
            if object_exists(session, version, key):
                raise Conflict(f"Version {label} already has {key!r}.", code="object_exists")
            with storage_errors():
                # The very bytes just hashed: nobody can write to the sealed key.
                store.move(sealed, target, content_type=ctype)
            # Should the row not commit, take the bytes back out: nothing half-done remains.
            after_rollback(session, lambda: _discard(store, target))
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
                AuditAction.VERSION_ADD_OBJECT,
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
    finally:
        # Whatever happened, nothing stays sealed, and bytes PUT to the staging key after
        # the seal are never published.
        _discard(store, sealed)
        _discard(store, staging)
    return obj


def _discard(store: ObjectStore, key: str) -> None:
    try:
        store.delete(key)
    except StorageError:
        log.warning("could not remove %s after a failed upload completion", key)
