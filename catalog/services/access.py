"""The access broker: a licence check at the moment of issuance, then presigned URLs.

Only members and leads of a team holding an active licence for the dataset receive
download URLs. Every issuance (a manifest page or one file) writes an ``AccessGrant``
and an ``access:issue_urls`` audit event in the same transaction; neither ever holds
a URL or a signature. A URL lives ``URL_TTL`` seconds (900 by default), never more
than 3,600 and never past the licence's ``valid_until``; revoking or suspending a
licence stops new URLs at once (URLs already issued die at their expiry): an issuance reads
the licence again once it holds the audit chain head (``_still_usable``), so none commits
after a revocation it did not see.

Quotas (``catalog.licence_terms``): an offer may cap the objects and bytes issued per licence
term. The licence's row is locked, the usage checked and counted, the grant and its event
written, all in the issuance's transaction, so parallel requests can never exceed the cap;
a page that would cross it is refused whole (403 ``quota_exhausted`` with the figures).

Admins, auditors and providers hold no licence and get ``license_required``: the access
grant records the licence that justified each URL, and they have none. Providers verify
their own files when they upload them (the server checks size and SHA-256).
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import licence_terms, policy
from catalog.config import MAX_URL_TTL
from catalog.db import transaction, utcnow
from catalog.errors import Forbidden, InvalidInput, NotFound
from catalog.faults import pause_point
from catalog.models.access import AccessGrant
from catalog.models.audit import AuditAction
from catalog.models.datasets import (
    Dataset,
    DatasetObject,
    DatasetStatus,
    DatasetVersion,
    VersionStatus,
)
from catalog.models.licenses import License, LicenseStatus
from catalog.models.teams import Team, TeamStatus
from catalog.services import usage
from catalog.services.audit import record_event
from catalog.services.context import Actor
from catalog.services.versions import (
    full_key,
    latest_published_version,
    storage_errors,
    store_for_version,
)
from storage.base import ObjectStore

MAX_MANIFEST_LIMIT = 5000
_REFUSALS = {
    LicenseStatus.EXPIRED: ("Your team's licence for this dataset has expired.", "license_expired"),
    LicenseStatus.SUSPENDED: (
        "Your team's licence for this dataset is suspended.",
        "license_suspended",
    ),
    LicenseStatus.REVOKED: (
        "Your team's licence for this dataset has been revoked.",
        "license_revoked",
    ),
}


# --- who may have URLs ---------------------------------------------------------------------


def check_license(
    session: Session, actor: Actor, dataset: Dataset, now: datetime | None = None
) -> License:
    """The active licence entitling the actor's team to ``dataset`` now, or a 403 with why not.

    Codes: ``license_required`` (not a team user, or no licence), ``team_eliminated``,
    ``license_expired``, ``license_revoked``, ``license_suspended``.
    """
    now = now or utcnow()
    policy.require(actor, "dataset.download")
    team = session.get(Team, actor.team_id)
    licences = list(
        session.scalars(
            select(License)
            .where(License.team_id == actor.team_id, License.dataset_id == dataset.id)
            .order_by(License.id.desc())
        )
    )
    active = [
        lic
        for lic in licences
        if lic.status == LicenseStatus.ACTIVE and lic.valid_from <= now < lic.valid_until
    ]
    if team is None or team.status == TeamStatus.ELIMINATED:
        # Only a licence whose terms survive elimination still counts.
        surviving = [lic for lic in active if (lic.terms or {}).get("survives_elimination")]
        if surviving:
            return surviving[0]
        raise Forbidden(
            "Your team has been eliminated from the programme; its licences no longer give access.",
            code="team_eliminated",
        )
    if active:
        return active[0]
    if not licences:
        raise Forbidden("Your team holds no licence for this dataset.", code="license_required")
    # Report the most telling refusal: suspended, then revoked, then expired.
    statuses = {
        LicenseStatus.EXPIRED
        if lic.status == LicenseStatus.ACTIVE and lic.valid_until <= now
        else lic.status
        for lic in licences
    }
    for wanted in (LicenseStatus.SUSPENDED, LicenseStatus.REVOKED, LicenseStatus.EXPIRED):
        if wanted in statuses:
            detail, code = _REFUSALS[wanted]
            raise Forbidden(detail, code=code)
    raise Forbidden(
        "Your team's licence for this dataset is not valid yet.", code="license_required"
    )


def require_accepted_terms(lic: License) -> None:
    """Someone of the team must have accepted the licence's terms before the first download."""
    if lic.terms_accepted_at is None:
        raise Forbidden(
            f"Your team has not yet accepted the terms of licence {lic.id}. Read and accept them "
            f"in the web UI (My team → licence) or with `kdc accept-terms {lic.id}`.",
            code="terms_not_accepted",
            license_id=lic.id,
        )


