"""Table definitions; the Alembic migrations under migrations/ create and evolve them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

pools = Table(
    "pools",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
    Column("config", Text, nullable=False),
)

clients = Table(
    "clients",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("pool_id", String(64), nullable=False, index=True),
    Column("name", String(128), nullable=False),
    Column("secret_sealed", Text),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
    Column("config", Text, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("sub", String(64), primary_key=True),
    Column("pool_id", String(64), nullable=False),
    Column("username_key", String(256), nullable=False),
    Column("username", String(256), nullable=False),
    Column("status", String(32), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("password_hash", Text),
    Column("attributes", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
    Column("tokens_valid_after", Float, nullable=False),
    Column("password_expires", DateTime(timezone=True)),
    Index("ux_users_pool_username", "pool_id", "username_key", unique=True),
)

# Unique sign-in identifiers besides the username (email, phone_number, preferred_username).
aliases = Table(
    "aliases",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("attribute", String(64), primary_key=True),
    Column("value_key", String(2048), primary_key=True),
    Column("sub", String(64), nullable=False, index=True),
)

# Searchable attributes for ListUsers filters: exact and prefix match on an index.
user_index = Table(
    "user_index",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("attribute", String(64), primary_key=True),
    Column("value", String(2048), primary_key=True),
    Column("sub", String(64), primary_key=True),
    Index("ix_user_index_sub", "sub"),
)

groups = Table(
    "groups",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("description", String(2048)),
    Column("role_arn", String(2048)),
    Column("precedence", Integer),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("group_name", String(128), primary_key=True),
    Column("sub", String(64), primary_key=True),
    Index("ix_memberships_sub", "pool_id", "sub"),
)

refresh_sessions = Table(
    "refresh_sessions",
    metadata,
    Column("digest", String(128), primary_key=True),
    Column("pool_id", String(64), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("sub", String(64), nullable=False),
    Column("origin_jti", String(64), nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("replaced_at", DateTime(timezone=True)),
    Index("ix_refresh_sessions_origin", "pool_id", "origin_jti"),
    Index("ix_refresh_sessions_user", "pool_id", "sub"),
)

codes = Table(
    "codes",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("sub", String(64), primary_key=True),
    Column("purpose", String(64), primary_key=True),
    Column("digest", String(128), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("kid", String(64), primary_key=True),
    Column("sealed_pem", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pool_id", String(64), nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("destination", String(2048), nullable=False, index=True),
    Column("subject", Text),
    Column("body", Text, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("code", String(64)),
    Column("created", DateTime(timezone=True), nullable=False),
)
