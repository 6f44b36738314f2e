"""search generation and covering index: dataset_search_state, ix_dataset_search_facets

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:20:00

``dataset_search_state`` holds one row, the catalogue's search generation: the flush that
re-indexes a dataset bumps it in the same transaction, so every process's cache of search
results knows at once that it is stale. The covering index lets the facet counts and the
filters read the narrow index instead of the table.
"""

import secrets

from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_search_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("generation", sa.BigInteger(), nullable=False),
    )
    op.execute(
        sa.text("INSERT INTO dataset_search_state (id, generation) VALUES (1, :g)").bindparams(
            g=secrets.randbits(62)
        )
    )
    op.create_index(
        "ix_dataset_search_facets",
        "dataset_search",
        [
            "status",
            "institution_id",
            "modality",
            "sensitivity",
            "price_mask",
            "min_price",
            "max_price",
            "uses",
        ],
    )
    # Planner statistics: ``status`` hardly narrows anything (see search.rebuild_index).
    op.execute("ANALYZE dataset_search")


def downgrade() -> None:
    op.drop_index("ix_dataset_search_facets", table_name="dataset_search")
    op.drop_table("dataset_search_state")
