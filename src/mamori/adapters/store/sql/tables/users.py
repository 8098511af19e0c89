"""A pool's users: accounts, sign-in aliases, the ListUsers index, groups, one-time codes, MFA,
devices and linked provider identities."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from mamori.adapters.store.sql.tables.base import SEARCH_HEAD, code_point_key, metadata

users = Table(
    "users",
    metadata,
    Column("sub", code_point_key(64), primary_key=True),
    Column("pool_id", String(64), nullable=False),
    Column("username_key", code_point_key(256), nullable=False),
    Column("username", String(256), nullable=False),
    Column("status", code_point_key(32), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("password_hash", Text),
    Column("attributes", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
    Column("tokens_valid_after", Float, nullable=False),
    Column("password_expires", DateTime(timezone=True)),
    # JSON of User.pending (migration 0004); NULL when nothing is pending.
    Column("pending_attributes", Text),
    # User.srp_verifier (migration 0006): the SRP verifier, AEAD-sealed to the user.
    Column("srp_verifier", Text),
    Index("ux_users_pool_username", "pool_id", "username_key", unique=True),
)

# Unique sign-in identifiers besides the username (email, phone_number, preferred_username).
# `value_key` is the SHA-256 of the normalised value: fixed size, whatever the value's length.
aliases = Table(
    "aliases",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("attribute", String(64), primary_key=True),
    Column("value_key", String(64), primary_key=True),
    Column("sub", String(64), nullable=False, index=True),
)

# Searchable attributes for ListUsers filters, one row per user and attribute: exact and prefix
# matches narrow by the indexed `value_head` (the first SEARCH_HEAD characters), then check `value`.
user_index = Table(
    "user_index",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("attribute", String(64), primary_key=True),
    Column("sub", String(64), primary_key=True),
    Column("value_head", code_point_key(SEARCH_HEAD), nullable=False),
    Column("value", Text, nullable=False),
    Index("ix_user_index_search", "pool_id", "attribute", "value_head"),
    Index("ix_user_index_sub", "sub"),
)

groups = Table(
    "groups",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("name", code_point_key(128), primary_key=True),
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

codes = Table(
    "codes",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("sub", String(64), primary_key=True),
    Column("purpose", String(64), primary_key=True),
    Column("digest", String(128), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False),
    Index("ix_codes_expires", "expires"),  # the purge (migration 0007)
)

# --- MFA and remembered devices (migration 0005)
# One row per user with MFA settings or a TOTP token. Secrets are AEAD-sealed, bound to the
# pool and user; `totp_last_step` is the last RFC 6238 step accepted, so each code works once.
user_mfa = Table(
    "user_mfa",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("sub", String(64), primary_key=True),
    Column("sms_enabled", Boolean, nullable=False),
    Column("totp_enabled", Boolean, nullable=False),
    Column("email_enabled", Boolean, nullable=False),
    Column("preferred", String(32)),
    Column("totp_sealed", Text),
    Column("totp_name", Text),
    Column("totp_last_step", BigInteger),
    Column("pending_sealed", Text),
    Column("totp_failures", Integer, nullable=False),
    Column("totp_failed_at", DateTime(timezone=True)),
    Column("modified", DateTime(timezone=True), nullable=False),
)

# A user's devices: handed out unconfirmed with NewDeviceMetadata at sign-in, confirmed by
# ConfirmDevice with the device's SRP verifier (sealed). Listed per user in key order.
devices = Table(
    "devices",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("device_key", code_point_key(64), primary_key=True),
    Column("sub", String(64), nullable=False),
    Column("group_key", String(64), nullable=False),
    Column("confirmed", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("name", Text),
    Column("verifier_sealed", Text),
    Column("last_ip", Text),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
    Column("last_authenticated", DateTime(timezone=True)),
    Index("ix_devices_user", "pool_id", "sub", "device_key"),
)

# --- Provider links (migration 0013): AdminLinkProviderForUser's links, a provider's subject
# to the existing user it signs in as; at most five per user (the service counts them).
provider_links = Table(
    "provider_links",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("provider_name", String(64), primary_key=True),
    Column("subject", String(2048), primary_key=True),
    Column("attribute_name", String(64), nullable=False),
    Column("sub", String(64), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Index("ix_provider_links_user", "pool_id", "sub"),
)
