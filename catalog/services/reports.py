"""Read-only reports for the auditor's console: purchase ledger, joint vs individual by
team, institution revenue, access log, budget ledger and the raw event log.

Everything here only reads; every function checks that the actor is an auditor or an
admin. Rows come back as plain dicts so that the console renders them and the CSV and
JSON Lines exports write them without a second mapping.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, aliased, selectinload

from catalog import policy
from catalog.models.access import AccessGrant
from catalog.models.audit import AuditEvent
from catalog.models.datasets import Dataset, DatasetVersion
from catalog.models.institutions import Institution
from catalog.models.ledger import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction
from catalog.models.licenses import License
from catalog.models.offers import OfferMode
from catalog.models.purchases import ParticipantStatus, Purchase, PurchaseParticipant
from catalog.models.teams import Team
from catalog.models.users import ApiToken, User
from catalog.services.context import Actor
from catalog.services.shares import split_price

_T = TypeVar("_T")

PER_PAGE = 50


@dataclass
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def _date_range(
    q: Select[_T], column: QueryableAttribute[datetime], filters: dict[str, Any]
) -> Select[_T]:
    if filters.get("date_from"):
        q = q.where(column >= _day_start(filters["date_from"]))
    if filters.get("date_to"):
        q = q.where(column < _day_start(filters["date_to"] + timedelta(days=1)))
    return q


def _paged(
    session: Session, q: Select[_T], page: int | None, per_page: int
) -> tuple[list[_T], int]:
    if page is None:  # exports: everything
        return list(session.scalars(q)), -1
    total = session.scalar(select(func.count()).select_from(q.order_by(None).subquery())) or 0
    rows = list(session.scalars(q.offset((page - 1) * per_page).limit(per_page)))
    return rows, total


def _emails(session: Session, ids: Iterable[int | None]) -> dict[int | None, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())


def _iso(value: datetime | None) -> str | None:
    return (
        value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        if value
        else None
    )


# --------------------------------------------------------------------------- purchase ledger


def _purchase_query(session: Session, filters: dict[str, Any]) -> Select[Purchase]:
    q = (
        select(Purchase)
        .join(Dataset, Dataset.id == Purchase.dataset_id)
        .join(Institution, Institution.id == Dataset.institution_id)
    )
    if filters.get("team"):
        part = aliased(PurchaseParticipant)
        q = q.where(
            Purchase.id.in_(
                select(part.purchase_id)
                .join(Team, Team.id == part.team_id)
                .where(Team.code == filters["team"])
            )
        )
    if filters.get("institution"):
        q = q.where(Institution.code == filters["institution"].upper())
    if filters.get("dataset"):
        q = q.where(Dataset.slug == filters["dataset"])
    if filters.get("mode"):
        q = q.where(Purchase.mode == OfferMode(filters["mode"]))
    if filters.get("status"):
        q = q.where(Purchase.status == filters["status"])
    q = _date_range(q, Purchase.created_at, filters)
    return q.order_by(Purchase.created_at.desc(), Purchase.id.desc()).options(
        selectinload(Purchase.participants).selectinload(PurchaseParticipant.team),
        selectinload(Purchase.dataset).selectinload(Dataset.institution),
        selectinload(Purchase.opener_team),
    )


def purchase_ledger(
    session: Session,
    actor: Actor,
    filters: dict[str, Any],
    *,
    page: int | None = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """Every purchase matching ``filters`` (team, institution, dataset, mode, status,
    date_from, date_to), newest first, with participants, shares and who approved."""
    policy.require(actor, "audit.read")
    purchases, total = _paged(session, _purchase_query(session, filters), page, per_page)
    users = _emails(
        session,
        [
            uid
            for p in purchases
            for uid in (
                p.opened_by_id,
                p.decided_by_id,
                p.closed_by_id,
                *(x.confirmed_by_id for x in p.participants),
                *(x.joined_by_id for x in p.participants),
            )
        ],
    )
    txns = (
        dict(
            session.execute(
                select(LedgerTransaction.purchase_id, LedgerTransaction.id)
                .where(LedgerTransaction.purchase_id.in_([p.id for p in purchases]))
                .order_by(LedgerTransaction.id)
            ).all()
        )
        if purchases
        else {}
    )
    items = []
    for p in purchases:
        joined = [x for x in p.participants if x.status == ParticipantStatus.JOINED]
        preview = (
            dict(zip([x.id for x in joined], split_price(p.price_krw, len(joined)), strict=True))
            if joined
            else {}
        )
        parts: list[dict[str, Any]] = [
            {
                "team": x.team.code,
                "status": x.status.value,
                "join_order": x.join_order,
                "joined_at": _iso(x.joined_at),
                "joined_by": users.get(x.joined_by_id),
                "confirmed_by": users.get(x.confirmed_by_id),
                "confirmed_at": _iso(x.confirmed_at),
                "share_krw": x.share_krw,
                "preview_share_krw": preview.get(x.id),
            }
            for x in p.participants
        ]
        items.append(
            {
                "id": p.id,
                "created_at": _iso(p.created_at),
                "mode": p.mode.value,
                "status": p.status.value,
                "dataset": p.dataset.slug,
                "dataset_title_ko": p.dataset.title_ko,
                "dataset_title_en": p.dataset.title_en,
                "institution": p.dataset.institution.code,
                "price_krw": p.price_krw,
                "charged_krw": sum(x["share_krw"] or 0 for x in parts),
                "opener_team": p.opener_team.code,
                "opened_by": users.get(p.opened_by_id),
                "participants": parts,
                "decided_by": users.get(p.decided_by_id),
                "decided_at": _iso(p.decided_at),
                "decision_note": p.decision_note,
                "ledger_transaction_id": txns.get(p.id),
            }
        )
    return Page(items, total if total >= 0 else len(items), page or 1, per_page)


PURCHASE_CSV = [
    "id",
    "created_at",
    "mode",
    "status",
    "dataset",
    "institution",
    "price_krw",
    "charged_krw",
    "opener_team",
    "opened_by",
    "participants",
    "approvals",
    "decided_by",
    "decided_at",
    "decision_note",
    "ledger_transaction_id",
]


def purchase_csv_row(item: dict[str, Any]) -> dict[str, Any]:
    """One CSV line per purchase: participants as ``team=share`` and lead approvals joined."""
    row = {k: item.get(k) for k in PURCHASE_CSV}
    row["participants"] = "; ".join(
        f"{x['team']}={x['share_krw'] if x['share_krw'] is not None else x['preview_share_krw']}"
        + ("" if x["status"] == "joined" else f" ({x['status']})")
        for x in item["participants"]
    )
    row["approvals"] = "; ".join(
        f"{x['team']}:{x['confirmed_by']}@{x['confirmed_at']}"
        for x in item["participants"]
        if x["confirmed_by"]
    )
    return row


# --------------------------------------------------------------------------- by team


def team_summary(session: Session, actor: Actor) -> dict[str, Any]:
    """Per team: datasets held jointly and individually, what it paid for each, its
    budget granted and remaining (from the ledger); per institution: revenue."""
    policy.require(actor, "audit.read")
    now = datetime.now(UTC)
    teams = list(session.scalars(select(Team).order_by(Team.code)))
    # What each team paid, by mode, from the purchases' charged shares.
    paid: defaultdict[int, dict[str, int]] = defaultdict(lambda: {"joint": 0, "individual": 0})
    for team_id, mode, amount in session.execute(
        select(PurchaseParticipant.team_id, Purchase.mode, func.sum(PurchaseParticipant.share_krw))
        .join(Purchase, Purchase.id == PurchaseParticipant.purchase_id)
        .where(PurchaseParticipant.share_krw.is_not(None))
        .group_by(PurchaseParticipant.team_id, Purchase.mode)
    ).all():
        paid[team_id][OfferMode(mode).value] = int(amount or 0)
    held: defaultdict[int, dict[str, list[str]]] = defaultdict(
        lambda: {"joint": [], "individual": []}
    )
    for lic, mode, slug in session.execute(
        select(License, Purchase.mode, Dataset.slug)
        .join(Purchase, Purchase.id == License.purchase_id)
        .join(Dataset, Dataset.id == License.dataset_id)
        .where(License.status == "active", License.valid_until > now)
        .order_by(Dataset.slug)
    ).all():
        held[lic.team_id][OfferMode(mode).value].append(slug)
    # Ledger sums per account and transaction kind.
    sums: defaultdict[int | None, dict[str, int]] = defaultdict(dict)
    for account_id, kind, amount in session.execute(
        select(LedgerEntry.account_id, LedgerTransaction.kind, func.sum(LedgerEntry.amount_krw))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .group_by(LedgerEntry.account_id, LedgerTransaction.kind)
    ).all():
        sums[account_id][str(getattr(kind, "value", kind))] = int(amount or 0)
    accounts = list(session.scalars(select(LedgerAccount)))
    team_acct = {a.team_id: a.id for a in accounts if a.kind == AccountKind.TEAM}
    inst_acct = {a.institution_id: a.id for a in accounts if a.kind == AccountKind.INSTITUTION}
    team_rows = []
    for t in teams:
        s = sums.get(team_acct.get(t.id), {})
        team_rows.append(
            {
                "team": t.code,
                "name_ko": t.name_ko,
                "name_en": t.name_en,
                "status": t.status.value,
                "joint_datasets": held[t.id]["joint"],
                "individual_datasets": held[t.id]["individual"],
                "paid_joint_krw": paid[t.id]["joint"],
                "paid_individual_krw": paid[t.id]["individual"],
                "granted_krw": s.get("grant", 0) + s.get("clawback", 0),
                "spent_krw": -(s.get("purchase", 0) + s.get("renewal", 0) + s.get("reversal", 0)),
                "remaining_krw": sum(s.values()),
            }
        )
    sales: defaultdict[int, dict[str, int]] = defaultdict(lambda: {"joint": 0, "individual": 0})
    for inst_id, mode, count in session.execute(
        select(Dataset.institution_id, Purchase.mode, func.count(Purchase.id))
        .join(Dataset, Dataset.id == Purchase.dataset_id)
        .where(Purchase.status == "approved")
        .group_by(Dataset.institution_id, Purchase.mode)
    ).all():
        sales[inst_id][OfferMode(mode).value] = int(count)
    inst_rows = []
    for inst in session.scalars(select(Institution).order_by(Institution.code)):
        inst_rows.append(
            {
                "institution": inst.code,
                "name_ko": inst.name_ko,
                "name_en": inst.name_en,
                "revenue_krw": sum(sums.get(inst_acct.get(inst.id), {}).values()),
                "joint_sales": sales[inst.id]["joint"],
                "individual_sales": sales[inst.id]["individual"],
            }
        )
    return {"teams": team_rows, "institutions": inst_rows}


TEAM_CSV = [
    "team",
    "name_en",
    "status",
    "joint_datasets",
    "individual_datasets",
    "paid_joint_krw",
    "paid_individual_krw",
    "granted_krw",
    "spent_krw",
    "remaining_krw",
]
INSTITUTION_CSV = ["institution", "name_en", "revenue_krw", "joint_sales", "individual_sales"]


def team_csv_row(item: dict[str, Any]) -> dict[str, Any]:
    row = {k: item.get(k) for k in TEAM_CSV}
    row["joint_datasets"] = " ".join(item["joint_datasets"])
    row["individual_datasets"] = " ".join(item["individual_datasets"])
    return row


# --------------------------------------------------------------------------- access log


def access_log(
    session: Session,
    actor: Actor,
    filters: dict[str, Any],
    *,
    page: int | None = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """Each issuance of download URLs: who, which token, team, dataset, version, how many."""
    policy.require(actor, "audit.read")
    q = (
        select(AccessGrant)
        .join(Dataset, Dataset.id == AccessGrant.dataset_id)
        .join(Institution, Institution.id == Dataset.institution_id)
        .join(Team, Team.id == AccessGrant.team_id)
        .join(User, User.id == AccessGrant.user_id)
    )
    if filters.get("team"):
        q = q.where(Team.code == filters["team"])
    if filters.get("institution"):
        q = q.where(Institution.code == filters["institution"].upper())
    if filters.get("dataset"):
        q = q.where(Dataset.slug == filters["dataset"])
    if filters.get("user"):
        q = q.where(User.email == filters["user"].lower())
    q = _date_range(q, AccessGrant.created_at, filters)
    q = q.order_by(AccessGrant.created_at.desc(), AccessGrant.id.desc())
    grants, total = _paged(session, q, page, per_page)
    ds = (
        {
            d.id: d
            for d in session.scalars(
                select(Dataset)
                .where(Dataset.id.in_({g.dataset_id for g in grants}))
                .options(selectinload(Dataset.institution))
            )
        }
        if grants
        else {}
    )
    teams = dict(session.execute(select(Team.id, Team.code)).all())
    versions = (
        dict(
            session.execute(
                select(DatasetVersion.id, DatasetVersion.label).where(
                    DatasetVersion.id.in_({g.version_id for g in grants})
                )
            ).all()
        )
        if grants
        else {}
    )
    tokens = (
        dict(
            session.execute(
                select(ApiToken.id, ApiToken.prefix).where(
                    ApiToken.id.in_({g.token_id for g in grants if g.token_id})
                )
            ).all()
        )
        if grants
        else {}
    )
    users = _emails(session, [g.user_id for g in grants])
    items = [
        {
            "id": g.id,
            "created_at": _iso(g.created_at),
            "user": users.get(g.user_id),
            "token": tokens.get(g.token_id) if g.token_id is not None else None,
            "team": teams.get(g.team_id),
            "institution": ds[g.dataset_id].institution.code,
            "dataset": ds[g.dataset_id].slug,
            "version": versions.get(g.version_id),
            "license_id": g.license_id,
            "object_count": g.object_count,
            "ttl_seconds": g.ttl_seconds,
            "client_addr": g.client_addr,
        }
        for g in grants
    ]
    return Page(items, total if total >= 0 else len(items), page or 1, per_page)


ACCESS_CSV = [
    "id",
    "created_at",
    "user",
    "token",
    "team",
    "institution",
    "dataset",
    "version",
    "license_id",
    "object_count",
    "ttl_seconds",
    "client_addr",
]


# --------------------------------------------------------------------------- budget ledger


def ledger_log(
    session: Session,
    actor: Actor,
    filters: dict[str, Any],
    *,
    page: int | None = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """Ledger transactions with their entries, newest first."""
    policy.require(actor, "audit.read")
    q = select(LedgerTransaction)
    if filters.get("kind"):
        q = q.where(LedgerTransaction.kind == filters["kind"])
    if filters.get("account"):
        q = q.where(
            LedgerTransaction.id.in_(
                select(LedgerEntry.transaction_id)
                .join(LedgerAccount)
                .where(
                    or_(
                        LedgerAccount.code == filters["account"],
                        LedgerAccount.code.like("%:" + filters["account"]),
                    )
                )
            )
        )
    q = _date_range(q, LedgerTransaction.created_at, filters)
    q = q.order_by(LedgerTransaction.id.desc()).options(
        selectinload(LedgerTransaction.entries).selectinload(LedgerEntry.account)
    )
    txns, total = _paged(session, q, page, per_page)
    users = _emails(session, [t.actor_id for t in txns])
    items = [
        {
            "id": t.id,
            "created_at": _iso(t.created_at),
            "kind": t.kind.value,
            "purchase_id": t.purchase_id,
            "reverses_id": t.reverses_id,
            "actor": users.get(t.actor_id) or "system",
            "memo": t.memo,
            "entries": [{"account": e.account.code, "amount_krw": e.amount_krw} for e in t.entries],
        }
        for t in txns
    ]
    return Page(items, total if total >= 0 else len(items), page or 1, per_page)


LEDGER_CSV = ["id", "created_at", "kind", "purchase_id", "reverses_id", "actor", "memo", "entries"]


def ledger_csv_row(item: dict[str, Any]) -> dict[str, Any]:
    row = {k: item.get(k) for k in LEDGER_CSV}
    row["entries"] = "; ".join(f"{e['account']}={e['amount_krw']}" for e in item["entries"])
    return row


# --------------------------------------------------------------------------- event log


def event_log(
    session: Session,
    actor: Actor,
    filters: dict[str, Any],
    *,
    page: int | None = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """Audit events matching the filters, newest first (as stored and hashed)."""
    policy.require(actor, "audit.read")
    q = select(AuditEvent)
    action = filters.get("action")
    if action:
        q = q.where(
            AuditEvent.action.like(action.replace("%", "") + "%")
            if action.endswith(":")
            else AuditEvent.action == action
        )
    if filters.get("actor"):
        q = q.where(AuditEvent.actor == filters["actor"])
    if filters.get("subject_type"):
        q = q.where(AuditEvent.subject_type == filters["subject_type"])
    if filters.get("subject_id"):
        q = q.where(AuditEvent.subject_id == filters["subject_id"])
    q = _date_range(q, AuditEvent.created_at, filters)
    q = q.order_by(AuditEvent.seq.desc())
    events, total = _paged(session, q, page, per_page)
    from catalog.services.audit import event_as_dict

    items = [event_as_dict(e) for e in events]
    return Page(items, total if total >= 0 else len(items), page or 1, per_page)


EVENT_CSV = [
    "seq",
    "ts",
    "actor",
    "actor_id",
    "token_id",
    "action",
    "subject_type",
    "subject_id",
    "data",
    "client_addr",
    "prev_hash",
    "hash",
]


def event_csv_row(item: dict[str, Any]) -> dict[str, Any]:
    row = dict(item)
    row["data"] = json.dumps(item["data"], ensure_ascii=False, sort_keys=True)
    return row


# --------------------------------------------------------------------------- exports


def _csv_safe(value: object) -> str:
    """Spreadsheet-safe text: a cell starting with = + - @ would run as a formula."""
    if value is None:
        return ""
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def csv_lines(rows: Iterable[dict[str, Any]], columns: list[str]) -> Iterator[str]:
    """CSV with a header line (UTF-8 with BOM, so spreadsheet programs read the Hangul)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    yield "\ufeff" + buf.getvalue()
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow([_csv_safe(row.get(c)) for c in columns])
        yield buf.getvalue()


def jsonl_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"
