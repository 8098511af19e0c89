"""The services of one mamori, in this process, on a fresh database and a clock tests move.

For rules about time (expiry of sessions, temporary passwords, refresh tokens) that a live
server could only show by waiting: build the real services with `build_services(settings,
clock=FrozenClock())` and advance the clock instead.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.live import create_pg_database, drop_pg_database

from mamori.adapters.store.sql.connection.engine import migrate
from mamori.config import load_settings
from mamori.services.container import Services
from mamori.wiring import build_services


class FrozenClock:
    """A Clock that stands still until a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


@contextmanager
def fresh_database(tmp: Path, database: str) -> Iterator[str]:
    """A migrated, empty database: an SQLite file under `tmp` or a new PostgreSQL database."""
    if database == "sqlite":
        url = f"sqlite:///{tmp / f'inproc-{secrets.token_hex(3)}.db'}"
        migrate(url)
        yield url
        return
    url = create_pg_database()
    try:
        migrate(url)
        yield url
    finally:
        drop_pg_database(url)


@asynccontextmanager
async def services_on(
    database_url: str, tmp: Path, clock: FrozenClock, **settings: str | int
) -> AsyncIterator[Services]:
    """The real service graph on `database_url` with `clock`; cheap hashing unless overridden."""
    values: dict[str, str | int] = {
        "database_url": database_url,
        "data_dir": str(tmp),
        "master_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "argon2_memory_kib": 256,
        "argon2_time_cost": 1,
        **settings,
    }
    runtime = build_services(load_settings(values, environ={}), clock=clock)
    try:
        yield runtime.services
    finally:
        await runtime.aclose()
