"""``flask --app app db revision``: new migrations named and numbered like the existing ones.

Every test works on a copy of migrations/ in a temporary folder (``--directory``); the
project's own migrations are never written to.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from catalog.migrate import MIGRATIONS, alembic_config

FILE_NAME = re.compile(r"^(\d{8})_(\d{4})_([a-z0-9_]+)\.py$")


@pytest.fixture
def migrations(tmp_path):
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture
def real_versions():
    """The project's migration files before the test; the test checks none was added."""
    before = sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py"))
    yield before
    assert sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py")) == before


def _revision(app, migrations: Path, *args: str):
    return app.test_cli_runner().invoke(
        args=["db", "revision", *args, "--directory", str(migrations)]
    )


def _versions(migrations: Path) -> set[str]:
    return {p.name for p in (migrations / "versions").glob("*.py")}


def _head(migrations: Path) -> str | None:
    cfg = alembic_config("sqlite://")
    cfg.set_main_option("script_location", str(migrations))
    return ScriptDirectory.from_config(cfg).get_current_head()


def test_a_revision_follows_the_head_with_the_next_number(app, migrations, real_versions):
    head = _head(migrations)
    assert head is not None and head.isdigit()
    before = _versions(migrations)

    res = _revision(app, migrations, "-m", "Add widget table")
    assert res.exit_code == 0, res.output
    (created,) = _versions(migrations) - before
    match = FILE_NAME.match(created)
    assert match, created
    expected = f"{int(head) + 1:04d}"
    assert match.group(2) == expected and match.group(3) == "add_widget_table"
    assert res.stdout.strip().endswith(created)
    assert f"created revision {expected} (after {head})" in res.output
    text = (migrations / "versions" / created).read_text("utf-8")
    assert f"revision = '{expected}'" in text and f"down_revision = '{head}'" in text
    assert text.startswith('"""Add widget table')
    assert _head(migrations) == expected

    again = _revision(app, migrations, "-m", "and another")
    assert again.exit_code == 0, again.output
    assert _head(migrations) == f"{int(head) + 2:04d}"


def test_autogenerate_writes_nothing_when_the_models_and_database_agree(
    app, migrations, real_versions
):
    before = _versions(migrations)
    res = _revision(app, migrations, "-m", "nothing to do", "--autogenerate")
    assert res.exit_code == 0, res.output
    assert "already agree: no revision written" in res.output
    assert _versions(migrations) == before


def test_autogenerate_writes_the_difference_and_the_revision_applies(
    app, migrations, real_versions
):
    engine = app.extensions["kdc_engine"]
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE stray_notes (id INTEGER PRIMARY KEY)"))
    before = _versions(migrations)

    res = _revision(app, migrations, "-m", "drop stray notes", "--autogenerate")
    assert res.exit_code == 0, res.output
    (created,) = _versions(migrations) - before
    assert "op.drop_table('stray_notes')" in (migrations / "versions" / created).read_text()

    cfg = alembic_config(app.config["DATABASE_URL"])
    cfg.set_main_option("script_location", str(migrations))
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        assert "stray_notes" not in sa.inspect(conn).get_table_names()
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert version == _head(migrations)


def test_autogenerate_needs_a_database_at_the_head(app, migrations, real_versions):
    assert _revision(app, migrations, "-m", "first").exit_code == 0
    res = _revision(app, migrations, "-m", "second", "--autogenerate")
    assert res.exit_code == 1
    assert "Target database is not up to date" in res.output


def test_two_heads_are_refused_with_their_names(app, migrations, real_versions):
    head = _head(migrations)
    (migrations / "versions" / "20261201_0099_side_branch.py").write_text(
        '"""side branch"""\n\nrevision = "0099"\ndown_revision = "0001"\n'
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n    pass\n\n\n"
        "def downgrade() -> None:\n    pass\n",
        "utf-8",
    )
    before = _versions(migrations)
    res = _revision(app, migrations, "-m", "after both")
    assert res.exit_code == 1
    assert f"several heads ({head}, 0099)" in res.output
    assert _versions(migrations) == before


def test_a_blank_message_is_refused(app, migrations, real_versions):
    before = _versions(migrations)
    res = _revision(app, migrations, "-m", "  ")
    assert res.exit_code == 2
    assert "give the migration a message" in res.output
    assert _versions(migrations) == before
