"""Operator commands: ``flask --app app <group> <command>``."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from catalog.db import get_session, transaction
from catalog.errors import DomainError
from catalog.services.context import Actor


def cli_actor() -> Actor:
    return Actor.system("cli")


def fail(exc: DomainError) -> None:
    click.echo(f"error: {exc.detail}", err=True)
    sys.exit(1)


db_cli = AppGroup("db", help="Create or migrate the database schema.")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create the schema or migrate it to the newest revision."""
    from catalog.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo("database is at revision " + revision, err=True)


users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", default="")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "provider", "team_member", "team_lead", "auditor"]),
)
@click.option("--team", "team_code")
@click.option("--institution", "institution_code")
@click.password_option()
def users_create(email, name, role, team_code, institution_code, password) -> None:
    """Create a user account."""
    from catalog.services.users import create_user

    session = get_session()
    try:
        with transaction(session):
            user = create_user(
                session,
                cli_actor(),
                email=email,
                name=name or email,
                password=password,
                role=role,
                team_code=team_code,
                institution_code=institution_code,
            )
    except DomainError as exc:
        fail(exc)
    click.echo(f"created {user.email} ({user.role.value})", err=True)


tokens_cli = AppGroup("tokens", help="Manage API tokens.")


@tokens_cli.command("create")
@click.argument("email")
@click.option(
    "--scope", "scopes", multiple=True, help="Repeat for several; default: all the role allows."
)
@click.option("--days", default=90, show_default=True, type=int)
@click.option("--name", default="cli")
def tokens_create(email: str, scopes: tuple[str, ...], days: int, name: str) -> None:
    """Create an API token for EMAIL and print it alone on standard output."""
    from catalog.services.tokens import create_token
    from catalog.services.users import find_user

    session = get_session()
    user = find_user(session, email)
    if user is None:
        click.echo(f"error: no user {email}", err=True)
        sys.exit(1)
    try:
        with transaction(session):
            _token, raw = create_token(
                session, cli_actor(), user, scopes=list(scopes), days=days, name=name
            )
    except DomainError as exc:
        fail(exc)
    click.echo(raw)


def init_cli(app: Flask) -> None:
    for group in (db_cli, users_cli, tokens_cli):
        app.cli.add_command(group)
    from catalog import cli_extra

    cli_extra.register(app)
