"""the auth-event log (AdminListUserAuthEvents, feedback) (issue 13)

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_events",
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("sub", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response", sa.String(length=16), nullable=False),
        sa.Column("risk_decision", sa.String(length=16), nullable=False),
        sa.Column("risk_level", sa.String(length=8), nullable=True),
        sa.Column("compromised", sa.Boolean(), nullable=False),
        sa.Column("steps", sa.String(length=256), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("device_name", sa.String(length=256), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("city", sa.String(length=256), nullable=True),
        sa.Column("country", sa.String(length=256), nullable=True),
        sa.Column("encoded_data", sa.Text(), nullable=True),
        sa.Column("feedback_value", sa.String(length=8), nullable=True),
        sa.Column("feedback_provider", sa.String(length=16), nullable=True),
        sa.Column("feedback_date", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("pool_id", "id"),
    )
    with op.batch_alter_table("auth_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_auth_events_user", ["pool_id", "sub", "created", "id"], unique=False
        )
        batch_op.create_index("ix_auth_events_created", ["created"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("auth_events", schema=None) as batch_op:
        batch_op.drop_index("ix_auth_events_created")
        batch_op.drop_index("ix_auth_events_user")
    op.drop_table("auth_events")
