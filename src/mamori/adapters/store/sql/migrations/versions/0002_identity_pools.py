"""identity pools: pools, identities, their logins and the identity issuer's keys

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_pools",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "identities",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("identity_pool_id", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.create_index("ix_identities_pool", ["identity_pool_id", "id"], unique=False)

    op.create_table(
        "identity_logins",
        sa.Column("identity_pool_id", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=256), nullable=False),
        sa.Column("subject", sa.String(length=1024), nullable=False),
        sa.Column("identity_id", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("identity_pool_id", "provider", "subject"),
    )
    with op.batch_alter_table("identity_logins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_identity_logins_identity", ["identity_id", "provider"], unique=False
        )

    op.create_table(
        "identity_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("sealed_pem", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kid"),
    )


def downgrade() -> None:
    op.drop_table("identity_keys")
    with op.batch_alter_table("identity_logins", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_logins_identity")
    op.drop_table("identity_logins")
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.drop_index("ix_identities_pool")
    op.drop_table("identities")
    op.drop_table("identity_pools")