def url_ttl(requested: int | None, default: int, lic: License, now: datetime) -> int:
    """Seconds a URL may live: as asked (or the default), at most 3,600, not past the licence."""
    ttl = min(int(requested or default), MAX_URL_TTL)
    remaining = int((lic.valid_until - now).total_seconds())
    ttl = min(ttl, remaining)
    if ttl < 1:
        raise Forbidden("Your team's licence for this dataset has expired.", code="license_expired")
    return ttl


# --- lookups -------------------------------------------------------------------------------


def _licensable_dataset(session: Session, slug: str) -> Dataset:
    """A dataset licensees may read: published, or withdrawn (licences outlive the sale)."""
    dataset = (
        session.scalar(select(Dataset).where(Dataset.slug == slug)) if len(slug) <= 100 else None
    )
    if dataset is None or dataset.status == DatasetStatus.DRAFT:
        raise NotFound(f"No published dataset {slug!r}.")
    return dataset


def published_version(session: Session, dataset: Dataset, label: str | None) -> DatasetVersion:
    if label:
        version = session.scalar(
            select(DatasetVersion).where(
                DatasetVersion.dataset_id == dataset.id,
                DatasetVersion.status == VersionStatus.PUBLISHED,
                DatasetVersion.label == label,
            )
        )
    else:
        version = latest_published_version(session, dataset)
    if version is None:
        what = f"version {label!r}" if label else "published version"
        raise NotFound(f"Dataset {dataset.slug!r} has no {what}.", code="version_not_found")
    return version


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode().rstrip("=")


# What the OpenAPI document declares a cursor to be: unpadded URL-safe base64.
CURSOR_PATTERN = r"^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$"


def decode_cursor(cursor: str) -> str:
    """The key a cursor names. Any cursor of the declared form is a position in key order
    (a forged one only moves where the page starts), so only a malformed one is refused."""
    if cursor and re.fullmatch(CURSOR_PATTERN, cursor):
        try:
            raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_")
        except (binascii.Error, ValueError):
            raw = b""
        # Keys are text without NUL (PostgreSQL refuses it in a string).
        key = raw.decode("utf-8", "replace").replace("\x00", "\ufffd")
        if key:
            return key
    raise InvalidInput(
        "The cursor is not one this API returned.",
        code="invalid_cursor",
        errors={"cursor": ["Invalid cursor."]},
    )


# --- issuing -------------------------------------------------------------------------------


def within_quota(
    session: Session, lic: License, objects: int, byte_count: int, now: datetime
) -> License:
    """Lock the licence's usage and check that ``objects``/``byte_count`` more stay within
    its quotas (``licence_terms.decide``); 403 ``quota_exhausted`` with the figures if not."""
    locked = usage.lock_usage(session, lic.id, now)
    decision = licence_terms.decide(
        licence_terms.Terms.from_frozen(locked.terms),
        "download",
        licence_terms.Situation(
            now=now,
            valid_from=min(locked.valid_from, now),
            valid_until=locked.valid_until,
            used_objects=locked.used_objects,
            used_bytes=locked.used_bytes,
            objects=objects,
            bytes=byte_count,
        ),
    )
    if not decision.permitted:
        figures: dict[str, Any] = dict(decision.figures or {})
        raise Forbidden(
            decision.detail,
            code=decision.code or "quota_exhausted",
            license_id=locked.id,
            **figures,
        )
    return locked


# A manifest row as read: key, size, sha256, quoted key (None for rows stored before it).
ObjectRow = tuple[str, int, str, str | None]
# What a page yields: key, size, sha256, presigned URL.
SignedObject = tuple[str, int, str, str]
# URLs are signed this many at a time while a page is written out.
SIGNING_CHUNK = 500


