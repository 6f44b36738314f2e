"""The backup and restore drill, on SQLite (online backup API) and PostgreSQL (pg_dump -Fc):
checkpoint, back up, restore into an empty database, and the audit chain verifies against
the checkpoint kept outside the database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, select, text

from app import create_app
from catalog.db import get_session
from catalog.models.audit import AuditChainHead
from catalog.services import purchasing
from catalog.services.context import Actor
from catalog.services.users import find_user
from tests.conftest import _config, _pg_url
from tests.purchasing.conftest import make_dataset


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        s = get_session()
        names = inspect(s.connection()).get_table_names()
        return {n: s.execute(text(f'SELECT COUNT(*) FROM "{n}"')).scalar() for n in sorted(names)}


@pytest.fixture
def empty_target(request, backend, tmp_path):
    """An app on a new, empty database of the same kind (nothing migrated)."""
    if backend == "postgresql":
        pg = request.getfixturevalue("pg")
        name = pg.create()
        url = _pg_url(name)
    else:
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    app = create_app(_config(url, tmp_path / "restored-storage"))
    yield app
    app.extensions["kdc_engine"].dispose()


def test_backup_restore_and_verify_against_the_last_checkpoint(demo_app, empty_target, tmp_path):
    key = str(tmp_path / "keys" / "audit_ed25519.pem")
    demo_app.config["AUDIT_KEY"] = empty_target.config["AUDIT_KEY"] = key
    with demo_app.app_context():
        s = get_session()
        lead = Actor.for_user(find_user(s, "naver-lead@kdc.test"))
        ds = make_dataset(s, joint=None)
        purchasing.request_purchase(s, lead, dataset=ds["slug"], offer=ds["individual"])
    source = demo_app.test_cli_runner()
    checkpoints = tmp_path / "checkpoints.jsonl"  # kept outside the database
    res = source.invoke(args=["audit", "checkpoint"])
    assert res.exit_code == 0, res.output
    checkpoints.write_text(res.stdout)
    dump = tmp_path / "kdc.backup"
    res = source.invoke(args=["backup", str(dump)])
    assert res.exit_code == 0, res.output
    assert f"audit chain head {json.loads(checkpoints.read_text())['seq']} " in res.stderr
    assert source.invoke(args=["backup", str(dump)]).exit_code != 0  # no silent overwrite

    target = empty_target.test_cli_runner()
    res = target.invoke(args=["restore", str(dump)])
    assert res.exit_code == 0, res.output
    assert _row_counts(empty_target) == _row_counts(demo_app)
    res = target.invoke(
        args=["audit", "verify", "--checkpoint", str(checkpoints), "--no-record", "--json"]
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["ok"] is True
    # The restored service answers as the original did.
    assert empty_target.test_client().get("/api/v1/institutions").status_code == 200
    with empty_target.app_context():
        head = get_session().scalar(select(AuditChainHead.seq))
    assert head == json.loads(checkpoints.read_text())["seq"]

    # A restore refuses a database that is not empty.
    res = target.invoke(args=["restore", str(dump)])
    assert res.exit_code != 0 and "not empty" in res.output

    # Events written after the backup and vouched for by a later checkpoint are missing
    # from the restored chain, and verification says so.
    with demo_app.app_context():
        s = get_session()
        more = make_dataset(s, joint=None)
        purchasing.request_purchase(s, lead, dataset=more["slug"], offer=more["individual"])
    res = source.invoke(args=["audit", "checkpoint"])
    assert res.exit_code == 0, res.output
    later = tmp_path / "later.jsonl"
    later.write_text(res.stdout)
    res = target.invoke(args=["audit", "verify", "--checkpoint", str(later), "--no-record"])
    assert res.exit_code == 1, res.output
