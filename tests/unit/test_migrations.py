"""The migrations create exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from catalog.models import Base
from catalog.services.search import include_in_migrations


def test_models_and_migrations_do_not_drift(app):
    engine = app.extensions["kdc_engine"]
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_in_migrations}
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ; run alembic revision --autogenerate: {diff}"
