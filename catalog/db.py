"""Engine, sessions, the declarative base and the unit of work.

Services receive a ``Session`` and own its transaction (``with transaction(session):``),
which nests: only the outermost level commits, and side effects that cannot be rolled
back run after the commit (``after_commit``). Nothing outside this module and the
services commits or rolls back.
On SQLite every transaction starts with ``BEGIN IMMEDIATE`` so that two writers never
read the same balance and both decide it suffices; on PostgreSQL the services lock rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

log = logging.getLogger(__name__)

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


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: object) -> None:
            # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling defers it).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


class TransactionAborted(RuntimeError):
    """An inner step of a unit of work failed and the outer level tried to commit anyway."""


@dataclass
class UnitOfWork:
    """The open transaction of a session: nesting depth and the side effects to run after it.

    Side effects that cannot be rolled back (object-store deletes and moves, deliveries)
    are registered with ``after_commit`` and run only once the outermost level committed;
    ``after_rollback`` steps undo what was done outside the database when it rolls back.
    """

    depth: int = 0
    failed: bool = False
    on_commit: list[Callable[[], object]] = field(default_factory=list)
    on_rollback: list[Callable[[], object]] = field(default_factory=list)


_UOW_KEY = "kdc_unit_of_work"
# Session.info key for the few settings services need (they never import flask).
SETTINGS = "kdc_settings"


def session_settings(session: Session) -> dict[str, Any]:
    """``email_notices``: an SMTP server is configured, so notices also queue e-mails;
    ``base_url``: where people reach the service (absolute links in messages)."""
    return session.info.get(SETTINGS) or {"email_notices": False, "base_url": ""}


def current_unit_of_work(session: Session) -> UnitOfWork | None:
    return session.info.get(_UOW_KEY)


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception.

    Reentrant: a service called inside another service's transaction joins it, and only
    the outermost level commits. If an inner level fails, the whole unit of work rolls
    back, even if a caller in between caught the exception (``TransactionAborted``).
    """
    uow = current_unit_of_work(session)
    if uow is not None:
        uow.depth += 1
        try:
            yield session
        except BaseException:
            uow.failed = True
            raise
        finally:
            uow.depth -= 1
        return
    uow = session.info[_UOW_KEY] = UnitOfWork(depth=1)
    try:
        yield session
        if uow.failed:
            raise TransactionAborted("an inner step of this unit of work failed")
        session.commit()
    except BaseException:
        session.info.pop(_UOW_KEY, None)
        session.rollback()
        _run_hooks(uow.on_rollback, "after-rollback")
        raise
    session.info.pop(_UOW_KEY, None)
    _run_hooks(uow.on_commit, "after-commit")


def _run_hooks(hooks: list[Callable[[], object]], what: str) -> None:
    """Run every hook; one failing is logged and does not stop the others (the database
    outcome is settled; a hook cannot change it)."""
    for hook in hooks:
        try:
            hook()
        except Exception:  # noqa: BLE001 - logged; the remaining hooks still run
            log.exception("%s step %r failed", what, hook)


def _require_unit_of_work(session: Session) -> UnitOfWork:
    uow = current_unit_of_work(session)
    if uow is None:
        raise RuntimeError("after_commit/after_rollback need an open transaction(session)")
    return uow


def after_commit(session: Session, fn: Callable[[], object]) -> None:
    """Run ``fn`` once the enclosing unit of work has committed (never if it rolls back)."""
    _require_unit_of_work(session).on_commit.append(fn)


def after_rollback(session: Session, fn: Callable[[], object]) -> None:
    """Run ``fn`` if the enclosing unit of work rolls back (to undo work outside the database)."""
    _require_unit_of_work(session).on_rollback.append(fn)


def end_read(session: Session) -> None:
    """End the session's read-only transaction before slow work outside the database (hashing
    an object, streaming an export), so no snapshot or SQLite lock is held meanwhile.
    Inside a unit of work this is a programming error: it would discard its changes."""
    if current_unit_of_work(session) is not None:
        raise RuntimeError("end_read inside a transaction would discard its changes")
    session.rollback()


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["kdc_engine"] = engine
    app.extensions["kdc_sessionmaker"] = sessionmaker(
        bind=engine,
        expire_on_commit=False,
        info={
            SETTINGS: {
                "email_notices": bool(app.config.get("SMTP_URL")),
                "base_url": app.config.get("BASE_URL", ""),
            }
        },
    )

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_session() -> Session:
    """The request's (or CLI command's) session, closed at the end of the app context."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["kdc_sessionmaker"]()
    session: Session = g.db_session
    return session


def get_engine() -> Engine:
    engine: Engine = current_app.extensions["kdc_engine"]
    return engine


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
