"""Threat protection's risk configurations (migration 0015): one per pool and one per app
client at most, each configuration as JSON (None: not configured)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, String, Table, Text

from mamori.adapters.store.sql.tables.base import metadata

# client_id "" is the pool's own configuration (a client id is never empty: [\w+]+).
risk_configurations = Table(
    "risk_configurations",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("client_id", String(128), primary_key=True),
    Column("compromised", Text),
    Column("takeover", Text),
    Column("exceptions", Text),
    Column("modified", DateTime(timezone=True), nullable=False),
)
