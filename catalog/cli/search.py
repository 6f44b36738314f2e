"""The search index: ``flask --app app search reindex``.

flask --app app search reindex     # rebuild the bigram index from the datasets and offers

The index follows every change made through the services on its own; this repairs it
after data was changed behind their back (a restore of some tables, a manual UPDATE).
"""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from catalog.cli.common import cli_actor
from catalog.db import get_session
from catalog.services import search

search_cli = AppGroup("search", help="The catalogue's search index.")


@search_cli.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index of every dataset."""
    started = time.monotonic()
    count = search.reindex(get_session(), cli_actor())
    click.echo(f"reindexed {count} datasets in {time.monotonic() - started:.1f} s")
