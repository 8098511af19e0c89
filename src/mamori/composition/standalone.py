"""The services the CLI runs without a server (`mamori purge`, `mamori keys`), each on its own
engine, and the outbox retention both the server's purge and `mamori purge` use; wiring.py
re-exports them for the CLI."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import anyio

from mamori.adapters.store.sql.auth_events import SqlAuthEventStore
from mamori.adapters.store.sql.authorization_codes import SqlAuthorizationCodeStore
from mamori.adapters.store.sql.connection.direct import dispose
from mamori.adapters.store.sql.connection.engine import make_async_engine
from mamori.adapters.store.sql.keys import SqlKeyStore
from mamori.adapters.store.sql.login_sessions import SqlLoginSessionStore
from mamori.adapters.store.sql.outbox import SqlOutbox
from mamori.adapters.store.sql.saml import SqlSamlStore
from mamori.adapters.store.sql.sessions import SqlCodeStore, SqlRefreshSessionStore
from mamori.composition.secrets import master_key
from mamori.config import Settings
from mamori.crypto.aead import Keyring
from mamori.services.clock import SystemClock
from mamori.services.purge import Purger
from mamori.services.tokens.keys import KeyService


def message_retention(settings: Settings) -> timedelta | None:
    """How long the purge keeps outbox messages; None (`outbox_retention_hours` 0): forever."""
    hours = settings.outbox_retention_hours
    return timedelta(hours=hours) if hours else None


@contextlib.asynccontextmanager
async def purger_for(settings: Settings) -> AsyncIterator[Purger]:
    """`mamori purge`: the purge alone, on its own engine (no master key or services needed)."""
    engine = make_async_engine(settings.effective_database_url)
    try:
        yield Purger(
            SqlRefreshSessionStore(engine),
            SqlCodeStore(engine),
            SqlOutbox(engine),
            message_retention(settings),
            SystemClock(),
            authorization_codes=SqlAuthorizationCodeStore(engine),
            login_sessions=SqlLoginSessionStore(engine),
            saml=SqlSamlStore(engine),
            auth_events=SqlAuthEventStore(engine),
            auth_event_retention=timedelta(days=settings.auth_event_retention_days),
        )
    finally:
        await dispose(engine)


@contextlib.asynccontextmanager
async def signing_keys_for(settings: Settings) -> AsyncIterator[KeyService]:
    """`mamori keys`: the signing-key service alone, on its own engine, with the master key
    (a pool's public keys are derived from its sealed private keys)."""
    engine = make_async_engine(settings.effective_database_url)
    keyring = Keyring(master_key(settings))
    try:
        yield KeyService(SqlKeyStore(engine), keyring, SystemClock(), anyio.CapacityLimiter(1))
    finally:
        await dispose(engine)
