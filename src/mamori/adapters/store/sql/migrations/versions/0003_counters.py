"""counters: failed sign-ins and request rates when no Redis is configured

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("counter_key", sa.String(length=96), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("last_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("counter_key"),
    )
    with op.batch_alter_table("counters", schema=None) as batch_op:
        batch_op.create_index("ix_counters_expires", ["expires_ms"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("counters", schema=None) as batch_op:
        batch_op.drop_index("ix_counters_expires")
    op.drop_table("counters")
