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

# Characters of a searchable value kept in the indexed `value_head` column. Index entries must stay
# small whatever the input: PostgreSQL refuses a B-tree row over ~2.7 kB, and an attribute value
# may be 2048 characters of 4 bytes each.
SEARCH_HEAD = 64


def _key(length: int) -> String:
    """A string compared and sorted by code point on every database, as prefix ranges need.

    SQLite compares bytes already; PostgreSQL gets collation "C" instead of the database default
    (a linguistic collation would put "Ann" inside the range for prefix "ann").
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


pools = Table(
    "pools",
    metadata,
    Column("id", _key(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
    Column("config", Text, nullable=False),
)

clients = Table(
    "clients",
    metadata,
    Column("id", _key(64), primary_key=True),
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
    Column("sub", _key(64), primary_key=True),
    Column("pool_id", String(64), nullable=False),
    Column("username_key", _key(256), nullable=False),
    Column("username", String(256), nullable=False),
    Column("status", _key(32), nullable=False),
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
    Column("value_head", _key(SEARCH_HEAD), nullable=False),
    Column("value", Text, nullable=False),
    Index("ix_user_index_search", "pool_id", "attribute", "value_head"),
    Index("ix_user_index_sub", "sub"),
)

groups = Table(
    "groups",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("name", _key(128), primary_key=True),
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
    # The purge (migration 0007) deletes by expiry across pools: a range, not a table scan.
    Index("ix_refresh_sessions_expires", "expires"),
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
    Column("device_key", _key(64), primary_key=True),
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

# --- OAuth authorization codes (migration 0010)
# What an OAuth flow granted a refresh session ("openid email ..."), kept across refreshes so a
# refreshed access token carries the same `scope`; NULL for the API's sign-ins (the admin scope).
refresh_sessions.append_column(Column("scopes", Text))

# An authorization code, stored only as a keyed digest, with everything the token request must
# match. `used_at` is set by the one redemption that wins (a conditional update); `origin_jti`
# names the refresh family that redemption started, so a replay (`replayed`) can revoke it.
authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("digest", String(128), primary_key=True),
    Column("pool_id", String(64), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("sub", String(64), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scopes", Text, nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    Column("nonce", Text),
    Column("code_challenge", String(128)),
    Column("expires", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("origin_jti", String(64)),
    Column("replayed", Boolean, nullable=False),
    Index("ix_authorization_codes_expires", "expires"),  # the purge
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
    Column("identifier", _key(256), primary_key=True),
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

# --- Hosted-login sessions (migration 0011): the session cookie's keyed digest, never the
# cookie itself. Revoked by /logout, by the user's global sign-out, and by deleting its rows.
login_sessions = Table(
    "login_sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("pool_id", String(64), nullable=False),
    Column("sub", String(64), nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
    Index("ix_login_sessions_user", "pool_id", "sub"),
    Index("ix_login_sessions_expires", "expires"),
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
