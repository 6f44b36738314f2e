"""Click-through acceptance of a licence's terms, required before a browser download.

A team's licence carries a frozen copy of the offer's terms. Before anyone of the team
downloads a file through the web UI, someone of the team reads those terms and accepts
them once; the acceptance (who, when) is stored on the licence and written to the audit
chain as ``license:accept_terms`` in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import policy
from catalog.db import id_in_range, transaction, utcnow
from catalog.errors import Conflict, Forbidden, NotFound
from catalog.models.audit import AuditAction
from catalog.models.licenses import License, LicenseStatus
from catalog.services import access
from catalog.services.audit import record_event
from catalog.services.context import Actor
from storage.base import ObjectStore


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
    session: Session, actor: Actor, license_id: int, now: datetime | None = None
) -> License:
    """Record that the actor accepted the licence's terms on behalf of the team.

    Idempotent: accepting again changes nothing and writes no event. Only an active
    licence can be accepted (a revoked or expired one gives no access anyway).
    """
    from catalog.services.licensing import effective_status

    now = now or utcnow()
    with transaction(session):
        lic = _team_license(session, actor, license_id, for_update=True)
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
