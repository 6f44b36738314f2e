"""What every operator command shares: the acting identity and how a refusal is reported."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from catalog.errors import DomainError
from catalog.services.context import Actor


def cli_actor() -> Actor:
    return Actor.system("cli")


def fail(exc: DomainError) -> NoReturn:
    click.echo(f"error: {exc.detail}", err=True)
    sys.exit(1)
