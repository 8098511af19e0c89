"""expiry indexes: the purge (services/purge.py) finds expired sessions and codes by range

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("refresh_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_refresh_sessions_expires", ["expires"], unique=False)
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.create_index("ix_codes_expires", ["expires"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.drop_index("ix_codes_expires")
    with op.batch_alter_table("refresh_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_refresh_sessions_expires")
