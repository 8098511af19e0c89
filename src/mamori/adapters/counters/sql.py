"""Counters in the `counters` table (SQLite or PostgreSQL): each change is one atomic upsert.

Sign-in counts on every attempt, so the statements are built once and run on the driver
directly (`adapters/store/sql/direct.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.store.sql.direct import direct_for
from mamori.adapters.store.sql.tables import counters
from mamori.ports import Tally

# Rows past their expiry are swept every this many writes of one process; an index on the
# expiry keeps the sweep a range delete.
SWEEP_EVERY = 512

_LIVE = counters.c.expires_ms > bindparam("now_ms")


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _upsert(dialect: str, rows: int, set_: Any) -> Any:
    """INSERT of `rows` counters (binds k0.., with now_ms and expires_ms shared), adding to
    a live one on conflict."""
    values = [
        {
            "counter_key": bindparam(f"k{i}"),
            "hits": 1,
            "last_ms": bindparam("now_ms"),
            "expires_ms": bindparam("expires_ms"),
        }
        for i in range(rows)
    ]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(counters).values(values)
    return stmt.on_conflict_do_update(index_elements=[counters.c.counter_key], set_=set_(stmt))


def _hit(dialect: str, rows: int) -> Any:
    # A live window counts on; an expired one starts again at 1 with the new window's end.
    return _upsert(
        dialect,
        rows,
        lambda stmt: {
            "hits": case((_LIVE, counters.c.hits + 1), else_=1),
            "last_ms": stmt.excluded.last_ms,
            "expires_ms": case((_LIVE, counters.c.expires_ms), else_=stmt.excluded.expires_ms),
        },
    ).returning(counters.c.counter_key, counters.c.hits)


def _add(dialect: str) -> Any:
    # Idle expiry: every failure pushes the expiry on; an expired count starts again at 1.
    return _upsert(
        dialect,
        1,
        lambda stmt: {
            "hits": case((_LIVE, counters.c.hits + 1), else_=1),
            "last_ms": stmt.excluded.last_ms,
            "expires_ms": stmt.excluded.expires_ms,
        },
    ).returning(counters.c.hits, counters.c.last_ms)


# Built once, per dialect: a guessing-limit hit names one or two keys (IP, username).
_HITS = {d: {n: _hit(d, n) for n in (1, 2)} for d in ("sqlite", "postgresql")}
_ADDS = {d: _add(d) for d in ("sqlite", "postgresql")}
_PEEK = select(counters.c.hits, counters.c.last_ms).where(
    counters.c.counter_key == bindparam("key"), _LIVE
)
_CLEAR = delete(counters).where(counters.c.counter_key == bindparam("key"))


class SqlCounters:
    id: ClassVar[str] = "sql"

    def __init__(self, engine: AsyncEngine, sweep_every: int = SWEEP_EVERY) -> None:
        self._engine = engine
        self._direct = direct_for(engine)
        self._sweep_every = sweep_every
        self._writes = 0
        self._hits = _HITS[engine.dialect.name]
        self._add = _ADDS[engine.dialect.name]

    async def hit(self, keys: Sequence[str], now: datetime, window: timedelta) -> Sequence[int]:
        if not keys:
            return []
        now_ms = _ms(now)
        window_ms = max(1, int(window.total_seconds() * 1000))
        window_end = (now_ms // window_ms + 1) * window_ms
        # Sorted: two statements upserting the same keys lock them in one order (no deadlock).
        names = {k: "w:" + k for k in keys}
        unique = sorted(set(names.values()))
        found: dict[str, int] = {}
        for start in range(0, len(unique), 2):
            chunk = unique[start : start + 2]
            params: dict[str, Any] = {f"k{i}": key for i, key in enumerate(chunk)}
            params.update(now_ms=now_ms, expires_ms=window_end)
            rows = await self._direct.write(self._hits[len(chunk)], params)
            found.update((row.counter_key, int(row.hits)) for row in rows)
        await self._maybe_sweep(now_ms)
        return [found[names[k]] for k in keys]

    async def add(self, key: str, now: datetime, idle: timedelta) -> Tally:
        now_ms = _ms(now)
        expires = now_ms + int(idle.total_seconds() * 1000)
        rows = await self._direct.write(
            self._add, {"k0": "c:" + key, "now_ms": now_ms, "expires_ms": expires}
        )
        await self._maybe_sweep(now_ms)
        return Tally(int(rows[0].hits), _at(int(rows[0].last_ms)))

    async def peek(self, key: str, now: datetime) -> Tally | None:
        row = await self._direct.first(_PEEK, {"key": "c:" + key, "now_ms": _ms(now)})
        return Tally(int(row.hits), _at(int(row.last_ms))) if row else None

    async def clear(self, key: str) -> None:
        await self._direct.write(_CLEAR, {"key": "c:" + key})

    async def aclose(self) -> None:
        """The engine is shared with the stores, which dispose of it."""

    async def _maybe_sweep(self, now_ms: int) -> None:
        self._writes += 1
        if self._writes % self._sweep_every:
            return
        async with self._engine.begin() as conn:
            await conn.execute(delete(counters).where(counters.c.expires_ms <= now_ms))
