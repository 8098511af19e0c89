"""What a sign-in leaves behind: refresh sessions, OAuth authorization codes and hosted-login
sessions."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    String,
    Table,
    Text,
)

from mamori.adapters.store.sql.tables.base import metadata

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
    # What an OAuth flow granted ("openid email ..."), kept across refreshes so a refreshed
    # access token carries the same `scope`; NULL for the API's sign-ins (the admin scope).
    Column("scopes", Text),
    Index("ix_refresh_sessions_origin", "pool_id", "origin_jti"),
    Index("ix_refresh_sessions_user", "pool_id", "sub"),
    # The purge (migration 0007) deletes by expiry across pools: a range, not a table scan.
    Index("ix_refresh_sessions_expires", "expires"),
)

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

# --- Hosted-login sessions (migration 0011): the session cookie's keyed digest, never the
# cookie itself. Revoked by /logout, by the user's global sign-out, by the SAML IdP's single
# logout, and by deleting its rows.
login_sessions = Table(
    "login_sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("pool_id", String(64), nullable=False),
    Column("sub", String(64), nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
    # A sign-in through a SAML provider (migration 0014): the provider, the NameID and the
    # rest of what single logout names (JSON: its format, the IdP's SessionIndex).
    Column("idp_name", String(64)),
    Column("saml_name_id", Text),
    Column("saml_session", Text),
    Index("ix_login_sessions_user", "pool_id", "sub"),
    Index("ix_login_sessions_expires", "expires"),
)
