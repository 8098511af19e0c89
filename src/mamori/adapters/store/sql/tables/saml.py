"""A pool as a SAML service provider (migration 0014): its keys, the requests it sent to
IdPs (AuthnRequests and LogoutRequests, each found again once by its RelayState's digest) and
the assertions it accepted (refused when presented again)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, String, Table, Text

from mamori.adapters.store.sql.tables.base import metadata

# The pool's SAML keys: `use` "signing" (GetSigningCertificate; AuthnRequests and
# LogoutRequests) or "encryption" (EncryptedResponses); the private key AEAD-sealed to the
# pool and use, the certificate in clear (it is public).
saml_keys = Table(
    "saml_keys",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("use", String(16), primary_key=True),
    Column("sealed_key", Text, nullable=False),
    Column("certificate", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

# A request sent to an IdP, until its answer consumes it (one delete) or it expires: the
# RelayState token's keyed digest (never the token), the request's ID (the answer's
# InResponseTo), what the answer finishes (the authorization request's query, or /logout's
# target, as JSON) and the digest of the browser's federation cookie.
saml_requests = Table(
    "saml_requests",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("pool_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("provider_name", String(64), nullable=False),
    Column("request_id", String(256), nullable=False),
    Column("request", Text, nullable=False),
    Column("binding", String(64), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
    Index("ix_saml_requests_expires", "expires"),  # the purge
)

# Assertions accepted, by the keyed digest of the IdP's entity id and the assertion's ID, until
# the assertion itself expires: the same assertion presented again is refused.
saml_assertions = Table(
    "saml_assertions",
    metadata,
    Column("pool_id", String(64), primary_key=True),
    Column("digest", String(64), primary_key=True),
    Column("expires", DateTime(timezone=True), nullable=False),
    Index("ix_saml_assertions_expires", "expires"),  # the purge
)
