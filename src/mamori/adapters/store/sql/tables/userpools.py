"""A user pool and what hangs off it: the pool, its app clients and signing keys, its domains,
resource servers, branding and identity providers."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from mamori.adapters.store.sql.tables.base import code_point_key, metadata

pools = Table(
    "pools",
    metadata,
    Column("id", code_point_key(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
    Column("config", Text, nullable=False),
)

clients = Table(
    "clients",
    metadata,
    Column("id", code_point_key(64), primary_key=True),
    Column("pool_id", String(64), nullable=False, index=True),
    Column("name", String(128), nullable=False),
    Column("secret_sealed", Text),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
    Column("config", Text, nullable=False),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("kid", String(64), primary_key=True),
    Column("sealed_pem", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

# --- User pool domains, resource servers, UI customization, managed-login branding (0009)
# A domain name is unique across pools (the primary key); a pool has at most one domain of each
# kind (prefix, custom).
user_pool_domains = Table(
    "user_pool_domains",
    metadata,
    Column("domain", String(253), primary_key=True),
    Column("pool_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("certificate_arn", Text),
    Column("security_policy", String(32)),
    Column("managed_login_version", Integer, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
    Index("ux_user_pool_domains_pool_kind", "pool_id", "kind", unique=True),
)

# Scopes as a JSON list of [name, description]; listed by identifier.
resource_servers = Table(
    "resource_servers",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("identifier", code_point_key(256), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("scopes", Text, nullable=False),
)

# The classic hosted UI's CSS and logo (base64), per client or for ALL of the pool's clients.
ui_customizations = Table(
    "ui_customizations",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("client_id", String(128), primary_key=True),
    Column("css", Text),
    Column("image", Text),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
)

# Managed login's branding, one per client: the Settings document and the assets as JSON.
managed_login_brandings = Table(
    "managed_login_brandings",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("pool_id", String(64), nullable=False),
    Column("client_id", String(128), nullable=False),
    Column("use_cognito_provided_values", Boolean, nullable=False),
    Column("settings", Text),
    Column("assets", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
    Index("ux_managed_login_brandings_client", "pool_id", "client_id", unique=True),
)

# --- Identity providers (migration 0012): ProviderDetails as JSON without the secrets, which
# are sealed together in `secrets_sealed` (client_secret, Apple's private_key); IdpIdentifiers
# in their own table, so the database keeps them unique per pool.
identity_providers = Table(
    "identity_providers",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("type", String(32), nullable=False),
    Column("details", Text, nullable=False),
    Column("secrets_sealed", Text),
    Column("attribute_mapping", Text, nullable=False),
    Column("acr_mapping", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
)

identity_provider_identifiers = Table(
    "identity_provider_identifiers",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("identifier", String(64), primary_key=True),
    Column("provider_name", String(64), nullable=False),
    Index("ix_identity_provider_identifiers_provider", "pool_id", "provider_name"),
)
