"""The identity-pool SQL stores on one engine, and identity pool values, for the contract suite."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support.entities import NOW

from mamori.adapters.store.sql.connection.direct import dispose
from mamori.adapters.store.sql.connection.engine import make_async_engine
from mamori.adapters.store.sql.identity_pools import SqlIdentityPoolStore, SqlIdentityStore
from mamori.domain.identity.identity_pool import (
    Identity,
    IdentityId,
    IdentityPool,
    IdentityPoolId,
    Login,
)


def identity_pool_value(**overrides: Any) -> IdentityPool:
    values: dict[str, Any] = {
        "id": IdentityPoolId(f"us-east-1:{uuid.uuid4()}"),
        "name": "pool",
        "created": NOW,
        "modified": NOW,
    }
    values.update(overrides)
    return IdentityPool(**values)


def identity_value(
    pool: IdentityPool, *logins: Login, created: datetime = NOW, **overrides: Any
) -> Identity:
    return Identity(
        IdentityId(f"us-east-1:{uuid.uuid4()}"),
        pool.id,
        created,
        created,
        tuple(logins),
        **overrides,
    )


@dataclass
class IdentityStores:
    engine: AsyncEngine
    pools: SqlIdentityPoolStore
    identities: SqlIdentityStore

    async def pool(self, **overrides: Any) -> IdentityPool:
        pool = identity_pool_value(**overrides)
        await self.pools.add_identity_pool(pool)
        return pool

    async def identity(
        self, pool: IdentityPool, *logins: Login, created: datetime = NOW
    ) -> Identity:
        return await self.identities.add_identity(identity_value(pool, *logins, created=created))


LATER = NOW + timedelta(minutes=5)


@asynccontextmanager
async def open_identity_stores(database_url: str) -> AsyncIterator[IdentityStores]:
    engine = make_async_engine(database_url)
    try:
        yield IdentityStores(engine, SqlIdentityPoolStore(engine), SqlIdentityStore(engine))
    finally:
        await dispose(engine)
