"""mfa and devices: each user's MFA factors and TOTP token, and remembered devices

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _key(length: int) -> sa.String:
    """Compared and sorted by code point: collation "C" on PostgreSQL (see tables.py)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "user_mfa",
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("sub", sa.String(length=64), nullable=False),
        sa.Column("sms_enabled", sa.Boolean(), nullable=False),
        sa.Column("totp_enabled", sa.Boolean(), nullable=False),
        sa.Column("email_enabled", sa.Boolean(), nullable=False),
        sa.Column("preferred", sa.String(length=32), nullable=True),
        sa.Column("totp_sealed", sa.Text(), nullable=True),
        sa.Column("totp_name", sa.Text(), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("pending_sealed", sa.Text(), nullable=True),
        sa.Column("totp_failures", sa.Integer(), nullable=False),
        sa.Column("totp_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "sub"),
    )
    op.create_table(
        "devices",
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("device_key", _key(64), nullable=False),
        sa.Column("sub", sa.String(length=64), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("verifier_sealed", sa.Text(), nullable=True),
        sa.Column("last_ip", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_authenticated", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("pool_id", "device_key"),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index("ix_devices_user", ["pool_id", "sub", "device_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index("ix_devices_user")
    op.drop_table("devices")
    op.drop_table("user_mfa")
