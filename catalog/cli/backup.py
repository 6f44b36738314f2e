"""``flask --app app backup DEST`` and ``flask --app app restore SRC``: the database, whole.

PostgreSQL is dumped with ``pg_dump --format=custom`` (and restored with ``pg_restore`` in
one transaction); SQLite is copied with its online backup API, so both work while the
service runs. A restore goes only into an empty database (no tables). The object store is
not part of it: S3 buckets keep their own versions, a local storage directory is copied
with the usual tools. After a restore, ``flask --app app audit verify --checkpoint FILE``
shows whether the restored chain reaches the last checkpoint kept outside the database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from catalog.db import get_session
from catalog.services.audit_review import chain_head

_LIBPQ_PARAMS = {"host": "host", "port": "port", "username": "user", "database": "dbname"}


def libpq_connection(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for ``url`` and the environment carrying its password
    (kept out of the command line, which other users of the host can read)."""

    def quoted(value: object) -> str:
        text = str(value).replace("\\", "\\\\").replace("'", "\\'")
        return f"'{text}'"

    parts = [
        f"{param}={quoted(getattr(url, attr))}"
        for attr, param in _LIBPQ_PARAMS.items()
        if getattr(url, attr) not in (None, "")
    ]
    parts += [f"{k}={quoted(v)}" for k, v in sorted(url.query.items()) if isinstance(v, str)]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return " ".join(parts), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise click.ClickException(
            f"{name} is not installed; install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client)"
        )
    return path


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise click.ClickException(f"{what} failed: {reason[-1] if reason else done.returncode}")


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise click.ClickException("an in-memory SQLite database cannot be backed up")
    return url.database


def _head_line() -> str:
    seq, digest = chain_head(get_session())
    return f"audit chain head {seq} ({digest[:16]}…)"


@click.command("backup")
@click.argument("dest", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite DEST if it exists.")
@with_appcontext
def backup_command(dest: Path, force: bool) -> None:
    """Back up the database to DEST (pg_dump custom format, or a SQLite file).

    Run 'flask --app app audit checkpoint' first and keep its line outside the database:
    after a restore, 'audit verify --checkpoint FILE' proves the chain is whole up to it.
    """
    if dest.exists() and not force:
        raise click.ClickException(f"{dest} exists; give another name or --force")
    url = make_url(current_app.config["DATABASE_URL"])
    head = _head_line()
    if url.get_backend_name() == "postgresql":
        conninfo, env = libpq_connection(url)
        _run(
            [_tool("pg_dump"), "--format=custom", "--file", str(dest), "--dbname", conninfo],
            env,
            "pg_dump",
        )
    else:
        tmp = dest.with_name(dest.name + ".partial")
        tmp.unlink(missing_ok=True)
        src = sqlite3.connect(_sqlite_path(url))
        out = sqlite3.connect(tmp)
        try:
            with out:
                src.backup(out)
        finally:
            out.close()
            src.close()
        os.replace(tmp, dest)
    click.echo(f"backed up the database ({head}) to {dest}", err=True)


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(src: Path) -> None:
    """Restore a backup made with 'backup' into the configured database, which must be empty.

    Create the empty database first (PostgreSQL: createdb -E UTF8 NAME); afterwards run
    'flask --app app audit verify --checkpoint FILE'.
    """
    url = make_url(current_app.config["DATABASE_URL"])
    engine = current_app.extensions["kdc_engine"]
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
    if tables:
        raise click.ClickException(
            f"the database {url.render_as_string(hide_password=True)} is not empty "
            f"({len(tables)} tables); restore only into an empty database"
        )
    engine.dispose()
    if url.get_backend_name() == "postgresql":
        conninfo, env = libpq_connection(url)
        _run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                "--dbname",
                conninfo,
                str(src),
            ],
            env,
            "pg_restore",
        )
    else:
        backup = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(url))
        try:
            with target:
                backup.backup(target)
        except sqlite3.DatabaseError as exc:
            raise click.ClickException(f"{src} is not a SQLite backup: {exc}") from exc
        finally:
            target.close()
            backup.close()
    click.echo(f"restored {src}: {_head_line()}", err=True)
