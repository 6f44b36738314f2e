"""Alembic environment: the database URL comes from the caller (see catalog.migrate)."""

from alembic import context

from catalog.db import make_engine
from catalog.models import Base
from catalog.services.search import include_in_migrations

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        # Even when a migration fails: no pooled connection outlives the command.
        engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_in_migrations,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
