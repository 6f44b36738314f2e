"""Acceptance of a licence's terms and full text, required before the first download.

A team's licence carries a frozen copy of the offer's terms and names the version of the
offer's licence text it was sold under (``licence_texts``). Before anyone of the team
downloads, someone of the team reads that exact text and accepts it once; the acceptance
records who, when, which document and the text's SHA-256, on the licence and in the audit
chain (``license:accept_terms``), in the same transaction. A client that shows the text
sends the SHA-256 of what it showed: if the licence's text is another, nothing is accepted
(``licence_text_mismatch``).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import policy
from catalog.db import id_in_range, transaction, utcnow
from catalog.errors import Conflict, Forbidden, InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.licenses import License, LicenseStatus
from catalog.services import access
from catalog.services.audit import record_event
from catalog.services.context import Actor
from storage.base import ObjectStore

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def _team_license(
    session: Session, actor: Actor, license_id: int, *, for_update: bool = False
) -> License:
    policy.require(actor, "licence.accept_terms")
    if not id_in_range(license_id):
        raise NotFound(f"No licence {license_id}.")
    stmt = select(License).where(License.id == license_id)
    if for_update:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    lic = session.scalar(stmt)
    # Another team's licence does not exist for you.
    if lic is None or not policy.can(actor, "licence.accept_terms", lic):
        raise NotFound(f"No licence {license_id}.")
    return lic


def get_team_license(session: Session, actor: Actor, license_id: int) -> License:
    """One licence of the actor's own team (404 for anybody else's)."""
    return _team_license(session, actor, license_id)


def accept_terms(
    session: Session,
    actor: Actor,
    license_id: int,
    now: datetime | None = None,
    *,
    text_sha256: str | None = None,
) -> License:
    """Record that the actor accepted the licence's terms and text on behalf of the team.

    ``text_sha256``: the SHA-256 of the text the actor was shown; it must be the licence's.
    Idempotent: accepting again changes nothing and writes no event. Only an active
    licence can be accepted (a revoked or expired one gives no access anyway).
    """
    from catalog.services.licence_texts import text_of
    from catalog.services.licensing import effective_status

    now = now or utcnow()
    if text_sha256 is not None:
        text_sha256 = text_sha256.strip().lower()
        if not SHA256_RE.match(text_sha256):
            raise InvalidInput(
                "text_sha256: 64 hexadecimal digits.",
                code="invalid_input",
                errors={"text_sha256": ["64 hexadecimal digits."]},
            )
    with transaction(session):
        lic = _team_license(session, actor, license_id, for_update=True)
        text = text_of(session, lic)
        if text_sha256 is not None and text_sha256 != text.sha256:
            raise Conflict(
                f"The text you accepted is not licence {lic.id}'s text (SHA-256 "
                f"{text.sha256}); read it again.",
                code="licence_text_mismatch",
                sha256=text.sha256,
            )
        if lic.terms_accepted_at is not None:
            return lic
        status = effective_status(lic, now)
        if status != LicenseStatus.ACTIVE:
            raise Conflict(
                f"Licence {lic.id} is {status.value}; its terms can no longer be accepted.",
                code="license_not_active",
            )
        lic.terms_accepted_at = now
        lic.terms_accepted_by_id = actor.user_id
        lic.terms_accepted_sha256 = text.sha256
        lic.terms_accepted_document_id = text.document.id if text.document else None
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.LICENSE_ACCEPT_TERMS,
            "license",
            lic.id,
            {
                "team_id": lic.team_id,
                "dataset_id": lic.dataset_id,
                "terms": lic.terms,
                "text_sha256": text.sha256,
                "document_id": text.document.id if text.document else None,
                "document_version": text.document.version if text.document else None,
            },
        )
    return lic


class TermsNotAccepted(Forbidden):
    code = "terms_not_accepted"

    def __init__(self, lic: License):
        super().__init__(
            f"Your team has not yet accepted the terms of licence {lic.id}.", license=lic.id
        )
        self.license_id = lic.id


def issue_browser_download(
    session: Session,
    actor: Actor,
    store: ObjectStore,
    slug: str,
    key: str,
    *,
    version: str | None = None,
    default_ttl: int = 900,
) -> access.FileUrl:
    """A fresh download URL for one file, for the web UI: the licence's terms must have
    been accepted first (``terms_not_accepted``, with the licence id to accept)."""
    with transaction(session):
        dataset = access._licensable_dataset(session, slug)
        lic = access.check_license(session, actor, dataset)
        if lic.terms_accepted_at is None:
            raise TermsNotAccepted(lic)
    return access.issue_file_url(
        session, actor, store, slug, key, version=version, default_ttl=default_ttl
    )
