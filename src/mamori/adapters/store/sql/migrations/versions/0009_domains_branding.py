"""user pool domains, resource servers, UI customization and managed-login branding (issue 11)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _key(length: int) -> sa.String:
    """Compared and sorted by code point: collation "C" on PostgreSQL (see tables.py)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "user_pool_domains",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("certificate_arn", sa.Text(), nullable=True),
        sa.Column("security_policy", sa.String(length=32), nullable=True),
        sa.Column("managed_login_version", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("domain"),
    )
    op.create_index(
        "ux_user_pool_domains_pool_kind", "user_pool_domains", ["pool_id", "kind"], unique=True
    )
    op.create_table(
        "resource_servers",
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("identifier", _key(256), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "identifier"),
    )
    op.create_table(
        "ui_customizations",
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("css", sa.Text(), nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "client_id"),
    )
    op.create_table(
        "managed_login_brandings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("use_cognito_provided_values", sa.Boolean(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=True),
        sa.Column("assets", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_managed_login_brandings_client",
        "managed_login_brandings",
        ["pool_id", "client_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_managed_login_brandings_client", table_name="managed_login_brandings")
    op.drop_table("managed_login_brandings")
    op.drop_table("ui_customizations")
    op.drop_table("resource_servers")
    op.drop_index("ux_user_pool_domains_pool_kind", table_name="user_pool_domains")
    op.drop_table("user_pool_domains")
