"""Engine, sessions and the declarative base.

Services receive a ``Session`` and own its transaction (``with transaction(session):``).
On SQLite every transaction starts with ``BEGIN IMMEDIATE`` so that two writers never
read the same balance and both decide it suffices; on PostgreSQL the services lock rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, current_app, g
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Primary keys are 32-bit integers: a larger id cannot exist, and drivers would overflow on it.
MAX_ID = 2**31 - 1


def id_in_range(value: int) -> bool:
    """Whether ``value`` could be a row id (ids from URLs and bodies are checked with this)."""
    return 0 < value <= MAX_ID


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling defers it).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["kdc_engine"] = engine
    app.extensions["kdc_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_session() -> Session:
    """The request's (or CLI command's) session, closed at the end of the app context."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["kdc_sessionmaker"]()
    return g.db_session


def get_engine() -> Engine:
    return current_app.extensions["kdc_engine"]


def check_database(app: Flask) -> None:
    """Fail start-up with one clear sentence when the database cannot be reached."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from catalog.config import ConfigError

    engine = app.extensions["kdc_engine"]
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        url = engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigError(f"cannot reach the database {url}: {reason}") from exc
