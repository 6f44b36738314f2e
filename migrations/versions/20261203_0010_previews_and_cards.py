"""previews and dataset cards: preview flag on objects, card fields on datasets

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03 11:10:00

Existing objects are not previews (a provider marks them); existing datasets get an empty card.
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dataset_objects', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('preview', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.drop_column('card')
    with op.batch_alter_table('dataset_objects', schema=None) as batch_op:
        batch_op.drop_column('preview')