class PresignedObjects:
    """A page's objects with their URLs, signed a chunk at a time as they are read.

    The first chunk is signed at once, inside the unit of work (a store that cannot sign
    fails before the grant commits); the rest while the response streams, so a page of
    5,000 objects never holds all its URLs, nor its whole JSON body, in memory.
    """

    def __init__(
        self,
        rows: Sequence[ObjectRow],
        sign: Callable[[list[tuple[str, str | None]]], list[str]],
    ) -> None:
        self._rows = rows
        self._sign = sign
        self._first = self._signed(0)

    def _signed(self, start: int) -> list[SignedObject]:
        part = self._rows[start : start + SIGNING_CHUNK]
        urls = self._sign([(k, q) for k, _s, _h, q in part])
        return [(k, s, h, u) for (k, s, h, _q), u in zip(part, urls, strict=True)]

    def __len__(self) -> int:
        return len(self._rows)

    def chunks(self) -> Iterator[list[SignedObject]]:
        if self._first:
            yield self._first
        for start in range(SIGNING_CHUNK, len(self._rows), SIGNING_CHUNK):
            yield self._signed(start)

    def __iter__(self) -> Iterator[SignedObject]:
        for chunk in self.chunks():
            yield from chunk


@dataclass
class ManifestPage:
    dataset: str
    version: str
    object_count: int
    total_bytes: int
    objects: PresignedObjects
    expires_at: datetime
    ttl: int
    next_cursor: str | None
    grant_id: int


def _grant(
    session: Session,
    actor: Actor,
    lic: License,
    dataset: Dataset,
    version: DatasetVersion,
    count: int,
    ttl: int,
    now: datetime,
    detail: dict[str, object],
    byte_count: int = 0,
) -> AccessGrant:
    usage.count_issued(lic, count, byte_count)
    grant = AccessGrant(
        created_at=now,
        user_id=actor.user_id,
        token_id=actor.token_id,
        team_id=lic.team_id,
        license_id=lic.id,
        dataset_id=dataset.id,
        version_id=version.id,
        object_count=count,
        byte_count=byte_count,
        ttl_seconds=ttl,
        client_addr=(actor.client_addr or "")[:64],
    )
    session.add(grant)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.ACCESS_ISSUE_URLS,
        "access_grant",
        grant.id,
        {
            "team_id": lic.team_id,
            "license_id": lic.id,
            "dataset": dataset.slug,
            "version": version.label,
            "object_count": count,
            "byte_count": byte_count,
            "ttl_seconds": ttl,
            "expires_at": (now + timedelta(seconds=ttl)).isoformat(),
            **detail,
        },
    )
    _still_usable(session, lic)
    pause_point("access.issue.granted")
    return grant


def _still_usable(session: Session, lic: License) -> None:
    """Read the licence's status again now that this transaction holds the audit chain head.

    Every change of a licence's status writes its audit event, so it holds the chain head
    until it commits, as this issuance now does until it commits: a revocation or
    suspension committed before is seen by this fresh read (each statement reads what is
    committed when it starts, under READ COMMITTED) and refuses the issuance, rolling
    it back; one not yet committed waits for this issuance to commit first. No URL
    is issued after a revocation commits, and issuances never hold up a revocation.
    """
    status = session.scalar(select(License.status).where(License.id == lic.id))
    if status != LicenseStatus.ACTIVE:
        detail, code = _REFUSALS.get(
            status or LicenseStatus.REVOKED, _REFUSALS[LicenseStatus.REVOKED]
        )
        raise Forbidden(detail, code=code)


