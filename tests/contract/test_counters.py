"""The guard's counters on every backend (SQLite, PostgreSQL, Redis): atomic under concurrency,
shared by separate clients (as by separate server processes), windows and expiry by the
caller's clock."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import anyio
import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support.live import create_pg_database, drop_pg_database

from mamori.adapters.counters.redis import RedisCounters
from mamori.adapters.counters.sql import SqlCounters
from mamori.adapters.store.sql.connection.direct import dispose
from mamori.adapters.store.sql.connection.engine import make_async_engine, migrate
from mamori.adapters.store.sql.tables import counters as counters_table
from mamori.services.security.ports import Bucket, Counters

pytestmark = pytest.mark.anyio

REDIS_URL = "redis://127.0.0.1:6379/0"
MINUTE = timedelta(minutes=1)


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "redis"],
)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A URL: a migrated SQLite file, a fresh PostgreSQL database, or the local Redis."""
    if request.param == "redis":
        yield REDIS_URL
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('counters') / 'counters.db'}"
        migrate(url)
        yield url
        return
    url = create_pg_database()
    try:
        migrate(url)
        yield url
    finally:
        drop_pg_database(url)


class Opened:
    """Counters on the backend, opened once per `open()`: several act like several processes."""

    def __init__(self, url: str) -> None:
        self.url = url
        # Unique per test: Redis is shared with everything else on this machine.
        self.prefix = f"mamori-test:{secrets.token_hex(6)}:"
        self._closers: list[Counters] = []
        self._engines: list[object] = []

    def open(self) -> Counters:
        counters: Counters
        if self.url.startswith("redis"):
            counters = RedisCounters.from_url(self.url, prefix=self.prefix)
        else:
            engine = make_async_engine(self.url)
            self._engines.append(engine)
            counters = SqlCounters(engine)
        self._closers.append(counters)
        return counters

    async def close(self) -> None:
        for counters in self._closers:
            await counters.aclose()
        for engine in self._engines:
            await dispose(engine)
        if self.url.startswith("redis"):
            client = redis.Redis.from_url(self.url)
            try:
                names = list(client.scan_iter(match=self.prefix + "*"))
                if names:
                    client.delete(*names)
            finally:
                client.close()


@pytest.fixture()
async def opened(backend: str) -> AsyncIterator[Opened]:
    o = Opened(backend)
    try:
        yield o
    finally:
        await o.close()


def key() -> str:
    return "k" + secrets.token_hex(8)


def now() -> datetime:
    return datetime.now(UTC)


def bucket(k: str, per_second: int, burst: int) -> Bucket:
    return Bucket(k, timedelta(seconds=1) / per_second, burst)


async def test_a_bucket_gives_its_burst_then_its_rate(opened: Opened) -> None:
    """20 per second with a burst of 5: five at once, then one each 50 ms. A fixed window of
    "20 a second" let 72 through in one second; a bucket never more than burst + rate x t."""
    counters = opened.open()
    a, b = key(), key()
    start = datetime(2031, 5, 1, 10, 0, 0, 990_000, tzinfo=UTC)  # near a second's end
    taken = [(await counters.take([bucket(a, 20, 5)], start))[0] for _ in range(8)]
    assert taken == [True] * 5 + [False] * 3
    # Another key is another bucket; the refused takes above cost nothing.
    assert list(await counters.take([bucket(b, 20, 5), bucket(a, 20, 5)], start)) == [True, False]
    # The next second starts nothing afresh: 10 ms later there is still no token...
    assert list(await counters.take([bucket(a, 20, 5)], start + timedelta(milliseconds=10))) == [
        False
    ]
    # ...after 50 ms one, and one only.
    later = start + timedelta(milliseconds=50)
    assert [(await counters.take([bucket(a, 20, 5)], later))[0] for _ in range(3)] == [
        True,
        False,
        False,
    ]
    # Idle a second, it is full again (five, not twenty).
    full = later + timedelta(seconds=1)
    assert sum([(await counters.take([bucket(a, 20, 5)], full))[0] for _ in range(9)]) == 5
    assert list(await counters.take([], start)) == []


