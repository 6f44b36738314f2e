"""The double-entry budget ledger: grants, claw-backs, purchase charges, reversals.

``post_transaction`` is the only writer of entries. It refuses unbalanced sets, keeps the
cached ``Team.balance_krw`` equal to the ledger's sum for the team's account, and writes
one audit event. Callers lock the teams they debit first (``lock_teams``, ordered by id)
so that concurrent debits re-check balances on current values; the table's CHECK
constraint is the backstop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from catalog import policy
from catalog.db import transaction
from catalog.errors import Conflict, InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.institutions import Institution
from catalog.models.ledger import (
    AccountKind,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from catalog.models.teams import Team, TeamStatus
from catalog.services import notices
from catalog.services.audit import AuditItem, record_event
from catalog.services.context import Actor

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PgInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

PROGRAM_ACCOUNT = "program"
MAX_AMOUNT = 10**15  # a quadrillion won: far beyond any budget, far inside BIGINT


class BudgetExceeded(Conflict):
    code = "budget_exceeded"


def budget_exceeded(
    actor: Actor, team: Team, needed_krw: int, tail: str = "", **extra: Any
) -> BudgetExceeded:
    """The 409 for a team that cannot pay ``needed_krw``: it names the team and the sum;
    the balance only for those who may see the team's money (``team.view_money``)."""
    if policy.can(actor, "team.view_money", team):
        detail = f"Team {team.code} has ₩{team.balance_krw:,} but needs ₩{needed_krw:,}."
        extra["balance_krw"] = team.balance_krw
    else:
        detail = f"Team {team.code} cannot pay ₩{needed_krw:,}."
    return BudgetExceeded(
        f"{detail} {tail}".strip(), team=team.code, needed_krw=needed_krw, **extra
    )


def _ensure_account(
    session: Session,
    code: str,
    kind: AccountKind,
    *,
    team_id: int | None = None,
    institution_id: int | None = None,
) -> LedgerAccount:
    """Return the account ``code``, creating it race-free: two transactions that both find
    it missing both INSERT … ON CONFLICT DO NOTHING, and both then read the one row."""
    acct = session.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
    if acct is not None:
        return acct
    dialect = session.get_bind().dialect.name
    stmt: PgInsert | SqliteInsert
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(LedgerAccount)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(LedgerAccount)
    session.execute(
        stmt.values(
            code=code, kind=kind, team_id=team_id, institution_id=institution_id
        ).on_conflict_do_nothing()
    )
    return session.scalars(select(LedgerAccount).where(LedgerAccount.code == code)).one()


def program_account(session: Session) -> LedgerAccount:
    return _ensure_account(session, PROGRAM_ACCOUNT, AccountKind.PROGRAM)


def team_account(session: Session, team: Team) -> LedgerAccount:
    acct = session.scalar(select(LedgerAccount).where(LedgerAccount.team_id == team.id))
    if acct is not None:
        return acct
    return _ensure_account(session, f"team:{team.code}", AccountKind.TEAM, team_id=team.id)


def team_accounts(
    session: Session, teams: list[Team], institution: Institution | None = None
) -> tuple[dict[int, LedgerAccount], LedgerAccount | None]:
    """``team_account`` of several teams (team id → account) and, if given,
    ``institution_account`` of an institution, read in one query."""
    wanted: list[ColumnElement[bool]] = [LedgerAccount.team_id.in_([t.id for t in teams])]
    if institution is not None:
        wanted.append(LedgerAccount.institution_id == institution.id)
    found: dict[int, LedgerAccount] = {}
    inst_acct = None
    for acct in session.scalars(select(LedgerAccount).where(or_(*wanted))):
        if acct.team_id is not None:
            found[acct.team_id] = acct
        elif institution is not None and acct.institution_id == institution.id:
            inst_acct = acct
    for team in teams:
        if team.id not in found:
            found[team.id] = team_account(session, team)
    if institution is not None and inst_acct is None:
        inst_acct = institution_account(session, institution)
    return found, inst_acct


