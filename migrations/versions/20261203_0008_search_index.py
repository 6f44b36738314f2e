"""bigram search index: dataset_search (and dataset_search_fts on SQLite)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 11:10:00

One row per dataset with what search filters, facets and sorts need, and the bigram
tokens of its search text: a ``tsvector`` with a GIN index on PostgreSQL, an FTS5 table on
SQLite. The tables stay outside the models (catalog.services.search owns them); the
migration fills them from the existing datasets and offers.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

import catalog.models._types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == 'postgresql'
    title_type = sa.Text(collation='C') if pg else sa.Text()
    columns = [
        sa.Column('dataset_id', sa.Integer(), sa.ForeignKey('datasets.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('modality', sa.String(16), nullable=False),
        sa.Column('sensitivity', sa.String(32), nullable=False),
        sa.Column('created_at', catalog.models._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('title_key', title_type, nullable=False),
        sa.Column('title_all', sa.Text(), nullable=False),
        sa.Column('price_mask', sa.Integer(), nullable=False),
        sa.Column('min_price', sa.BigInteger(), nullable=True),
        sa.Column('max_price', sa.BigInteger(), nullable=True),
        sa.Column('uses', sa.Text(), nullable=False),
    ]
    if pg:
        columns.append(sa.Column('document', postgresql.TSVECTOR(), nullable=True))
    op.create_table('dataset_search', *columns)
    op.create_index('ix_dataset_search_title', 'dataset_search', ['title_key', 'dataset_id'])
    op.create_index('ix_dataset_search_created', 'dataset_search', ['created_at', 'dataset_id'])
    if pg:
        op.create_index('ix_dataset_search_document', 'dataset_search', ['document'],
                        postgresql_using='gin')
    else:
        op.execute(
            "CREATE VIRTUAL TABLE dataset_search_fts USING fts5("
            "document, detail=none, tokenize='ascii')"
        )
    from catalog.services.search import rebuild_index

    rebuild_index(Session(bind=bind))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        op.execute('DROP TABLE dataset_search_fts')
    op.drop_table('dataset_search')