async def test_a_flood_over_one_second_gets_burst_plus_rate(opened: Opened) -> None:
    """One take every 5 ms for a second (200 tries) at 20/s with a burst of 5."""
    counters = opened.open()
    k = key()
    start = now()
    admitted = 0
    for i in range(200):
        admitted += (
            await counters.take([bucket(k, 20, 5)], start + i * timedelta(milliseconds=5))
        )[0]
    assert 5 + 19 <= admitted <= 5 + 20


async def test_concurrent_takes_from_two_clients_never_exceed_the_burst(opened: Opened) -> None:
    """Two connections (two server processes) at one instant: exactly the burst passes."""
    a, b = opened.open(), opened.open()
    k, other = key(), key()
    at = now()
    seen: list[tuple[bool, ...]] = []

    async def one(counters: Counters) -> None:
        seen.append(tuple(await counters.take([bucket(k, 1, 7), bucket(other, 1, 12)], at)))

    async with anyio.create_task_group() as tg:
        for i in range(30):
            tg.start_soon(one, a if i % 2 else b)
    assert sum(first for first, _ in seen) == 7
    assert sum(second for _, second in seen) == 12


async def test_add_counts_until_idle_then_starts_again(opened: Opened) -> None:
    counters = opened.open()
    k = key()
    idle = timedelta(minutes=15)
    t0 = now()
    assert await counters.peek(k, t0) is None
    first = await counters.add(k, t0, idle)
    assert first.count == 1
    assert abs((first.last - t0).total_seconds()) < 0.002
    later = t0 + timedelta(minutes=14)
    second = await counters.add(k, later, idle)
    assert second.count == 2
    peeked = await counters.peek(k, later + timedelta(minutes=1))
    assert peeked is not None and peeked.count == 2
    assert abs((peeked.last - later).total_seconds()) < 0.002
    # Idle from the LAST add, not the first.
    assert await counters.peek(k, later + idle) is None
    assert (await counters.add(k, later + idle, idle)).count == 1


async def test_clear_forgets_one_key(opened: Opened) -> None:
    counters = opened.open()
    k, other = key(), key()
    t0 = now()
    for _ in range(3):
        await counters.add(k, t0, MINUTE)
    await counters.add(other, t0, MINUTE)
    await counters.clear(k)
    assert await counters.peek(k, t0) is None
    kept = await counters.peek(other, t0)
    assert kept is not None and kept.count == 1
    await counters.clear(k)  # clearing nothing is fine
    assert (await counters.add(k, t0, MINUTE)).count == 1


async def test_concurrent_adds_from_two_clients_are_all_counted(opened: Opened) -> None:
    """Two connections (two server processes): one count, nothing lost."""
    a, b = opened.open(), opened.open()
    k = key()
    t0 = now()
    counts: list[int] = []

    async def one(counters: Counters) -> None:
        counts.append((await counters.add(k, t0, timedelta(minutes=15))).count)

    async with anyio.create_task_group() as tg:
        for i in range(40):
            tg.start_soon(one, a if i % 2 else b)
    assert sorted(counts) == list(range(1, 41))
    seen_by_a, seen_by_b = await a.peek(k, t0), await b.peek(k, t0)
    assert seen_by_a is not None and seen_by_b is not None
    assert seen_by_a.count == seen_by_b.count == 40
    # A bucket of the same key is another counter.
    assert list(await a.take([bucket(k, 1, 1)], t0)) == [True]
    assert list(await b.take([bucket(k, 1, 1)], t0)) == [False]


def cutoffs(at: datetime, *waits: float) -> list[datetime]:
    return [at - timedelta(seconds=w) for w in waits]