def institution_account(session: Session, institution: Institution) -> LedgerAccount:
    acct = session.scalar(
        select(LedgerAccount).where(LedgerAccount.institution_id == institution.id)
    )
    if acct is not None:
        return acct
    return _ensure_account(
        session,
        f"institution:{institution.code}",
        AccountKind.INSTITUTION,
        institution_id=institution.id,
    )


def lock_teams(session: Session, team_ids: Iterable[int]) -> dict[int, Team]:
    """Lock the teams' rows in id order (no deadlocks) and return them fresh from the database.

    ``FOR NO KEY UPDATE`` (what PostgreSQL's own UPDATE of a balance takes): it excludes
    every other writer of the team, but not rows that merely refer to the team. Those take
    key-share locks on it as they are inserted (access grants, participations, notices
    addressed to it); a full ``FOR UPDATE`` would wait for every one of them, so under a
    steady stream of downloads an approval could wait for ever, and a notice written while
    the audit chain head is held could deadlock against this lock's holder.
    """
    ids = sorted(set(team_ids))
    if not ids:
        return {}
    teams = session.scalars(
        select(Team)
        .where(Team.id.in_(ids))
        .order_by(Team.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).all()
    return {t.id: t for t in teams}


def post_transaction(
    session: Session,
    actor: Actor,
    kind: TransactionKind,
    entries: list[tuple[LedgerAccount, int]],
    *,
    purchase_id: int | None = None,
    reverses_id: int | None = None,
    memo: str = "",
    events: list[AuditItem] | None = None,
) -> LedgerTransaction:
    """Write one balanced movement. Team rows touched must already be locked by the caller.

    ``events``: a list to which the movement's audit event is appended instead of being
    recorded at once (the caller records it, in its place, with ``record_events``)."""
    if sum(amount for _acct, amount in entries) != 0:
        raise ValueError("unbalanced ledger transaction")
    if any(not isinstance(amount, int) or isinstance(amount, bool) for _a, amount in entries):
        raise TypeError("ledger amounts are whole won (int)")
    txn = LedgerTransaction(
        kind=kind,
        purchase_id=purchase_id,
        reverses_id=reverses_id,
        actor_id=actor.user_id,
        memo=memo[:500],
    )
    session.add(txn)
    session.flush()
    for acct, amount in entries:
        if amount == 0:
            continue
        session.add(LedgerEntry(transaction_id=txn.id, account_id=acct.id, amount_krw=amount))
        if acct.kind == AccountKind.TEAM:
            team = session.get(Team, acct.team_id)
            assert team is not None  # a team account belongs to a team (a constraint)
            if team.balance_krw + amount < 0:
                raise budget_exceeded(actor, team, -amount)
            team.balance_krw += amount
    session.flush()
    item: AuditItem = (
        AuditAction(f"ledger:{kind.value}"),
        "ledger_transaction",
        txn.id,
        {
            "purchase_id": purchase_id,
            "reverses_id": reverses_id,
            "memo": memo[:500],
            "entries": [{"account": a.code, "amount_krw": amt} for a, amt in entries if amt],
        },
    )
    if events is not None:
        events.append(item)
    else:
        record_event(session, actor, *item)
    return txn


def grant_budget(
    session: Session, actor: Actor, team_code: str, amount: int, memo: str = ""
) -> LedgerTransaction:
    """Move ``amount`` won from the programme to a team; negative claws unspent budget back."""
    with transaction(session):
        policy.require(actor, "team.grant_budget")
        if (
            not isinstance(amount, int)
            or isinstance(amount, bool)
            or amount == 0
            or abs(amount) > MAX_AMOUNT
        ):
            raise InvalidInput(
                "amount must be a non-zero whole number of won, at most 10^15",
                code="invalid_amount",
            )
        team = session.scalar(select(Team).where(Team.code == team_code))
        if team is None:
            raise NotFound(f"No team {team_code!r}.")
        team = lock_teams(session, [team.id])[team.id]
        if amount > 0 and team.status == TeamStatus.ELIMINATED:
            raise Conflict(
                f"Team {team.code} is eliminated; it cannot receive budget.", code="team_eliminated"
            )
        if amount < 0 and team.balance_krw + amount < 0:
            raise BudgetExceeded(
                f"Team {team.code} has only ₩{team.balance_krw:,} unspent; cannot claw back ₩{-amount:,}.",
                team=team.code,
                balance_krw=team.balance_krw,
            )
        kind = TransactionKind.GRANT if amount > 0 else TransactionKind.CLAWBACK
        memo = memo or ("budget grant" if amount > 0 else "budget claw-back")
        txn = post_transaction(
            session,
            actor,
            kind,
            [(program_account(session), -amount), (team_account(session, team), amount)],
            memo=memo,
        )
        notices.budget_changed(session, actor, team, amount, memo, txn.id)
        return txn


def account_balance(session: Session, account: LedgerAccount) -> int:
    # int(): PostgreSQL sums BIGINT as NUMERIC (Decimal).
    return int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_krw), 0)).where(
                LedgerEntry.account_id == account.id
            )
        )
        or 0
    )


