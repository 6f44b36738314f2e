"""Objects carry their URL-encoded key, and manifests sign with it exactly as without it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from botocore.utils import percent_encode

from catalog.db import get_session, transaction
from catalog.migrate import alembic_config, upgrade
from catalog.models import DatasetObject, DatasetVersion

KOREAN = "원문/권00001/조선왕조실록 1 +=&.jsonl"


def _add_korean_object(app) -> None:
    with app.app_context():
        session = get_session()
        with transaction(session):
            version = session.scalars(sa.select(DatasetVersion)).first()
            session.add(DatasetObject(version_id=version.id, key=KOREAN, size=1, sha256="0" * 64))


def _quoted(engine) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        return conn.execute(sa.select(DatasetObject.key, DatasetObject.quoted_key)).all()


def test_objects_store_their_key_as_botocore_encodes_it(sqlite_demo_app):
    _add_korean_object(sqlite_demo_app)
    rows = _quoted(sqlite_demo_app.extensions["kdc_engine"])
    assert dict(rows)[KOREAN] == "%EC%9B%90%EB%AC%B8/%EA%B6%8C00001/" + (
        "%EC%A1%B0%EC%84%A0%EC%99%95%EC%A1%B0%EC%8B%A4%EB%A1%9D%201%20%2B%3D%26.jsonl"
    )
    for key, quoted in rows:
        assert quoted == percent_encode(key, safe="/~")


def test_the_migration_encodes_the_keys_of_objects_registered_before_it(sqlite_demo_app):
    _add_korean_object(sqlite_demo_app)
    engine = sqlite_demo_app.extensions["kdc_engine"]
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    command.downgrade(alembic_config(url), "-1")
    upgrade(url)
    rows = _quoted(engine)
    assert KOREAN in {key for key, _q in rows}
    assert all(quoted == percent_encode(key, safe="/~") for key, quoted in rows)
