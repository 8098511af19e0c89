"""user pools' identity providers (issue 12)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_providers",
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("secrets_sealed", sa.Text(), nullable=True),
        sa.Column("attribute_mapping", sa.Text(), nullable=False),
        sa.Column("acr_mapping", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "name"),
    )
    op.create_table(
        "identity_provider_identifiers",
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("provider_name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "identifier"),
    )
    with op.batch_alter_table("identity_provider_identifiers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_identity_provider_identifiers_provider",
            ["pool_id", "provider_name"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("identity_provider_identifiers", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_provider_identifiers_provider")
    op.drop_table("identity_provider_identifiers")
    op.drop_table("identity_providers")