async def test_count_attempt_counts_only_what_the_rule_allows(opened: Opened) -> None:
    """Two free attempts, then one each time the wait (1 s, then 2 s for every later count)
    since the last counted one has passed; refusals write nothing; idle starts again."""
    counters = opened.open()
    k = key()
    idle = timedelta(minutes=15)
    t0 = now()

    async def attempt(at: datetime) -> int | None:
        tally = await counters.count_attempt(k, at, idle, 2, cutoffs(at, 1, 2))
        return tally.count if tally else None

    assert [await attempt(t0) for _ in range(4)] == [1, 2, None, None]
    peeked = await counters.peek(k, t0)
    assert peeked is not None and peeked.count == 2
    assert abs((peeked.last - t0).total_seconds()) < 0.002
    one = t0 + timedelta(seconds=1)
    assert [await attempt(one) for _ in range(2)] == [3, None]
    # Three counted: the last entry (2 s) holds for every count beyond.
    assert await attempt(one + timedelta(milliseconds=1999)) is None
    assert [await attempt(one + timedelta(seconds=2)) for _ in range(2)] == [4, None]
    # `add` and `count_attempt` count one tally.
    assert (await counters.add(k, one + timedelta(seconds=2), idle)).count == 5
    later = one + timedelta(seconds=2) + idle
    assert await attempt(later) == 1  # idle: started again
    await counters.clear(k)
    assert await attempt(later) == 1


async def test_concurrent_attempts_from_several_clients_count_at_most_the_rule(
    opened: Opened,
) -> None:
    """Three connections (three server processes), 30 attempts at one instant: five free ones
    pass; once the lock has ended, of 30 identical attempts exactly one is counted."""
    clients = [opened.open() for _ in range(3)]
    k = key()
    idle = timedelta(minutes=15)
    t0 = now()
    passed: list[int] = []

    async def one(counters: Counters, at: datetime) -> None:
        tally = await counters.count_attempt(k, at, idle, 5, cutoffs(at, 1, 60))
        if tally is not None:
            passed.append(tally.count)

    async with anyio.create_task_group() as tg:
        for i in range(30):
            tg.start_soon(one, clients[i % 3], t0)
    assert sorted(passed) == [1, 2, 3, 4, 5]
    passed.clear()
    after = t0 + timedelta(seconds=1)
    async with anyio.create_task_group() as tg:
        for i in range(30):
            tg.start_soon(one, clients[i % 3], after)
    assert passed == [6]
    for counters in clients:
        seen = await counters.peek(k, after)
        assert seen is not None and seen.count == 6


async def test_expired_counters_are_collected(backend: str, opened: Opened) -> None:
    if backend.startswith("redis"):
        # Redis expires the keys itself, a little after mamori stops reading them.
        counters = opened.open()
        k = key()
        await counters.add(k, now(), MINUTE)
        await counters.take([bucket(k, 1, 30)], now())
        client = redis.Redis.from_url(backend)
        try:
            names = list(client.scan_iter(match=opened.prefix + "*"))
            assert len(names) == 2
            for name in names:
                assert 1_000 < client.pttl(name) <= 2 * 60_000
        finally:
            client.close()
        return
    engine = make_async_engine(backend)
    counters = SqlCounters(engine, sweep_every=4)
    old, fresh = key(), key()
    try:
        t0 = now()
        await counters.add(old, t0, MINUTE)
        await counters.take([bucket(old, 1, 60)], t0)
        await counters.add(fresh, t0 + MINUTE, timedelta(hours=1))
        assert await stored(engine, old) == 2
        await counters.add(fresh, t0 + 2 * MINUTE, timedelta(hours=1))  # the 4th write sweeps
        assert await stored(engine, old) == 0
        assert await stored(engine, fresh) == 1
    finally:
        await dispose(engine)


async def stored(engine: AsyncEngine, k: str) -> int:
    """Rows of one key, window and failure counters alike."""
    async with engine.connect() as conn:
        found = await conn.execute(
            select(func.count())
            .select_from(counters_table)
            .where(counters_table.c.counter_key.in_(["c:" + k, "b:" + k]))
        )
        return int(found.scalar_one())