def ledger_total(session: Session) -> int:
    """Σ of every entry; zero at all times."""
    return int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_krw), 0))) or 0)


@dataclass
class LedgerLine:
    """One entry of an account's statement, with its transaction's context."""

    transaction_id: int
    kind: str
    amount_krw: int
    memo: str
    purchase_id: int | None
    reverses_id: int | None
    created_at: datetime
    balance_after_krw: int


def account_statement(
    session: Session, account: LedgerAccount, *, limit: int = 100
) -> list[LedgerLine]:
    """The newest ``limit`` entries of an account, newest first, with running balances."""
    rows = session.execute(
        select(LedgerEntry.amount_krw, LedgerTransaction)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.account_id == account.id)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    ).all()
    balance = account_balance(session, account)
    out = []
    for amount, txn in rows:
        out.append(
            LedgerLine(
                txn.id,
                txn.kind.value,
                amount,
                txn.memo,
                txn.purchase_id,
                txn.reverses_id,
                txn.created_at,
                balance,
            )
        )
        balance -= amount
    return out


def account_totals(session: Session, account: LedgerAccount) -> dict[str, int]:
    """Σ of an account's entries per transaction kind (grant, clawback, purchase, reversal)."""
    rows = session.execute(
        select(LedgerTransaction.kind, func.sum(LedgerEntry.amount_krw))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.account_id == account.id)
        .group_by(LedgerTransaction.kind)
    ).all()
    totals = {k.value: 0 for k in TransactionKind}
    for kind, amount in rows:
        totals[TransactionKind(kind).value] = int(amount)
    return totals


def find_team_account(session: Session, team: Team) -> LedgerAccount | None:
    """The team's account, or None before its first movement (reads never create one)."""
    return session.scalar(select(LedgerAccount).where(LedgerAccount.team_id == team.id))


def team_statement(session: Session, team: Team, *, limit: int = 100) -> list[LedgerLine]:
    acct = find_team_account(session, team)
    return account_statement(session, acct, limit=limit) if acct is not None else []


def team_money(session: Session, team: Team) -> dict[str, Any]:
    """What a team received, gave back and spent, and what is left: all from the ledger."""
    acct = find_team_account(session, team)
    totals = (
        account_totals(session, acct) if acct is not None else {k.value: 0 for k in TransactionKind}
    )
    return {
        "balance_krw": account_balance(session, acct) if acct is not None else 0,
        "granted_krw": totals["grant"],
        "clawed_back_krw": -totals["clawback"],
        "spent_krw": -(totals["purchase"] + totals["renewal"]),
        "reversed_krw": totals["reversal"],
    }


def institution_revenue(session: Session, institution: Institution) -> int:
    """Won received by an institution from purchases of its datasets (net of reversals)."""
    acct = session.scalar(
        select(LedgerAccount).where(LedgerAccount.institution_id == institution.id)
    )
    return account_balance(session, acct) if acct is not None else 0


def account_balances(session: Session) -> list[tuple[LedgerAccount, int]]:
    """Every account with its ledger balance (for the auditor's overview)."""
    sums = dict(
        session.execute(
            select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_krw)).group_by(
                LedgerEntry.account_id
            )
        ).all()
    )
    accounts = session.scalars(select(LedgerAccount).order_by(LedgerAccount.code)).all()
    return [(a, int(sums.get(a.id, 0))) for a in accounts]
