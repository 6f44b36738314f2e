"""``flask --app app db``: create or migrate the schema, and write new migrations.

``db upgrade`` also creates the audit signing key on first start (``KDC_AUDIT_KEY``) and
signs the audit chain's head when a checkpoint is due.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import AppGroup

if TYPE_CHECKING:
    from alembic.operations.ops import MigrationScript
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

db_cli = AppGroup("db", help="Create or migrate the database schema.")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create the schema or migrate it to the newest revision."""
    from catalog.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo("database is at revision " + revision, err=True)
    _first_checkpoint()


def _first_checkpoint() -> None:
    """On a first start, create the audit signing key and sign the chain's head (when there
    is one and no checkpoint is due yet, nothing happens: ``tick`` signs from then on)."""
    from catalog.db import get_session
    from catalog.errors import DomainError
    from catalog.services import audit_review

    config = current_app.config
    try:
        auto = audit_review.auto_checkpoint(
            get_session(),
            config["AUDIT_KEY"],
            every_events=config["AUDIT_CHECKPOINT_EVENTS"],
            every_hours=config["AUDIT_CHECKPOINT_HOURS"],
            create_key=True,
        )
    except (DomainError, OSError) as exc:
        click.echo(f"audit checkpoint: not made ({getattr(exc, 'detail', exc)})", err=True)
        return
    if auto.created:
        click.echo(f"audit checkpoint: {auto.note}", err=True)


@db_cli.command("revision")
@click.option(
    "-m", "--message", required=True, help="What the migration does; its file name says it too."
)
@click.option(
    "--autogenerate",
    is_flag=True,
    help="Write the operations that take the database's schema (at the head revision) to "
    "the models'. Review them before committing.",
)
@click.option(
    "--directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The migrations folder (default: the project's migrations/).",
)
def db_revision(message: str, autogenerate: bool, directory: Path | None) -> None:
    """Create a migration in migrations/versions, numbered after the current head.

    Files are named YYYYMMDD_NNNN_slug.py with revision ids 0001, 0002, …
    """
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from catalog.migrate import alembic_config

    if not message.strip():
        raise click.UsageError("give the migration a message: -m 'what it does'")
    cfg = alembic_config(current_app.config["DATABASE_URL"])
    if directory is not None:
        cfg.set_main_option("script_location", str(directory.resolve()))
    cfg.cmd_opts = argparse.Namespace(quiet=True)  # this command reports what it wrote
    script = ScriptDirectory.from_config(cfg)
    rev_id = next_revision_id(script)
    unchanged: list[bool] = []

    def skip_empty(
        context: MigrationContext,
        revision: str | Iterable[str | None] | Iterable[str],
        directives: list[MigrationScript],
    ) -> None:
        ops = directives[0].upgrade_ops if directives else None
        if autogenerate and ops is not None and ops.is_empty():
            directives.clear()
            unchanged.append(True)

    # Autogenerate compares through the app's own engine (migrations/env.py takes a given
    # connection), so nothing is left open when alembic refuses.
    engine = current_app.extensions["kdc_engine"]
    try:
        with engine.connect() if autogenerate else nullcontext() as connection:
            cfg.attributes["connection"] = connection
            written = command.revision(
                cfg,
                message=message.strip(),
                autogenerate=autogenerate,
                rev_id=rev_id,
                process_revision_directives=skip_empty,
            )
    except CommandError as exc:
        raise click.ClickException(str(exc)) from exc
    if unchanged or not written:
        click.echo("the models and the database already agree: no revision written", err=True)
        return
    new = written[0] if isinstance(written, list) else written
    if new is None:
        raise click.ClickException("alembic wrote no revision")
    after = new.down_revision or "none"
    click.echo(
        f"created revision {new.revision} (after {after}); review it, then commit it:", err=True
    )
    click.echo(_shown(Path(new.path)))


def next_revision_id(script: ScriptDirectory) -> str:
    """The id after the single head: '0001' for the first migration, then '0002', …"""
    heads = script.get_heads()
    if not heads:
        return "0001"
    if len(heads) > 1:
        raise click.ClickException(
            f"the migrations have several heads ({', '.join(sorted(heads))}); "
            "make one revision follow the other first"
        )
    head = heads[0]
    if not head.isdigit():
        raise click.ClickException(f"the head revision {head!r} is not a number like 0003")
    return f"{int(head) + 1:0{max(4, len(head))}d}"


def _shown(path: Path) -> str:
    """The path relative to the working directory when it is below it."""
    path = path.resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
