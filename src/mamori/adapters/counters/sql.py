"""Counters in the `counters` table (SQLite or PostgreSQL): each change is one atomic upsert."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.store.sql.tables import counters
from mamori.ports import Tally

# Rows past their expiry are swept every this many writes of one process; an index on the
# expiry keeps the sweep a range delete.
SWEEP_EVERY = 512


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class SqlCounters:
    id: ClassVar[str] = "sql"

    def __init__(self, engine: AsyncEngine, sweep_every: int = SWEEP_EVERY) -> None:
        self._engine = engine
        self._sweep_every = sweep_every
        self._writes = 0

    def _insert(self, rows: list[dict[str, int | str]]) -> Any:
        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(counters).values(rows)
        return sqlite.insert(counters).values(rows)

    async def hit(self, keys: Sequence[str], now: datetime, window: timedelta) -> Sequence[int]:
        if not keys:
            return []
        now_ms = _ms(now)
        window_ms = max(1, int(window.total_seconds() * 1000))
        window_end = (now_ms // window_ms + 1) * window_ms
        # Sorted: two statements upserting the same keys lock them in one order (no deadlock).
        names = {k: "w:" + k for k in keys}
        unique = sorted(set(names.values()))
        rows: list[dict[str, int | str]] = [
            {"counter_key": k, "hits": 1, "last_ms": now_ms, "expires_ms": window_end}
            for k in unique
        ]
        stmt = self._insert(rows)
        live = counters.c.expires_ms > now_ms
        stmt = stmt.on_conflict_do_update(
            index_elements=[counters.c.counter_key],
            set_={
                "hits": case((live, counters.c.hits + 1), else_=1),
                "last_ms": stmt.excluded.last_ms,
                "expires_ms": case((live, counters.c.expires_ms), else_=stmt.excluded.expires_ms),
            },
        ).returning(counters.c.counter_key, counters.c.hits)
        async with self._engine.begin() as conn:
            found = {row.counter_key: int(row.hits) for row in await conn.execute(stmt)}
        await self._maybe_sweep(now_ms)
        return [found[names[k]] for k in keys]

    async def add(self, key: str, now: datetime, idle: timedelta) -> Tally:
        now_ms = _ms(now)
        expires = now_ms + int(idle.total_seconds() * 1000)
        stmt = self._insert(
            [{"counter_key": "c:" + key, "hits": 1, "last_ms": now_ms, "expires_ms": expires}]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[counters.c.counter_key],
            set_={
                "hits": case((counters.c.expires_ms > now_ms, counters.c.hits + 1), else_=1),
                "last_ms": stmt.excluded.last_ms,
                "expires_ms": stmt.excluded.expires_ms,
            },
        ).returning(counters.c.hits, counters.c.last_ms)
        async with self._engine.begin() as conn:
            row = (await conn.execute(stmt)).one()
        await self._maybe_sweep(now_ms)
        return Tally(int(row.hits), _at(int(row.last_ms)))

    async def peek(self, key: str, now: datetime) -> Tally | None:
        query = select(counters.c.hits, counters.c.last_ms).where(
            counters.c.counter_key == "c:" + key, counters.c.expires_ms > _ms(now)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return Tally(int(row.hits), _at(int(row.last_ms))) if row else None

    async def clear(self, key: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(counters).where(counters.c.counter_key == "c:" + key))

    async def aclose(self) -> None:
        """The engine is shared with the stores, which dispose of it."""

    async def _maybe_sweep(self, now_ms: int) -> None:
        self._writes += 1
        if self._writes % self._sweep_every:
            return
        async with self._engine.begin() as conn:
            await conn.execute(delete(counters).where(counters.c.expires_ms <= now_ms))
