"""Money and rights commands: ``budgets``, ``teams eliminate``, ``licenses`` and ``tick``.

flask --app app budgets grant naver 5000000000 --memo "2026 H1"
flask --app app budgets grant naver -1000000000          # claw back unspent budget
flask --app app budgets show [TEAM]
flask --app app teams eliminate ncai --phase 1
flask --app app tick [--checkpoint-log FILE]              # cron-safe, idempotent; signs the
                                                          # audit chain when due; also delivers
"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from auditchain import export_line
from catalog.cli.common import cli_actor, fail
from catalog.db import get_session
from catalog.errors import DomainError
from catalog.models.teams import Team
from catalog.services import audit_review, duties, elimination, ledger

budgets_cli = AppGroup("budgets", help="Team data budgets (the double-entry ledger).")
teams_cli = AppGroup("teams", help="Teams of the programme: elimination.")


@budgets_cli.command("grant", context_settings={"ignore_unknown_options": True})
@click.argument("team")
@click.argument("amount", type=int)
@click.option("--memo", default="", help="Why (kept in the ledger and the audit log).")
def budgets_grant(team: str, amount: int, memo: str) -> None:
    """Grant AMOUNT won to TEAM; a negative AMOUNT claws back unspent budget."""
    session = get_session()
    try:
        txn = ledger.grant_budget(session, cli_actor(), team, amount, memo)
    except DomainError as exc:
        fail(exc)
    balance = session.scalar(select(Team.balance_krw).where(Team.code == team))
    verb = "granted" if amount > 0 else "clawed back"
    click.echo(
        f"{verb} ₩{abs(amount):,} {'to' if amount > 0 else 'from'} {team} "
        f"(ledger transaction {txn.id}); balance ₩{balance:,}"
    )


@budgets_cli.command("show")
@click.argument("team", required=False)
def budgets_show(team: str | None) -> None:
    """Print each team's balance (from the ledger) and what it spent."""
    session = get_session()
    q = select(Team).order_by(Team.code)
    if team:
        q = q.where(Team.code == team)
    teams = session.scalars(q).all()
    if not teams:
        click.echo(f"error: no team {team!r}", err=True)
        raise SystemExit(1)
    for t in teams:
        money = ledger.team_money(session, t)
        click.echo(
            f"{t.code:10} {t.status.value:10} balance ₩{money['balance_krw']:>20,}  "
            f"granted ₩{money['granted_krw']:,}  spent ₩{money['spent_krw']:,}"
        )
    click.echo(f"ledger total (must be 0): {ledger.ledger_total(session)}")


@teams_cli.command("eliminate")
@click.argument("team")
@click.option("--phase", required=True, type=int, help="Evaluation phase number.")
def teams_eliminate(team: str, phase: int) -> None:
    """Eliminate TEAM at evaluation phase N; revoke licences that do not survive it."""
    session = get_session()
    try:
        result = elimination.eliminate_team(session, cli_actor(), team, phase)
    except DomainError as exc:
        fail(exc)
    click.echo(f"team {team} eliminated at phase {phase}")
    for lic in result.revoked:
        click.echo(f"revoked licence {lic.id} ({lic.dataset.slug})")
    for lic in result.kept:
        click.echo(f"kept licence {lic.id} ({lic.dataset.slug}): terms survive elimination")
    for pid, outcome in result.withdrawn:
        click.echo(f"withdrew from purchase {pid}: {outcome}")
    if not (result.revoked or result.kept or result.withdrawn):
        click.echo("no licences or open purchases were affected")


@click.command("tick")
@click.option(
    "--checkpoint-log",
    type=click.Path(dir_okay=False, writable=True),
    help="Append each new audit checkpoint (one JSON line) to this file, kept away from the "
    "database; 'audit verify --checkpoint FILE' reads it.",
)
@with_appcontext
def tick_command(checkpoint_log: str | None) -> None:
    """Close joint purchases past their deadline, lapse undecided renewals, expire lapsed
    licences, announce joint purchases closing within 24 hours and licences ending within
    30/7/1 days, remind leads of overdue destruction attestations, sign the audit chain's
    head when a checkpoint is due, then send the outbox (cron-safe)."""
    from catalog.cli.notices import report_delivery, run_delivery

    session = get_session()
    config = current_app.config
    result = duties.tick(
        session,
        cli_actor(),
        audit_key=config["AUDIT_KEY"],
        checkpoint_events=config["AUDIT_CHECKPOINT_EVENTS"],
        checkpoint_hours=config["AUDIT_CHECKPOINT_HOURS"],
    )
    for pid, status in result.closed:
        click.echo(f"closed purchase {pid}: {status}")
    for lid in result.expired_licenses:
        click.echo(f"expired licence {lid}")
    for pid in result.closing_soon:
        click.echo(f"announced purchase {pid}: closes within 24 hours")
    for rid in result.lapsed_renewals:
        click.echo(f"renewal {rid} lapsed")
    for lid in result.expiring_soon:
        click.echo(f"announced licence {lid}: ends soon")
    for lid in result.attestation_reminders:
        click.echo(f"reminded licence {lid}: destruction attestation outstanding")
    if checkpoint_log and result.checkpoint is not None and result.checkpoint.created:
        cp = result.checkpoint.outcome.checkpoint  # type: ignore[union-attr]
        with open(checkpoint_log, "a", encoding="utf-8") as fh:
            fh.write(export_line(audit_review.checkpoint_as_dict(cp)))
    if result.checkpoint_error is not None:
        checkpoint = f"REFUSED: {result.checkpoint_error.detail}"
    else:
        checkpoint = result.checkpoint.note if result.checkpoint else "not run"
    click.echo(
        f"tick: {len(result.closed)} purchase(s) closed, "
        f"{len(result.expired_licenses)} licence(s) expired; audit checkpoint: {checkpoint}",
        err=True,
    )
    report_delivery(run_delivery())
    if result.checkpoint_error is not None:
        sys.exit(1)
