"""SAML service provider: the pools' SAML keys, requests sent to IdPs, assertions accepted,
and the SAML session of a hosted-login session (issue 12)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saml_keys",
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("use", sa.String(length=16), nullable=False),
        sa.Column("sealed_key", sa.Text(), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "use"),
    )
    op.create_table(
        "saml_requests",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("provider_name", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=256), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("binding", sa.String(length=64), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    with op.batch_alter_table("saml_requests", schema=None) as batch_op:
        batch_op.create_index("ix_saml_requests_expires", ["expires"], unique=False)
    op.create_table(
        "saml_assertions",
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "digest"),
    )
    with op.batch_alter_table("saml_assertions", schema=None) as batch_op:
        batch_op.create_index("ix_saml_assertions_expires", ["expires"], unique=False)
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idp_name", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("saml_name_id", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("saml_session", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_column("saml_session")
        batch_op.drop_column("saml_name_id")
        batch_op.drop_column("idp_name")
    with op.batch_alter_table("saml_assertions", schema=None) as batch_op:
        batch_op.drop_index("ix_saml_assertions_expires")
    op.drop_table("saml_assertions")
    with op.batch_alter_table("saml_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_saml_requests_expires")
    op.drop_table("saml_requests")
    op.drop_table("saml_keys")
