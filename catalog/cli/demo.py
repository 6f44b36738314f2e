"""``flask --app app demo``: load the demo catalogue (idempotent)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from catalog.db import get_session
from catalog.demo import DEMO_PASSWORD, load_demo


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo catalogue (idempotent): teams, institutions, datasets, demo accounts,
    and a few demo licences (one with a quota in use, one ending soon, one ended)."""
    added = load_demo(get_session(), current_app.extensions["kdc_store"], licences=True)
    click.echo(
        f"demo catalogue loaded ({added} datasets added; accounts use password {DEMO_PASSWORD!r})",
        err=True,
    )
