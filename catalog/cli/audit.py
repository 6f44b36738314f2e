"""Operator commands for the audit chain: ``flask --app app audit …``.

flask --app app audit verify [--checkpoint FILE] [--json] [--no-record]
flask --app app audit export [--out FILE] [--after N]
flask --app app audit checkpoint          # cron-safe: signs the head if it moved
flask --app app audit public-key [--json]
"""

from __future__ import annotations

import json
import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from auditchain import export_line, format_report, read_checkpoint_file
from catalog.cli.common import cli_actor, fail
from catalog.db import get_session
from catalog.errors import DomainError
from catalog.services import audit_review

audit_cli = AppGroup("audit", help="The tamper-evident audit log: verify, export, checkpoint.")


def _key_path() -> str:
    return current_app.config["AUDIT_KEY"]


@audit_cli.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Checkpoints kept outside the database (JSON Lines); repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--no-record",
    is_flag=True,
    help="Do not append an audit:verify event recording this verification.",
)
def audit_verify(checkpoint_files: tuple[str, ...], as_json: bool, no_record: bool) -> None:
    """Verify the whole chain in the database; exit 1 on any problem."""
    extra = []
    for path in checkpoint_files:
        try:
            extra.extend(read_checkpoint_file(path))
        except (OSError, ValueError) as exc:
            raise click.BadParameter(f"{path}: {exc}", param_hint="--checkpoint") from exc
    session = get_session()
    key = audit_review.try_load_key(_key_path())
    if no_record:
        result = audit_review.verify_chain(session, key=key, extra_checkpoints=extra)
    else:
        result = audit_review.verify_and_record(
            session, cli_actor(), key=key, via="cli", extra_checkpoints=extra
        )
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(result, "in the database"))
    sys.exit(0 if result.ok else 1)


@audit_cli.command("export")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to FILE instead of standard output.",
)
@click.option(
    "--after",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Only events after this sequence number (checkpoints are all included).",
)
def audit_export(out: str | None, after: int) -> None:
    """Export events and signed checkpoints as JSON Lines (verify with 'kdc audit verify')."""
    session = get_session()
    key = audit_review.try_load_key(_key_path())
    counts = {"event": 0, "checkpoint": 0}
    fh = open(out, "w", encoding="utf-8") if out else sys.stdout  # noqa: SIM115
    try:
        for line in audit_review.export_lines(session, after=after, key=key):
            if line.endswith(',"type":"event"}\n'):
                counts["event"] += 1
            elif line.startswith("{") and '"type":"checkpoint"' in line:
                counts["checkpoint"] += 1
            fh.write(line)
    finally:
        if out:
            fh.close()
    click.echo(
        f"exported {counts['event']} event(s) after {after} and "
        f"{counts['checkpoint']} checkpoint(s)" + (f" to {out}" if out else ""),
        err=True,
    )


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the chain head with the Ed25519 key (idempotent; safe to run from cron).

    Prints a new checkpoint as one JSON line on standard output (append it to a file kept
    elsewhere); prints nothing there when the head is already signed.
    """
    session = get_session()
    try:
        key = audit_review.load_key(_key_path(), create=True)
        outcome = audit_review.create_checkpoint(session, key)
    except DomainError as exc:
        fail(exc)
    except OSError as exc:
        click.echo(f"error: cannot use the audit key {_key_path()}: {exc}", err=True)
        sys.exit(1)
    if outcome.created:
        click.echo(export_line(audit_review.checkpoint_as_dict(outcome.checkpoint)))
    click.echo(f"checkpoint: {outcome.reason}", err=True)


@audit_cli.command("public-key")
@click.option("--json", "as_json", is_flag=True, help="Print key id and PEM as JSON.")
def audit_public_key(as_json: bool) -> None:
    """Print the public half of the checkpoint key (created on first use)."""
    try:
        key = audit_review.load_key(_key_path(), create=True)
    except DomainError as exc:
        fail(exc)
    except OSError as exc:
        click.echo(f"error: cannot use the audit key {_key_path()}: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(key.info(), indent=2))
    else:
        click.echo(key.public_pem, nl=False)
        click.echo(f"key id {key.key_id} ({os.path.abspath(key.path)})", err=True)
