"""Notices: what the service tells people, written in the same unit of work as the change.

Each state change of a purchase, licence, team or budget calls one function here next to
its ``record_event``. It writes a ``Notice`` per audience (a team or an institution), an
inbox row for each person of that audience who should know (never the person who acted),
and outbox rows (``Delivery``) for the e-mails those people want and the webhooks the
audience registered. All of it commits or rolls back with the change: nothing is sent
for a change that did not happen. ``flask --app app deliver`` sends the outbox later.

Who hears what (nobody hears another team's private business):

=============================  ===============================================================
kind                           recipients
=============================  ===============================================================
purchase.requested             the team's leads, when a member requested, opened or joined
purchase.awaiting_approval     the institution's provider staff, once every team confirmed
purchase.confirmed             the team's people (a lead confirmed)
purchase.approved / rejected   every participating team's people
purchase.cancelled             the participating teams; the providers if it awaited them
joint.opened                   the people of every other active team (joint purchases are public)
joint.invited                  the people of the team invited by a team taking part
joint.joined / left            the people of the other participating teams
joint.closing_soon             the people of every active team (once per purchase, by ``tick``)
joint.closed                   the people of the teams that took part
license.*                      the licensed team's people (license.expiring 30, 7 and 1 days
                               before the end, once each, by ``tick``)
license.attestation_due        the team's leads, when it becomes due, then every 7 days
renewal.requested              the leads of the other teams holding the licences to renew
renewal.awaiting_approval      the institution's provider staff, once every lead confirmed
renewal.approved / declined    every team in the renewal
dataset.version_published      the people of every team holding a live licence for the dataset
team.eliminated, budget.*      the team's people
=============================  ===============================================================

The inbox (unread count, list, mark read) and each user's e-mail preferences live here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload

from catalog import policy
from catalog.db import end_read, id_in_range, session_settings, transaction, utcnow
from catalog.errors import InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.datasets import Dataset, DatasetVersion
from catalog.models.licenses import License, LicenseRenewal, LicenseStatus, RenewalStatus
from catalog.models.notifications import (
    Channel,
    Delivery,
    Notice,
    NoticeKind,
    Notification,
    NotificationPreference,
    WebhookEndpoint,
)
from catalog.models.offers import OfferMode
from catalog.models.purchases import (
    ParticipantStatus,
    Purchase,
    PurchaseParticipant,
    PurchaseStatus,
)
from catalog.models.teams import Team, TeamStatus
from catalog.models.users import Role, User
from catalog.services.audit import record_event
from catalog.services.context import Actor

CLOSING_SOON = timedelta(hours=24)


# --------------------------------------------------------------------------- writing


def _team_people(session: Session, team_id: int, kind: NoticeKind) -> list[User]:
    roles = policy.roles_hearing(kind, policy.TEAM)
    return list(
        session.scalars(
            select(User)
            .where(User.team_id == team_id, User.active.is_(True), User.role.in_(roles))
            .order_by(User.id)
        )
    )


def _providers(session: Session, institution_id: int, kind: NoticeKind) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(
                User.institution_id == institution_id,
                User.active.is_(True),
                User.role.in_(policy.roles_hearing(kind, (policy.PROVIDER,))),
            )
            .order_by(User.id)
        )
    )


def _wants(endpoint: WebhookEndpoint, kind: str) -> bool:
    return not endpoint.kinds or kind in endpoint.kinds


def webhook_body(notice: Notice, base_url: str) -> dict[str, Any]:
    """The JSON a webhook receives (Standard Webhooks' ``type``/``timestamp``/``data``)."""
    data = dict(notice.data)
    path = data.get("path")
    if path:
        data["url"] = base_url + path
    data["notice_id"] = notice.id
    data["subject"] = {"type": notice.subject_type, "id": notice.subject_id}
    return {
        "type": notice.kind,
        "timestamp": notice.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "data": data,
    }


@dataclass
class NoticeDraft:
    """One notice to write with ``notify_many``: its audience is a team or an institution."""

    kind: NoticeKind
    subject_type: str
    subject_id: int | str
    data: dict[str, Any]
    recipients: list[User]
    team_id: int | None = None
    institution_id: int | None = None
    now: datetime | None = None


def notify(
    session: Session,
    actor: Actor,
    kind: NoticeKind,
    subject_type: str,
    subject_id: int | str,
    data: dict[str, Any],
    *,
    recipients: Iterable[User],
    team_id: int | None = None,
    institution_id: int | None = None,
    now: datetime | None = None,
) -> Notice:
    """Write one notice for one audience, its inbox rows and its outbox rows."""
    draft = NoticeDraft(
        kind, subject_type, subject_id, data, list(recipients), team_id, institution_id, now
    )
    return notify_many(session, actor, [draft])[0]


def notify_many(session: Session, actor: Actor, drafts: list[NoticeDraft]) -> list[Notice]:
    """Write several notices, their inbox rows and their outbox rows, in the order given:
    the same rows as ``notify`` for each in turn, in a few batched statements."""
    for d in drafts:
        if (d.team_id is None) == (d.institution_id is None):
            raise ValueError("a notice has exactly one audience: a team or an institution")
    if not drafts:
        return []
    settings = session_settings(session)
    with transaction(session):
        notices = []
        for d in drafts:
            notices.append(
                Notice(
                    kind=d.kind.value,
                    subject_type=d.subject_type,
                    subject_id=str(d.subject_id),
                    team_id=d.team_id,
                    institution_id=d.institution_id,
                    actor_id=actor.user_id,
                    data=d.data,
                    created_at=d.now or utcnow(),
                )
            )
        session.add_all(notices)
        session.flush()
        people = [{u.id: u for u in d.recipients if u.id != actor.user_id} for d in drafts]
        off: set[tuple[int, str]] = set()
        if settings.get("email_notices"):
            off = _email_off_many(session, people, [d.kind.value for d in drafts])
        hooks = _webhooks_for_many(session, notices)
        inbox: list[dict[str, Any]] = []
        rows: list[Delivery] = []
        for notice, who in zip(notices, people, strict=True):
            now = notice.created_at
            for user in who.values():
                inbox.append({"notice_id": notice.id, "user_id": user.id, "created_at": now})
            if settings.get("email_notices"):
                for user in who.values():
                    if (user.id, notice.kind) in off:
                        continue
                    rows.append(
                        Delivery(
                            notice_id=notice.id,
                            channel=Channel.EMAIL,
                            user_id=user.id,
                            target=user.email,
                            payload={"locale": user.locale or "ko", "name": user.name},
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
            body = None
            for endpoint in hooks(notice):
                body = body or webhook_body(notice, settings.get("base_url", ""))
                rows.append(
                    Delivery(
                        notice_id=notice.id,
                        channel=Channel.WEBHOOK,
                        webhook_id=endpoint.id,
                        target=endpoint.url,
                        payload=body,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
        if inbox:
            # Nobody reads these rows back in this unit of work: one executemany (also on
            # SQLite, where an ORM INSERT that returns ids goes row by row).
            session.execute(insert(Notification), inbox)
        session.add_all(rows)
        session.flush()
    return notices


def _email_off_many(
    session: Session, people: list[dict[int, User]], kinds: list[str]
) -> set[tuple[int, str]]:
    """(user id, kind) pairs whose e-mail is turned off, for every notice at once."""
    user_ids = sorted({uid for who in people for uid in who})
    if not user_ids:
        return set()
    rows = session.execute(
        select(NotificationPreference.user_id, NotificationPreference.kind).where(
            NotificationPreference.user_id.in_(user_ids),
            NotificationPreference.kind.in_(sorted(set(kinds))),
            NotificationPreference.email.is_(False),
        )
    ).all()
    return {(uid, kind) for uid, kind in rows}


def _webhooks_for_many(
    session: Session, notices: list[Notice]
) -> Callable[[Notice], list[WebhookEndpoint]]:
    """One read of the active endpoints of every audience; then, per notice, those that
    want it, in id order."""
    team_ids = sorted({n.team_id for n in notices if n.team_id is not None})
    inst_ids = sorted({n.institution_id for n in notices if n.institution_id is not None})
    owners = []
    if team_ids:
        owners.append(WebhookEndpoint.team_id.in_(team_ids))
    if inst_ids:
        owners.append(WebhookEndpoint.institution_id.in_(inst_ids))
    endpoints = list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.active.is_(True), or_(*owners))
            .order_by(WebhookEndpoint.id)
        )
    )

    def for_notice(notice: Notice) -> list[WebhookEndpoint]:
        return [
            w
            for w in endpoints
            if (
                w.team_id == notice.team_id
                if notice.team_id is not None
                else w.institution_id == notice.institution_id
            )
            and _wants(w, notice.kind)
        ]

    return for_notice


def _teams_people(
    session: Session, team_ids: Iterable[int], kind: NoticeKind
) -> dict[int, list[User]]:
    """``_team_people`` of several teams in one read: team id → its people, by id."""
    ids = sorted(set(team_ids))
    out: dict[int, list[User]] = {t: [] for t in ids}
    if not ids:
        return out
    roles = policy.roles_hearing(kind, policy.TEAM)
    for user in session.scalars(
        select(User)
        .where(User.team_id.in_(ids), User.active.is_(True), User.role.in_(roles))
        .order_by(User.id)
    ):
        assert user.team_id is not None
        out[user.team_id].append(user)
    return out


def _purchase_data(purchase: Purchase, **extra: Any) -> dict[str, Any]:
    ds = purchase.dataset
    data: dict[str, Any] = {
        "purchase_id": purchase.id,
        "dataset": ds.slug,
        "dataset_title_ko": ds.title_ko,
        "dataset_title_en": ds.title_en,
        "mode": purchase.mode.value,
        "status": purchase.status.value,
        "price_krw": purchase.price_krw,
        "opener_team": purchase.opener_team.code,
        "deadline": purchase.deadline.isoformat() if purchase.deadline else None,
        "path": f"/purchases/{purchase.id}",
    }
    data.update(extra)
    return data


def _joined(purchase: Purchase) -> list[PurchaseParticipant]:
    return [p for p in purchase.participants if p.status == ParticipantStatus.JOINED]


def _to_team(
    session: Session,
    actor: Actor,
    kind: NoticeKind,
    purchase: Purchase,
    team: Team,
    **extra: Any,
) -> Notice:
    return notify(
        session,
        actor,
        kind,
        "purchase",
        purchase.id,
        _purchase_data(purchase, team=team.code, **extra),
        recipients=_team_people(session, team.id, kind),
        team_id=team.id,
    )


def _to_providers(
    session: Session, actor: Actor, kind: NoticeKind, purchase: Purchase, **extra: Any
) -> Notice:
    institution_id = purchase.dataset.institution_id
    return notify(
        session,
        actor,
        kind,
        "purchase",
        purchase.id,
        _purchase_data(purchase, teams=[p.team.code for p in _joined(purchase)], **extra),
        recipients=_providers(session, institution_id, kind),
        institution_id=institution_id,
    )


def _awaits_provider(purchase: Purchase, status: PurchaseStatus | None = None) -> bool:
    """Whether the purchase waits (or, in ``status``, waited) for the provider's decision."""
    status = status or purchase.status
    if purchase.mode == OfferMode.JOINT:
        return status == PurchaseStatus.PENDING_APPROVAL
    parts = _joined(purchase)
    return (
        status == PurchaseStatus.REQUESTED
        and bool(parts)
        and all(p.confirmed_at is not None for p in parts)
    )


def _active_teams(session: Session) -> list[Team]:
    return list(
        session.scalars(select(Team).where(Team.status == TeamStatus.ACTIVE).order_by(Team.id))
    )


def purchase_requested(session: Session, actor: Actor, purchase: Purchase) -> None:
    """A team requested an individual purchase or opened a joint one."""
    with transaction(session):
        team = purchase.opener_team
        if purchase.participants[0].confirmed_at is None:
            _to_team(
                session,
                actor,
                NoticeKind.PURCHASE_REQUESTED,
                purchase,
                team,
                action="open" if purchase.mode == OfferMode.JOINT else "request",
                by=actor.label,
            )
        if purchase.mode == OfferMode.JOINT:
            for other in _active_teams(session):
                if other.id != team.id:
                    _to_team(session, actor, NoticeKind.JOINT_OPENED, purchase, other)
        elif _awaits_provider(purchase):
            _to_providers(session, actor, NoticeKind.PURCHASE_AWAITING_APPROVAL, purchase)


def purchase_joined(session: Session, actor: Actor, purchase: Purchase, team: Team) -> None:
    """``team`` joined an open joint purchase (unconfirmed if a member joined)."""
    with transaction(session):
        part = next(p for p in purchase.participants if p.team_id == team.id)
        if part.confirmed_at is None:
            _to_team(
                session,
                actor,
                NoticeKind.PURCHASE_REQUESTED,
                purchase,
                team,
                action="join",
                by=actor.label,
            )
        count = len(_joined(purchase))
        for p in _joined(purchase):
            if p.team_id != team.id:
                _to_team(
                    session,
                    actor,
                    NoticeKind.JOINT_JOINED,
                    purchase,
                    p.team,
                    other_team=team.code,
                    teams_count=count,
                )


def purchase_invited(
    session: Session, actor: Actor, purchase: Purchase, inviter: Team, team: Team, share_krw: int
) -> None:
    """A team taking part in an open joint purchase invites ``team`` to join it."""
    with transaction(session):
        _to_team(
            session,
            actor,
            NoticeKind.JOINT_INVITED,
            purchase,
            team,
            inviter_team=inviter.code,
            teams_if_joined=len(_joined(purchase)) + 1,
            share_if_joined_krw=share_krw,
            by=actor.label,
        )


def purchase_left(
    session: Session, actor: Actor, purchase: Purchase, team: Team, reason: str = ""
) -> None:
    """``team`` left a joint purchase (by choice, or withdrawn at its elimination)."""
    with transaction(session):
        count = len(_joined(purchase))
        for p in _joined(purchase):
            _to_team(
                session,
                actor,
                NoticeKind.JOINT_LEFT,
                purchase,
                p.team,
                other_team=team.code,
                teams_count=count,
                reason=reason,
            )


def purchase_confirmed(session: Session, actor: Actor, purchase: Purchase, team: Team) -> None:
    """A lead confirmed the team's participation; an individual request now awaits the provider."""
    with transaction(session):
        _to_team(session, actor, NoticeKind.PURCHASE_CONFIRMED, purchase, team, by=actor.label)
        if _awaits_provider(purchase):
            _to_providers(session, actor, NoticeKind.PURCHASE_AWAITING_APPROVAL, purchase)


def purchase_closed(
    session: Session, actor: Actor, purchase: Purchase, dropped: list[str], reason: str
) -> None:
    """A joint purchase closed: ``pending_approval`` (the provider decides) or ``failed``."""
    with transaction(session):
        teams = {p.team_id: p.team for p in purchase.participants if p.team.code in dropped}
        teams.update({p.team_id: p.team for p in _joined(purchase)})
        for team in teams.values():
            _to_team(
                session,
                actor,
                NoticeKind.JOINT_CLOSED,
                purchase,
                team,
                teams_count=len(_joined(purchase)),
                dropped_unconfirmed=team.code in dropped,
                reason=reason,
            )
        if _awaits_provider(purchase):
            _to_providers(session, actor, NoticeKind.PURCHASE_AWAITING_APPROVAL, purchase)


def purchase_decided(
    session: Session,
    actor: Actor,
    purchase: Purchase,
    preceding: list[NoticeDraft] | None = None,
) -> None:
    """The provider approved (each team with its share) or rejected the purchase.

    ``preceding``: notices still to write that come just before these (written with them)."""
    kind = (
        NoticeKind.PURCHASE_APPROVED
        if purchase.status == PurchaseStatus.APPROVED
        else NoticeKind.PURCHASE_REJECTED
    )
    parts = _joined(purchase)
    with transaction(session):
        people = _teams_people(session, [p.team_id for p in parts], kind)
        notify_many(
            session,
            actor,
            list(preceding or [])
            + [
                NoticeDraft(
                    kind,
                    "purchase",
                    purchase.id,
                    _purchase_data(
                        purchase,
                        team=p.team.code,
                        share_krw=p.share_krw,
                        note=purchase.decision_note,
                    ),
                    people[p.team_id],
                    team_id=p.team_id,
                )
                for p in parts
            ],
        )


def purchase_cancelled(
    session: Session, actor: Actor, purchase: Purchase, before: PurchaseStatus
) -> None:
    """The purchase was cancelled from status ``before``; the providers hear of it if it
    was waiting for their decision."""
    awaited_provider = _awaits_provider(purchase, before)
    with transaction(session):
        for p in _joined(purchase):
            _to_team(
                session,
                actor,
                NoticeKind.PURCHASE_CANCELLED,
                purchase,
                p.team,
                note=purchase.decision_note,
                by=actor.label,
            )
        if awaited_provider:
            _to_providers(
                session,
                actor,
                NoticeKind.PURCHASE_CANCELLED,
                purchase,
                note=purchase.decision_note,
            )


def purchase_withdrawn(
    session: Session, actor: Actor, purchase: Purchase, team: Team, before: PurchaseStatus
) -> None:
    """An eliminated team was withdrawn from a purchase that was in status ``before``: the
    other teams of a joint purchase hear of it, and the providers if the purchase waited for
    them and is now cancelled or failed."""
    awaited_provider = before == PurchaseStatus.PENDING_APPROVAL or (
        purchase.mode == OfferMode.INDIVIDUAL and _awaits_provider(purchase, before)
    )
    with transaction(session):
        if purchase.mode == OfferMode.JOINT:
            purchase_left(session, actor, purchase, team, reason="eliminated")
        if awaited_provider and purchase.status in (
            PurchaseStatus.CANCELLED,
            PurchaseStatus.FAILED,
        ):
            _to_providers(
                session,
                actor,
                NoticeKind.PURCHASE_CANCELLED,
                purchase,
                note=purchase.decision_note,
            )


_LICENSE_KINDS = {
    LicenseStatus.ACTIVE: NoticeKind.LICENSE_ACTIVATED,
    LicenseStatus.SUSPENDED: NoticeKind.LICENSE_SUSPENDED,
    LicenseStatus.REVOKED: NoticeKind.LICENSE_REVOKED,
}


def license_changed(
    session: Session, actor: Actor, lic: License, *, reinstated: bool = False
) -> None:
    """A licence became active (issued or reinstated), suspended or revoked.

    Expiry is not announced here: reminders before the end are a duty of their own.
    """
    licenses_changed(session, actor, [lic], reinstated=reinstated)


def licenses_changed(
    session: Session,
    actor: Actor,
    lics: list[License],
    *,
    reinstated: bool = False,
    drafts_out: list[NoticeDraft] | None = None,
) -> None:
    """``license_changed`` for several licences at once, in the order given.

    ``drafts_out``: the notices are appended to it for the caller to write (``notify_many``)
    instead of being written now."""
    drafts = []
    with transaction(session):
        kinds = {
            lic.id: NoticeKind.LICENSE_REINSTATED if reinstated else _LICENSE_KINDS.get(lic.status)
            for lic in lics
        }
        lics = [lic for lic in lics if kinds[lic.id] is not None]
        if not lics:
            return
        people: dict[NoticeKind, dict[int, list[User]]] = {}
        for wanted in {k for k in kinds.values() if k is not None}:
            people[wanted] = _teams_people(
                session, [lic.team_id for lic in lics if kinds[lic.id] == wanted], wanted
            )
        for lic in lics:
            kind = kinds[lic.id]
            assert kind is not None
            ds = session.get(Dataset, lic.dataset_id)
            assert ds is not None  # a licence's dataset is never deleted
            drafts.append(
                NoticeDraft(
                    kind,
                    "license",
                    lic.id,
                    {
                        "license_id": lic.id,
                        "dataset": ds.slug,
                        "dataset_title_ko": ds.title_ko,
                        "dataset_title_en": ds.title_en,
                        "status": lic.status.value,
                        "valid_until": lic.valid_until.isoformat(),
                        "reason": lic.status_reason if kind != NoticeKind.LICENSE_ACTIVATED else "",
                        "path": f"/team/licenses/{lic.id}",
                    },
                    people[kind][lic.team_id],
                    team_id=lic.team_id,
                )
            )
        if drafts_out is not None:
            drafts_out.extend(drafts)
        else:
            notify_many(session, actor, drafts)


def _license_data(session: Session, lic: License, **extra: Any) -> dict[str, Any]:
    ds = session.get(Dataset, lic.dataset_id)
    assert ds is not None
    data: dict[str, Any] = {
        "license_id": lic.id,
        "dataset": ds.slug,
        "dataset_title_ko": ds.title_ko,
        "dataset_title_en": ds.title_en,
        "status": lic.status.value,
        "valid_until": lic.valid_until.isoformat(),
        "path": f"/team/licenses/{lic.id}",
    }
    data.update(extra)
    return data


def _to_license_team(
    session: Session,
    actor: Actor,
    kind: NoticeKind,
    lic: License,
    now: datetime | None = None,
    **extra: Any,
) -> Notice:
    return notify(
        session,
        actor,
        kind,
        "license",
        lic.id,
        _license_data(session, lic, **extra),
        recipients=_team_people(session, lic.team_id, kind),
        team_id=lic.team_id,
        now=now,
    )


def license_quota_changed(session: Session, actor: Actor, lic: License, reason: str) -> None:
    """A provider (or the programme office) changed the licence's download quotas."""
    terms = lic.terms or {}
    with transaction(session):
        _to_license_team(
            session,
            actor,
            NoticeKind.LICENSE_QUOTA_CHANGED,
            lic,
            quota_objects=terms.get("download_quota"),
            quota_bytes=terms.get("download_quota_bytes"),
            reason=reason,
        )


def license_expiring(
    session: Session, actor: Actor, lic: License, days: int, now: datetime | None = None
) -> None:
    """The licence ends within ``days`` days (30, 7 or 1)."""
    with transaction(session):
        _to_license_team(session, actor, NoticeKind.LICENSE_EXPIRING, lic, now=now, days=days)


def attestation_due(
    session: Session, actor: Actor, lic: License, reminder: int, now: datetime | None = None
) -> None:
    """The team owes a destruction attestation (``reminder`` 0: it just became due)."""
    now = now or utcnow()
    due = lic.attestation_due_at or now
    with transaction(session):
        _to_license_team(
            session,
            actor,
            NoticeKind.LICENSE_ATTESTATION_DUE,
            lic,
            now=now,
            reminder=reminder,
            due_at=due.isoformat(),
            days_overdue=max(0, (now - due).days),
        )


def _renewal_data(renewal: LicenseRenewal, **extra: Any) -> dict[str, Any]:
    ds = renewal.dataset
    data: dict[str, Any] = {
        "renewal_id": renewal.id,
        "purchase_id": renewal.purchase_id,
        "dataset": ds.slug,
        "dataset_title_ko": ds.title_ko,
        "dataset_title_en": ds.title_en,
        "status": renewal.status.value,
        "price_krw": renewal.price_krw,
        "term_months": renewal.term_months,
        "teams": [p.team.code for p in renewal.parts],
        "requester_team": renewal.requester_team.code,
        "path": f"/renewals/{renewal.id}",
    }
    data.update(extra)
    return data


def _renewal_to_team(
    session: Session,
    actor: Actor,
    kind: NoticeKind,
    renewal: LicenseRenewal,
    team_id: int,
    **extra: Any,
) -> Notice:
    share = next((p.share_krw for p in renewal.parts if p.team_id == team_id), None)
    return notify(
        session,
        actor,
        kind,
        "renewal",
        renewal.id,
        _renewal_data(renewal, share_krw=share, **extra),
        recipients=_team_people(session, team_id, kind),
        team_id=team_id,
    )


def renewal_requested(session: Session, actor: Actor, renewal: LicenseRenewal) -> None:
    """A lead asked to renew: the other teams' leads confirm; the provider decides once all did."""
    with transaction(session):
        for part in renewal.parts:
            if part.confirmed_at is None:
                _renewal_to_team(
                    session,
                    actor,
                    NoticeKind.RENEWAL_REQUESTED,
                    renewal,
                    part.team_id,
                    by=actor.label,
                )
        renewal_confirmed(session, actor, renewal)


def renewal_confirmed(session: Session, actor: Actor, renewal: LicenseRenewal) -> None:
    """Once every lead confirmed, the renewal waits for the provider's decision."""
    if renewal.status != RenewalStatus.REQUESTED or any(
        p.confirmed_at is None for p in renewal.parts
    ):
        return
    institution_id = renewal.dataset.institution_id
    kind = NoticeKind.RENEWAL_AWAITING_APPROVAL
    with transaction(session):
        notify(
            session,
            actor,
            kind,
            "renewal",
            renewal.id,
            _renewal_data(renewal),
            recipients=_providers(session, institution_id, kind),
            institution_id=institution_id,
        )


def renewal_decided(session: Session, actor: Actor, renewal: LicenseRenewal) -> None:
    """Approved (each team with its share), or rejected, cancelled or lapsed."""
    kind = (
        NoticeKind.RENEWAL_APPROVED
        if renewal.status == RenewalStatus.APPROVED
        else NoticeKind.RENEWAL_DECLINED
    )
    with transaction(session):
        for part in renewal.parts:
            _renewal_to_team(
                session,
                actor,
                kind,
                renewal,
                part.team_id,
                note=renewal.decision_note,
                new_valid_until=part.new_valid_until.isoformat() if part.new_valid_until else None,
            )


def version_published(
    session: Session, actor: Actor, dataset: Dataset, version: DatasetVersion
) -> None:
    """A new version of a dataset is published: every team holding a live licence hears it."""
    with transaction(session):
        team_ids = sorted(
            set(
                session.scalars(
                    select(License.team_id).where(
                        License.dataset_id == dataset.id,
                        License.status.in_((LicenseStatus.ACTIVE, LicenseStatus.SUSPENDED)),
                    )
                )
            )
        )
        kind = NoticeKind.DATASET_VERSION_PUBLISHED
        for team_id in team_ids:
            notify(
                session,
                actor,
                kind,
                "dataset_version",
                version.id,
                {
                    "dataset": dataset.slug,
                    "dataset_title_ko": dataset.title_ko,
                    "dataset_title_en": dataset.title_en,
                    "version": version.label,
                    "object_count": version.object_count,
                    "total_bytes": version.total_bytes,
                    "path": f"/datasets/{dataset.slug}",
                },
                recipients=_team_people(session, team_id, kind),
                team_id=team_id,
            )


def team_eliminated(
    session: Session, actor: Actor, team: Team, phase: int, revoked: int, kept: int
) -> None:
    with transaction(session):
        notify(
            session,
            actor,
            NoticeKind.TEAM_ELIMINATED,
            "team",
            team.code,
            {
                "team": team.code,
                "phase": phase,
                "revoked_licenses": revoked,
                "kept_licenses": kept,
                "path": "/team",
            },
            recipients=_team_people(session, team.id, NoticeKind.TEAM_ELIMINATED),
            team_id=team.id,
        )


def budget_changed(
    session: Session, actor: Actor, team: Team, amount: int, memo: str, transaction_id: int
) -> None:
    """The programme granted budget to the team (``amount`` > 0) or clawed some back."""
    kind = NoticeKind.BUDGET_GRANTED if amount > 0 else NoticeKind.BUDGET_CLAWED_BACK
    with transaction(session):
        notify(
            session,
            actor,
            kind,
            "team",
            team.code,
            {
                "team": team.code,
                "amount_krw": abs(amount),
                "balance_krw": team.balance_krw,
                "memo": memo,
                "ledger_transaction_id": transaction_id,
                "path": "/team",
            },
            recipients=_team_people(session, team.id, kind),
            team_id=team.id,
        )


def announce_closing_soon(session: Session, actor: Actor, now: datetime | None = None) -> list[int]:
    """Tell every active team about open joint purchases that close within 24 hours.

    Once per purchase: each one is locked and checked for an earlier announcement in its
    own transaction, so two hosts running ``tick`` at once announce it once between them.
    """
    from catalog.services.purchasing import lock_purchase

    now = now or utcnow()
    due = session.scalars(
        select(Purchase.id)
        .where(
            Purchase.status == PurchaseStatus.OPEN,
            Purchase.mode == OfferMode.JOINT,
            Purchase.deadline > now,
            Purchase.deadline <= now + CLOSING_SOON,
        )
        .order_by(Purchase.id)
    ).all()
    done = set(
        session.scalars(
            select(Notice.subject_id).where(
                Notice.kind == NoticeKind.JOINT_CLOSING_SOON.value,
                Notice.subject_id.in_([str(pid) for pid in due]),
            )
        )
    )
    end_read(session)  # each announcement below is its own transaction
    announced = []
    for pid in due:
        if str(pid) in done:
            continue
        with transaction(session):
            purchase = lock_purchase(session, actor, pid)
            if (
                purchase.status != PurchaseStatus.OPEN
                or purchase.deadline is None
                or not (now < purchase.deadline <= now + CLOSING_SOON)
            ):
                continue
            if _closing_announced(session, pid):
                continue
            for team in _active_teams(session):
                _to_team(
                    session,
                    actor,
                    NoticeKind.JOINT_CLOSING_SOON,
                    purchase,
                    team,
                    participant=any(p.team_id == team.id for p in _joined(purchase)),
                )
            announced.append(pid)
    return announced


def _closing_announced(session: Session, purchase_id: int) -> bool:
    return (
        session.scalar(
            select(Notice.id)
            .where(
                Notice.kind == NoticeKind.JOINT_CLOSING_SOON.value,
                Notice.subject_type == "purchase",
                Notice.subject_id == str(purchase_id),
            )
            .limit(1)
        )
        is not None
    )


# --------------------------------------------------------------------------- the inbox


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


@dataclass
class InboxPage:
    items: list[Notification]
    unread: int
    next_before: int | None  # keyset cursor: pass as ``before`` for the next (older) page


def inbox(
    session: Session,
    actor: Actor,
    *,
    before: int | None = None,
    limit: int = 50,
    unread_only: bool = False,
) -> InboxPage:
    """The actor's notifications, newest first, a page at a time (stable under inserts)."""
    if actor.user_id is None:
        return InboxPage([], 0, None)
    q = select(Notification).where(Notification.user_id == actor.user_id)
    if before is not None:
        if not id_in_range(before):
            raise InvalidInput("before must be a notification id", code="invalid_cursor")
        q = q.where(Notification.id < before)
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    items = list(
        session.scalars(
            q.order_by(Notification.id.desc())
            .limit(limit + 1)
            .options(selectinload(Notification.notice))
        )
    )
    more = len(items) > limit
    items = items[:limit]
    return InboxPage(
        items, unread_count(session, actor.user_id), items[-1].id if more and items else None
    )


def mark_read(
    session: Session, actor: Actor, notification_id: int, now: datetime | None = None
) -> Notification:
    """Mark one of the actor's notifications read (again: no change)."""
    with transaction(session):
        item = (
            session.scalar(
                select(Notification).where(
                    Notification.id == notification_id, Notification.user_id == actor.user_id
                )
            )
            if id_in_range(notification_id) and actor.user_id is not None
            else None
        )
        if item is None:
            raise NotFound(f"No notification {notification_id} of yours.")
        if item.read_at is None:
            item.read_at = now or utcnow()
        session.flush()
        _ = item.notice
    return item


def mark_all_read(session: Session, actor: Actor, now: datetime | None = None) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    with transaction(session):
        # An UPDATE's result is a CursorResult (SQLAlchemy types execute() as a plain Result).
        result = cast(
            CursorResult[Any],
            session.execute(
                update(Notification)
                .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
                .values(read_at=now or utcnow())
            ),
        )
        return result.rowcount or 0


# --------------------------------------------------------------------------- preferences


def kinds_for(role: Role | None) -> tuple[NoticeKind, ...]:
    return policy.notice_kinds(role)


def email_preferences(session: Session, actor: Actor) -> dict[str, bool]:
    """kind → e-mail wanted, for every kind the actor's role can be told about."""
    off = set(
        session.scalars(
            select(NotificationPreference.kind).where(
                NotificationPreference.user_id == actor.user_id,
                NotificationPreference.email.is_(False),
            )
        )
    )
    return {k.value: k.value not in off for k in kinds_for(actor.role)}


def set_email_preferences(session: Session, actor: Actor, wanted: Iterable[str]) -> dict[str, bool]:
    """E-mail for the kinds in ``wanted``, none for the actor's other kinds."""
    wanted = set(wanted)
    kinds = {k.value for k in kinds_for(actor.role)}
    unknown = sorted(wanted - kinds)
    if unknown:
        raise InvalidInput(
            f"unknown notice kind(s) for your role: {', '.join(unknown)}", code="invalid_kind"
        )
    with transaction(session):
        rows = {
            p.kind: p
            for p in session.scalars(
                select(NotificationPreference)
                .where(NotificationPreference.user_id == actor.user_id)
                .with_for_update()
            )
        }
        changed: dict[str, bool] = {}
        for kind in sorted(kinds):
            on = kind in wanted
            row = rows.get(kind)
            if row is None:
                if on:
                    continue  # no row means e-mail on
                row = NotificationPreference(user_id=actor.user_id, kind=kind, email=on)
                session.add(row)
                changed[kind] = on
            elif row.email != on:
                row.email = on
                changed[kind] = on
        session.flush()
        if changed:
            record_event(
                session,
                actor,
                AuditAction.PREFERENCES_UPDATE,
                "user",
                actor.user_id,
                {"email": changed},
            )
    return email_preferences(session, actor)
