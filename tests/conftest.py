"""Fixtures: an app per test on SQLite and on PostgreSQL, each from a migrated template.

A run creates its own PostgreSQL databases (``kdc_test_<run>_…``) on the local server
and drops them at the end; it never touches other databases. Templates are built once a
run through the real migrations (and, for ``demo_app``, the real demo loader), then
copied per test: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import psycopg
import pytest

from app import create_app
from catalog.migrate import upgrade

PG_ADMIN_DSN = os.environ.get("KDC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
RUN_ID = uuid.uuid4().hex[:8]
BACKENDS = ["sqlite", "postgresql"]


def _pg_admin():
    return psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5)


def _pg_url(dbname: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base}/{dbname}".replace("postgresql://", "postgresql+psycopg://", 1)


class PgDatabases:
    """Creates and drops this run's PostgreSQL databases."""

    def __init__(self):
        self.created: list[str] = []
        self.counter = 0

    def create(self, template: str | None = None) -> str:
        self.counter += 1
        name = f"kdc_test_{RUN_ID}_{self.counter}"
        with _pg_admin() as conn:
            if template:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            else:
                conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        self.created.append(name)
        return name

    def drop(self, name: str) -> None:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            self.drop(name)


@pytest.fixture(scope="session")
def pg():
    try:
        with _pg_admin() as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and did not answer: {exc}")
        pytest.skip(f"no PostgreSQL answers at {PG_ADMIN_DSN}: {exc}")
    dbs = PgDatabases()
    yield dbs
    dbs.drop_all()


def _config(db_url: str, storage: Path, **extra) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": db_url,
        "STORAGE_URL": f"file://{storage}",
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        # Generated requests (schemathesis) may ask the event feed to wait 30 s; a second
        # bounds the run. Tests of the long poll never depend on how long it waits.
        "EVENTS_MAX_WAIT": 1.0,
        **extra,
    }


class Template:
    """A migrated database (and its storage directory) to copy for each test."""

    def __init__(
        self, backend: str, root: Path, pg: PgDatabases | None, demo: bool, licences: bool = False
    ):
        self.backend = backend
        self.storage = root / "storage"
        self.storage.mkdir(parents=True)
        if backend == "sqlite":
            self.path = root / "template.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            self.name = pg.create()
            self.url = _pg_url(self.name)
        upgrade(self.url)
        if demo:
            from catalog.db import get_session
            from catalog.demo import load_demo

            app = create_app(_config(self.url, self.storage))
            with app.app_context():
                load_demo(get_session(), app.extensions["kdc_store"], licences=licences)
            app.extensions["kdc_engine"].dispose()
        if backend == "sqlite":
            import sqlite3

            # Fold the WAL into the main file so that a plain copy is complete.
            con = sqlite3.connect(self.path)
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.execute("PRAGMA journal_mode=DELETE")
            con.close()

    def instantiate(self, tmp: Path, pg: PgDatabases | None) -> tuple[str, Path, str | None]:
        storage = tmp / "storage"
        shutil.copytree(self.storage, storage)
        if self.backend == "sqlite":
            path = tmp / "kdc.sqlite3"
            shutil.copy(self.path, path)
            return f"sqlite:///{path}", storage, None
        name = pg.create(template=self.name)
        return _pg_url(name), storage, name


@pytest.fixture(scope="session")
def templates(tmp_path_factory, request):
    cache: dict[tuple[str, bool, bool], Template] = {}

    def get(backend: str, demo: bool, licences: bool = False) -> Template:
        key = (backend, demo, licences)
        if key not in cache:
            pg = request.getfixturevalue("pg") if backend == "postgresql" else None
            kind = ("demo-licences" if licences else "demo") if demo else "empty"
            root = tmp_path_factory.mktemp(f"tmpl-{backend}-{kind}")
            cache[key] = Template(backend, root, pg, demo, licences)
        return cache[key]

    return get


def _make_app(
    request, templates, tmp_path, backend: str, demo: bool, licences: bool = False, **extra
):
    pg = request.getfixturevalue("pg") if backend == "postgresql" else None
    url, storage, pg_name = templates(backend, demo, licences).instantiate(tmp_path, pg)
    app = create_app(_config(url, storage, **extra))
    app.config["KDC_BACKEND"] = backend
    yield app
    app.extensions["kdc_engine"].dispose()
    if pg_name:
        pg.drop(pg_name)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def app(request, templates, tmp_path, backend):
    """An app on a migrated, empty database (each backend in turn)."""
    yield from _make_app(request, templates, tmp_path, backend, demo=False)


@pytest.fixture
def demo_app(request, templates, tmp_path, backend):
    """An app with the demo catalogue loaded (each backend in turn)."""
    yield from _make_app(request, templates, tmp_path, backend, demo=True)


@pytest.fixture
def licensed_demo_app(request, templates, tmp_path, backend):
    """The demo catalogue with the demo licences of ``flask demo`` (each backend in turn)."""
    yield from _make_app(request, templates, tmp_path, backend, demo=True, licences=True)


@pytest.fixture
def pg_demo_app(request, templates, tmp_path):
    """The demo catalogue on PostgreSQL only (concurrency and money tests)."""
    yield from _make_app(request, templates, tmp_path, "postgresql", demo=True)


@pytest.fixture
def sqlite_demo_app(request, templates, tmp_path):
    """The demo catalogue on SQLite only (for tests about the UI, not the database)."""
    yield from _make_app(request, templates, tmp_path, "sqlite", demo=True)


@pytest.fixture
def client(demo_app):
    return demo_app.test_client()


@pytest.fixture
def session(app):
    from catalog.db import get_session

    with app.app_context():
        yield get_session()


@pytest.fixture
def demo_session(demo_app):
    from catalog.db import get_session

    with demo_app.app_context():
        yield get_session()


def make_token(app, email: str, scopes: list[str] | None = None) -> str:
    from catalog.db import get_session, transaction
    from catalog.services.context import Actor
    from catalog.services.tokens import create_token
    from catalog.services.users import find_user

    with app.app_context():
        session = get_session()
        with transaction(session):
            _tok, raw = create_token(
                session, Actor.system("test"), find_user(session, email), scopes=scopes
            )
    return raw


@pytest.fixture
def token_for(demo_app):
    """``token_for(email)`` → headers with a fresh bearer token for that demo account."""

    def make(email: str, scopes: list[str] | None = None) -> dict:
        return {"Authorization": f"Bearer {make_token(demo_app, email, scopes)}"}

    return make


@pytest.fixture
def live_server(request, templates, tmp_path):
    """A real server process on 127.0.0.1 over a copy of the demo catalogue (SQLite).

    Yields a ``LiveServer`` with ``.url``; the test's app (``.app``) shares its database for
    setting up state directly through services.
    """
    from tests.live import LiveServer

    url, storage, _ = templates("sqlite", True).instantiate(tmp_path, None)
    server = LiveServer(url, storage, tmp_path / "instance").start()
    server.app = create_app(_config(url, storage, SECRET_KEY="live-test-secret"))
    yield server
    server.stop()
    server.app.extensions["kdc_engine"].dispose()
