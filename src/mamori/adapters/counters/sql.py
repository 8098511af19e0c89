"""Counters in the `counters` table (SQLite or PostgreSQL): each change is one atomic upsert.

Sign-in counts on every attempt, so the statements are built once and run on the driver
directly (`adapters/store/sql/connection/direct.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import BigInteger, bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.store.sql.connection.direct import direct_for
from mamori.adapters.store.sql.tables import counters
from mamori.services.security.ports import Bucket, Tally

# Rows past their expiry are swept every this many writes of one process; an index on the
# expiry keeps the sweep a range delete.
SWEEP_EVERY = 512

_LIVE = counters.c.expires_ms > bindparam("now_ms")


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _insert(dialect: str, rows: int) -> Any:
    """INSERT of `rows` counters: binds k0.., hits and last_ms and expires_ms per row
    (h0.., l0.., x0..)."""
    values: list[dict[str, Any]] = [
        {
            "counter_key": bindparam(f"k{i}"),
            "hits": bindparam(f"h{i}"),
            "last_ms": bindparam(f"l{i}"),
            "expires_ms": bindparam(f"x{i}"),
        }
        for i in range(rows)
    ]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(counters).values(values)


def _take(dialect: str, rows: int) -> Any:
    """Token buckets (GCRA): `last_ms` is when the bucket is full again, `hits` whether the
    latest take had a token. A new row is a take from a full bucket: l = now + every, and
    x = now + burst x every (no bucket is fuller later than that, so the sweep may delete
    the row then). On conflict, the excluded row carries those two per bucket, so one
    statement serves buckets of different rates; a refused take keeps `last_ms`."""
    stmt = _insert(dialect, rows)
    now: Any = bindparam("now_ms", type_=BigInteger())
    full = case((counters.c.last_ms > now, counters.c.last_ms), else_=now)
    following = full + (stmt.excluded.last_ms - now)
    ok = following <= stmt.excluded.expires_ms
    return stmt.on_conflict_do_update(
        index_elements=[counters.c.counter_key],
        set_={
            "hits": case((ok, 1), else_=0),
            "last_ms": case((ok, following), else_=counters.c.last_ms),
            "expires_ms": stmt.excluded.expires_ms,
        },
    ).returning(counters.c.counter_key, counters.c.hits)


def _add(dialect: str) -> Any:
    # Idle expiry: every failure pushes the expiry on; an expired count starts again at 1.
    stmt = _insert(dialect, 1)
    return stmt.on_conflict_do_update(
        index_elements=[counters.c.counter_key],
        set_={
            "hits": case((_LIVE, counters.c.hits + 1), else_=1),
            "last_ms": stmt.excluded.last_ms,
            "expires_ms": stmt.excluded.expires_ms,
        },
    ).returning(counters.c.hits, counters.c.last_ms)


def _count_attempt(dialect: str, cutoffs: int) -> Any:
    """`_add` whose update happens only while the count allows another attempt (binds: free,
    and the cutoffs n0.. by count beyond free); ON CONFLICT's update locks the row, so the
    check and the increment are one atomic step on SQLite and PostgreSQL alike. A refusal
    updates nothing and returns no row."""
    stmt = _insert(dialect, 1)
    free: Any = bindparam("free", type_=BigInteger())
    hits, last = counters.c.hits, counters.c.last_ms
    whens = [(hits == free + i, bindparam(f"n{i}", type_=BigInteger())) for i in range(cutoffs)]
    cutoff = case(*whens[:-1], else_=whens[-1][1]) if cutoffs > 1 else whens[0][1]
    return stmt.on_conflict_do_update(
        index_elements=[counters.c.counter_key],
        set_={
            "hits": case((_LIVE, hits + 1), else_=1),
            "last_ms": stmt.excluded.last_ms,
            "expires_ms": stmt.excluded.expires_ms,
        },
        where=~_LIVE | (hits < free) | (last <= cutoff),
    ).returning(counters.c.hits, counters.c.last_ms)


# Built once, per dialect: a rate limit takes from one or two buckets (IP, user).
_TAKES = {d: {n: _take(d, n) for n in (1, 2)} for d in ("sqlite", "postgresql")}
_ADDS = {d: _add(d) for d in ("sqlite", "postgresql")}
# Built on first use, per dialect and number of cutoffs (the lockout's is fixed).
_COUNT_ATTEMPTS: dict[tuple[str, int], Any] = {}
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
        self._takes = _TAKES[engine.dialect.name]
        self._add = _ADDS[engine.dialect.name]

    async def take(self, buckets: Sequence[Bucket], now: datetime) -> Sequence[bool]:
        if not buckets:
            return []
        now_ms = _ms(now)
        # Sorted: two statements upserting the same keys lock them in one order (no deadlock).
        # One bucket per key: a key named twice in one upsert is an error on PostgreSQL.
        unique = sorted({"b:" + b.key: b for b in buckets}.items())
        found: dict[str, bool] = {}
        for start in range(0, len(unique), 2):
            chunk = unique[start : start + 2]
            params: dict[str, Any] = {"now_ms": now_ms}
            for i, (name, bucket) in enumerate(chunk):
                every = max(1, int(bucket.every.total_seconds() * 1000))
                params.update(
                    {
                        f"k{i}": name,
                        f"h{i}": 1,
                        f"l{i}": now_ms + every,
                        f"x{i}": now_ms + every * bucket.burst,
                    }
                )
            rows = await self._direct.write(self._takes[len(chunk)], params)
            found.update((row.counter_key, bool(row.hits)) for row in rows)
        await self._maybe_sweep(now_ms)
        return [found["b:" + b.key] for b in buckets]

    async def add(self, key: str, now: datetime, idle: timedelta) -> Tally:
        now_ms = _ms(now)
        expires = now_ms + int(idle.total_seconds() * 1000)
        rows = await self._direct.write(
            self._add,
            {"k0": "c:" + key, "h0": 1, "l0": now_ms, "x0": expires, "now_ms": now_ms},
        )
        await self._maybe_sweep(now_ms)
        return Tally(int(rows[0].hits), _at(int(rows[0].last_ms)))

    async def count_attempt(
        self,
        key: str,
        now: datetime,
        idle: timedelta,
        free: int,
        not_after: Sequence[datetime],
    ) -> Tally | None:
        shape = (self._engine.dialect.name, len(not_after))
        stmt = _COUNT_ATTEMPTS.get(shape)
        if stmt is None:
            stmt = _COUNT_ATTEMPTS[shape] = _count_attempt(*shape)
        now_ms = _ms(now)
        params: dict[str, Any] = {
            "k0": "c:" + key,
            "h0": 1,
            "l0": now_ms,
            "x0": now_ms + int(idle.total_seconds() * 1000),
            "now_ms": now_ms,
            "free": free,
        }
        params.update((f"n{i}", _ms(t)) for i, t in enumerate(not_after))
        rows = await self._direct.write(stmt, params)
        await self._maybe_sweep(now_ms)
        return Tally(int(rows[0].hits), _at(int(rows[0].last_ms))) if rows else None

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
