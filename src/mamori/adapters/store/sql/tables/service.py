"""What the running service keeps for itself: the outbox of sent messages and the guessing-
protection counters."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from mamori.adapters.store.sql.tables.base import metadata

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pool_id", String(64), nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    # Not indexed: an address may be 2048 multi-byte characters; reads filter by pool first.
    Column("destination", String(2048), nullable=False),
    Column("subject", Text),
    Column("body", Text, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("code", String(64)),
    Column("created", DateTime(timezone=True), nullable=False),
    # The purge (migration 0008) deletes old messages by creation time across pools.
    Index("ix_outbox_created", "created"),
)

# Guessing protection's counters (adapters/counters/sql.py) when no Redis is configured: failed
# sign-ins per username and requests per window. Keys are digests; times are epoch milliseconds.
counters = Table(
    "counters",
    metadata,
    Column("counter_key", String(96), primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("last_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Index("ix_counters_expires", "expires_ms"),
)
