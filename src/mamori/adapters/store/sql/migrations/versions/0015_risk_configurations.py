"""the pools' and app clients' risk configurations (SetRiskConfiguration) (issue 13)

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_configurations",
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("compromised", sa.Text(), nullable=True),
        sa.Column("takeover", sa.Text(), nullable=True),
        sa.Column("exceptions", sa.Text(), nullable=True),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "client_id"),
    )


def downgrade() -> None:
    op.drop_table("risk_configurations")
