"""The SQL store adapters on a migrated SQLite file and on a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from tests.support.identity_stores import IdentityStores, open_identity_stores
from tests.support.live import create_pg_database, drop_pg_database
from tests.support.stores import Stores, open_stores

from mamori.adapters.store.sql.connection.engine import migrate


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One migrated database per backend for the whole suite; tests isolate themselves by pool."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('contract') / 'store.db'}"
        migrate(url)
        yield url
        return
    url = create_pg_database()
    try:
        migrate(url)
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture()
async def stores(database_url: str) -> AsyncIterator[Stores]:
    async with open_stores(database_url) as opened:
        yield opened


@pytest.fixture()
async def identity_stores(database_url: str) -> AsyncIterator[IdentityStores]:
    async with open_identity_stores(database_url) as opened:
        yield opened
