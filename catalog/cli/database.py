"""``flask --app app db upgrade``: create or migrate the schema."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

db_cli = AppGroup("db", help="Create or migrate the database schema.")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create the schema or migrate it to the newest revision."""
    from catalog.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo("database is at revision " + revision, err=True)
