"""Accounts: ``flask --app app users create`` and ``tokens create``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from catalog.cli.common import cli_actor, fail
from catalog.db import get_session
from catalog.errors import DomainError

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
        _token, raw = create_token(
            session, cli_actor(), user, scopes=list(scopes), days=days, name=name
        )
    except DomainError as exc:
        fail(exc)
    click.echo(raw)
