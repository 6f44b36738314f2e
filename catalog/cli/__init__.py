"""Operator commands, one module per command group: ``flask --app app <group> <command>``.

``init_cli`` adds every group to the app; nothing else registers commands.
"""

from __future__ import annotations

from flask import Flask


def init_cli(app: Flask) -> None:
    from catalog.cli import (
        accounts,
        audit,
        backup,
        database,
        demo,
        money,
        notices,
        search,
        storage,
    )

    for command in (
        database.db_cli,
        accounts.users_cli,
        accounts.tokens_cli,
        demo.demo_command,
        money.budgets_cli,
        money.teams_cli,
        money.tick_command,
        notices.deliver_command,
        audit.audit_cli,
        storage.storage_cli,
        search.search_cli,
        backup.backup_command,
        backup.restore_command,
    ):
        app.cli.add_command(command)
