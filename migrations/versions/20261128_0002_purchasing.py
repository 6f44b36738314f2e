"""purchasing: lead confirmation of participations, one live licence per team and dataset

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 06:00:00
"""

from alembic import op
import sqlalchemy as sa
import catalog.models._types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('purchase_participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', catalog.models._types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_purchase_participants_confirmed_by_id_users'), 'users', ['confirmed_by_id'], ['id'])

    with op.batch_alter_table('licenses', schema=None) as batch_op:
        batch_op.create_index('uq_licenses_live_team_dataset', ['team_id', 'dataset_id'], unique=True,
                              postgresql_where=sa.text("status IN ('active', 'suspended')"),
                              sqlite_where=sa.text("status IN ('active', 'suspended')"))


def downgrade() -> None:
    with op.batch_alter_table('licenses', schema=None) as batch_op:
        batch_op.drop_index('uq_licenses_live_team_dataset')

    with op.batch_alter_table('purchase_participants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_purchase_participants_confirmed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('confirmed_by_id')
        batch_op.drop_column('confirmed_at')
