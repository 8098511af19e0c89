"""Every SQL store adapter on one engine, for the contract suite (no server)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support.entities import NOW, client_value, pool_value, user_value

from mamori.adapters.store.sql.branding import SqlBrandingStore
from mamori.adapters.store.sql.connection.direct import dispose
from mamori.adapters.store.sql.connection.engine import make_async_engine
from mamori.adapters.store.sql.devices import SqlDeviceStore
from mamori.adapters.store.sql.domains import SqlDomainStore
from mamori.adapters.store.sql.groups import SqlGroupStore
from mamori.adapters.store.sql.keys import SqlKeyStore
from mamori.adapters.store.sql.mfa import SqlMfaStore
from mamori.adapters.store.sql.outbox import SqlOutbox
from mamori.adapters.store.sql.pools import SqlClientStore, SqlPoolStore
from mamori.adapters.store.sql.resource_servers import SqlResourceServerStore
from mamori.adapters.store.sql.sessions import SqlCodeStore, SqlRefreshSessionStore
from mamori.adapters.store.sql.users import SqlUserStore
from mamori.crypto.aead import Keyring
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.group import Group
from mamori.domain.users.user import User


@dataclass
class Stores:
    """The stores, plus shortcuts that build an entity with defaults and add it."""

    engine: AsyncEngine
    keyring: Keyring
    pools: SqlPoolStore
    clients: SqlClientStore
    users: SqlUserStore
    groups: SqlGroupStore
    sessions: SqlRefreshSessionStore
    codes: SqlCodeStore
    keys: SqlKeyStore
    outbox: SqlOutbox
    mfa: SqlMfaStore
    devices: SqlDeviceStore
    domains: SqlDomainStore
    resource_servers: SqlResourceServerStore
    branding: SqlBrandingStore

    async def pool(self, **overrides: Any) -> UserPool:
        pool = pool_value(**overrides)
        await self.pools.add_pool(pool)
        return pool

    async def user(self, pool: UserPool, username: str | None = None, **attributes: str) -> User:
        user = user_value(pool, username, **attributes)
        await self.users.add_user(pool, user)
        return user

    async def client(self, pool: UserPool, **overrides: Any) -> AppClient:
        client = client_value(pool.id, **overrides)
        await self.clients.add_client(client)
        return client

    async def group(self, pool: UserPool, name: str, **overrides: Any) -> Group:
        group = Group(pool.id, name, NOW, NOW, **overrides)
        await self.groups.add_group(group)
        return group


@asynccontextmanager
async def open_stores(database_url: str) -> AsyncIterator[Stores]:
    engine = make_async_engine(database_url)
    keyring = Keyring(secrets.token_bytes(32))
    try:
        yield Stores(
            engine,
            keyring,
            SqlPoolStore(engine),
            SqlClientStore(engine, keyring),
            SqlUserStore(engine),
            SqlGroupStore(engine),
            SqlRefreshSessionStore(engine),
            SqlCodeStore(engine),
            SqlKeyStore(engine),
            SqlOutbox(engine),
            SqlMfaStore(engine, keyring),
            SqlDeviceStore(engine, keyring),
            SqlDomainStore(engine),
            SqlResourceServerStore(engine),
            SqlBrandingStore(engine),
        )
    finally:
        await dispose(engine)
