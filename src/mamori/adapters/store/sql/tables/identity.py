"""Identity pools: the pools, identities, their linked logins and the identity issuer's keys."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    String,
    Table,
    Text,
)

from mamori.adapters.store.sql.tables.base import metadata

# --- identity pools (migration 0002)
identity_pools = Table(
    "identity_pools",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
    Column("config", Text, nullable=False),
)

identities = Table(
    "identities",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("identity_pool_id", String(64), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
    Index("ix_identities_pool", "identity_pool_id", "id"),
)

# One row per linked login: (pool, provider, subject) is unique, so an identity is stable per user.
identity_logins = Table(
    "identity_logins",
    metadata,
    Column("identity_pool_id", String(64), primary_key=True),
    Column("provider", String(256), primary_key=True),
    Column("subject", String(1024), primary_key=True),
    Column("identity_id", String(64), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Index("ix_identity_logins_identity", "identity_id", "provider"),
)

# The key pair that signs GetOpenIdToken tokens (issuer <public url>/identity), sealed at rest.
identity_keys = Table(
    "identity_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("sealed_pem", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)
