"""federated identities linked to users (issue 12)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_links",
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("provider_name", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=2048), nullable=False),
        sa.Column("attribute_name", sa.String(length=64), nullable=False),
        sa.Column("sub", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "provider_name", "subject"),
    )
    with op.batch_alter_table("provider_links", schema=None) as batch_op:
        batch_op.create_index("ix_provider_links_user", ["pool_id", "sub"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("provider_links", schema=None) as batch_op:
        batch_op.drop_index("ix_provider_links_user")
    op.drop_table("provider_links")
