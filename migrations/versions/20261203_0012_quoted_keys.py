"""quoted object keys: each object's URL-encoded key, stored once

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03 11:15:00

Presigning a manifest page encodes every key for its URL; for Korean keys that was half
the cost. Objects now carry the encoded key from registration on; existing objects are
encoded here, in batches.
"""

import sqlalchemy as sa
from alembic import op

from storage.sigv4 import quote_key

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table("dataset_objects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quoted_key", sa.Text(), nullable=True))

    objects = sa.table(
        "dataset_objects",
        sa.column("id", sa.Integer),
        sa.column("key", sa.String),
        sa.column("quoted_key", sa.Text),
    )
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(objects.c.id, objects.c.key)
            .where(objects.c.id > last)
            .order_by(objects.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            objects.update()
            .where(objects.c.id == sa.bindparam("oid"))
            .values(quoted_key=sa.bindparam("quoted")),
            [{"oid": i, "quoted": quote_key(k)} for i, k in rows],
        )
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("dataset_objects", schema=None) as batch_op:
        batch_op.drop_column("quoted_key")
