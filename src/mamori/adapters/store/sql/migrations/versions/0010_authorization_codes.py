"""OAuth authorization codes, stored as digests, and the scopes a refresh session was granted
(issue 11)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("refresh_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.Text(), nullable=True))
    op.create_table(
        "authorization_codes",
        sa.Column("digest", sa.String(length=128), nullable=False),
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("sub", sa.String(length=64), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("auth_time", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.Text(), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=True),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("origin_jti", sa.String(length=64), nullable=True),
        sa.Column("replayed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.create_index("ix_authorization_codes_expires", ["expires"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_authorization_codes_expires")
    op.drop_table("authorization_codes")
    with op.batch_alter_table("refresh_sessions", schema=None) as batch_op:
        batch_op.drop_column("scopes")