def issue_download_urls(
    session: Session,
    actor: Actor,
    store: ObjectStore,
    slug: str,
    *,
    version: str | None = None,
    cursor: str | None = None,
    limit: int = MAX_MANIFEST_LIMIT,
    ttl: int | None = None,
    default_ttl: int = 900,
) -> ManifestPage:
    """One page of a version's manifest, keys after ``cursor``, each with a presigned GET.

    The licence check, the access grant and its audit event share one transaction; a store
    that cannot be reached raises 503 before anything is written.
    """
    if not 1 <= limit <= MAX_MANIFEST_LIMIT:
        raise InvalidInput(f"limit must be 1 … {MAX_MANIFEST_LIMIT}.", code="invalid_input")
    after = decode_cursor(cursor) if cursor else None
    now = utcnow().replace(microsecond=0)
    with transaction(session):
        dataset = _licensable_dataset(session, slug)
        # The licence is checked at full precision: a licence approved this very second
        # is valid now; `now` (whole seconds) only dates the URLs and the grant.
        lic = check_license(session, actor, dataset, utcnow())
        require_accepted_terms(lic)
        ver = published_version(session, dataset, version)
        seconds = url_ttl(ttl, default_ttl, lic, now)
        stmt = (
            select(
                DatasetObject.key,
                DatasetObject.size,
                DatasetObject.sha256,
                DatasetObject.quoted_key,
            )
            .where(DatasetObject.version_id == ver.id)
            .order_by(DatasetObject.key)
            .limit(limit + 1)
        )
        if after is not None:
            stmt = stmt.where(DatasetObject.key > after)
        rows: list[ObjectRow] = [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]
        more = len(rows) > limit
        rows = rows[:limit]
        page_bytes = sum(int(s) for _k, s, _h, _q in rows)
        lic = within_quota(session, lic, len(rows), page_bytes, now)
        ver_store = store_for_version(store, ver)
        prefix = ver.prefix

        def sign(keys: list[tuple[str, str | None]]) -> list[str]:
            with storage_errors():
                return ver_store.presign_downloads(prefix, keys, seconds, issued_at=now)

        with storage_errors():
            ver_store.check_available()
        objects = PresignedObjects(rows, sign)
        grant = _grant(
            session,
            actor,
            lic,
            dataset,
            ver,
            len(rows),
            seconds,
            now,
            {
                "first_key": rows[0][0] if rows else None,
                "last_key": rows[-1][0] if rows else None,
            },
            byte_count=page_bytes,
        )
        page = ManifestPage(
            dataset=dataset.slug,
            version=ver.label,
            object_count=ver.object_count,
            total_bytes=ver.total_bytes,
            objects=objects,
            expires_at=now + timedelta(seconds=seconds),
            ttl=seconds,
            next_cursor=encode_cursor(rows[-1][0]) if more else None,
            grant_id=grant.id,
        )
    return page


@dataclass
class FileUrl:
    url: str
    expires_at: datetime
    ttl: int
    grant_id: int


def issue_file_url(
    session: Session,
    actor: Actor,
    store: ObjectStore,
    slug: str,
    key: str,
    *,
    version: str | None = None,
    ttl: int | None = None,
    default_ttl: int = 900,
) -> FileUrl:
    """A fresh presigned GET for one object of a version (for browsers and ``curl -L``)."""
    now = utcnow().replace(microsecond=0)
    with transaction(session):
        dataset = _licensable_dataset(session, slug)
        # The licence is checked at full precision: a licence approved this very second
        # is valid now; `now` (whole seconds) only dates the URLs and the grant.
        lic = check_license(session, actor, dataset, utcnow())
        require_accepted_terms(lic)
        ver = published_version(session, dataset, version)
        seconds = url_ttl(ttl, default_ttl, lic, now)
        found = (
            session.scalar(
                select(DatasetObject.size).where(
                    DatasetObject.version_id == ver.id, DatasetObject.key == key
                )
            )
            if len(key) <= 1024
            else None
        )
        if found is None:
            raise NotFound(
                f"Version {ver.label} of {slug!r} has no file {key!r}.", code="object_not_found"
            )
        lic = within_quota(session, lic, 1, int(found), now)
        ver_store = store_for_version(store, ver)
        with storage_errors():
            ver_store.check_available()
            url = ver_store.presign_get_many(
                [(full_key(ver, key), posixpath.basename(key))], seconds, issued_at=now
            )[0]
        grant = _grant(
            session, actor, lic, dataset, ver, 1, seconds, now, {"key": key}, byte_count=int(found)
        )
        result = FileUrl(
            url=url, expires_at=now + timedelta(seconds=seconds), ttl=seconds, grant_id=grant.id
        )
    return result
