"""The auth-event log (migration 0016): one row per sign-in, sign-up, forgot password, password
change or code resend of a user in a pool whose threat protection is on (AUDIT or ENFORCED)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, String, Table, Text

from mamori.adapters.store.sql.tables.base import metadata

# `steps`: the challenge results in order, "Password=Success;Mfa=Failure". `encoded_data`:
# UserContextData / ContextData's EncodedData as given (an opaque device signal), never shown.
auth_events = Table(
    "auth_events",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("sub", String(64), nullable=False),
    Column("type", String(16), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("response", String(16), nullable=False),
    Column("risk_decision", String(16), nullable=False),
    Column("risk_level", String(8), nullable=True),
    Column("compromised", Boolean, nullable=False),
    Column("steps", String(256), nullable=False),
    Column("ip", String(64), nullable=True),
    Column("device_name", String(256), nullable=True),
    Column("timezone", String(64), nullable=True),
    Column("city", String(256), nullable=True),
    Column("country", String(256), nullable=True),
    Column("encoded_data", Text, nullable=True),
    Column("feedback_value", String(8), nullable=True),
    Column("feedback_provider", String(16), nullable=True),
    Column("feedback_date", DateTime(timezone=True), nullable=True),
    # AdminListUserAuthEvents: a user's events, newest first.
    Index("ix_auth_events_user", "pool_id", "sub", "created", "id"),
    Index("ix_auth_events_created", "created"),  # the purge
)
