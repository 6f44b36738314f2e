"""Registration point for command groups that live beside their services."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from catalog.demo import demo_command

    app.cli.add_command(demo_command)
    from catalog import cli_money  # issue 4: budgets, teams eliminate, tick

    cli_money.register(app)  # issue 4
    from catalog import cli_audit  # issue 5: audit verify/export/checkpoint/public-key

    cli_audit.register(app)  # issue 5
    from catalog import cli_storage  # issue 3: storage sync/check

    cli_storage.register(app)  # issue 3
