"""The hot-path statement runner (adapters/store/sql/connection/direct.py) against the engine
it stands beside: what one writes the other reads back identically, on SQLite and PostgreSQL; on
SQLite, a statement that meets a lock waits for it on a thread instead of failing or blocking
the loop."""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from tests.support.live import create_pg_database, drop_pg_database, restore_pg_database

from mamori.adapters.store.sql.connection import direct
from mamori.adapters.store.sql.connection.direct import (
    EngineDirect,
    PostgresDirect,
    SqliteDirect,
    direct_for,
    dispose,
)
from mamori.adapters.store.sql.connection.engine import make_async_engine, migrate
from mamori.adapters.store.sql.tables import refresh_sessions

pytestmark = pytest.mark.anyio

_INSERT = insert(refresh_sessions).values({c: bindparam(c.key) for c in refresh_sessions.c})
_READ = select(refresh_sessions).where(refresh_sessions.c.digest == bindparam("digest"))
_WHEN = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def _session(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "digest": secrets.token_hex(16),
        "pool_id": "us-east-1_direct",
        "client_id": "c" * 26,
        "sub": secrets.token_hex(8),
        "origin_jti": secrets.token_hex(8),
        "auth_time": 1_900_000_000,
        "created": _WHEN,
        "expires": _WHEN + timedelta(days=30),
        "revoked": False,
        "replaced_at": None,
        "scopes": None,
    }
    row.update(overrides)
    return row


@pytest.fixture()
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_async_engine(database_url)
    try:
        yield engine
    finally:
        await dispose(engine)


def _normal(value: object) -> object:
    # SQLite hands datetimes back naive (UTC); the stores make them aware on reading.
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


async def test_direct_and_engine_read_each_others_rows(engine: AsyncEngine) -> None:
    runner = direct_for(engine)
    expected = SqliteDirect if engine.dialect.name == "sqlite" else PostgresDirect
    assert isinstance(runner, expected)
    by_direct = _session(revoked=True, replaced_at=_WHEN + timedelta(seconds=1))
    await runner.write(_INSERT, by_direct)
    by_engine = _session()
    async with engine.begin() as conn:
        await conn.execute(_INSERT, by_engine)

    for written in (by_direct, by_engine):
        via_direct = await runner.first(_READ, {"digest": written["digest"]})
        async with engine.connect() as conn:
            via_engine = (await conn.execute(_READ, {"digest": written["digest"]})).one()
        assert via_direct is not None
        assert tuple(map(_normal, via_direct)) == tuple(map(_normal, via_engine))
        assert via_direct.revoked is written["revoked"]
        assert _normal(via_direct.created) == _WHEN
        assert _normal(via_direct.replaced_at) == written["replaced_at"]
    assert await runner.first(_READ, {"digest": "absent"}) is None
    assert await runner.all(_READ, {"digest": "absent"}) == []


async def test_constraint_errors_are_sqlalchemy_errors(engine: AsyncEngine) -> None:
    runner = direct_for(engine)
    row = _session()
    await runner.write(_INSERT, row)
    with pytest.raises(IntegrityError):
        await runner.write(_INSERT, row)


async def test_sqlite_write_waits_for_another_writer(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's locking")
    engine = make_async_engine(database_url)
    runner = direct_for(engine)
    path = engine.url.database
    assert path
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process's write transaction
        row = _session()
        done = anyio.Event()

        async def write() -> None:
            await runner.write(_INSERT, row)
            done.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(write)
            await anyio.sleep(0.3)
            # Still waiting (on its thread: this loop kept running), nothing written yet.
            assert not done.is_set()
            holder.execute("COMMIT")
            with anyio.fail_after(10):
                await done.wait()
        found = await runner.first(_READ, {"digest": row["digest"]})
        assert found is not None and found.sub == row["sub"]
    finally:
        holder.close()
        await dispose(engine)


async def test_sqlite_checkpoints_off_the_event_loop(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's WAL")
    monkeypatch.setattr(direct, "CHECKPOINT_EVERY", 3)
    engine = make_async_engine(database_url)
    runner = direct_for(engine)
    assert isinstance(runner, SqliteDirect)
    checkpoints = 0
    original = runner._checkpoint

    def counted() -> None:
        nonlocal checkpoints
        checkpoints += 1
        original()

    monkeypatch.setattr(runner, "_checkpoint", counted)
    try:
        for _ in range(7):
            await runner.write(_INSERT, _session())
        await dispose(engine)  # waits for the thread's queued work
        assert checkpoints == 2
    finally:
        await dispose(engine)


async def test_closed_runner_refuses(database_url: str) -> None:
    engine = make_async_engine(database_url)
    runner = direct_for(engine)
    await dispose(engine)
    with pytest.raises(RuntimeError):
        await runner.first(_READ, {"digest": "x"})
    # A new runner for a new engine on the same database works as before.
    engine = make_async_engine(database_url)
    try:
        assert await direct_for(engine).first(_READ, {"digest": "x"}) is None
    finally:
        await dispose(engine)


async def test_in_memory_sqlite_goes_through_the_engine() -> None:
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    try:
        assert isinstance(direct_for(engine), EngineDirect)
        assert direct_for(engine) is direct_for(engine)
    finally:
        await dispose(engine)


def test_sqlite_engine_used_from_a_second_event_loop_thread(database_url: str) -> None:
    """One engine driven from two threads' event loops (as a test client's portal thread
    may): the thread that did not make the inline connection goes through the waiting one."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's per-thread connections")
    engine = make_async_engine(database_url)
    runner = direct_for(engine)
    row = _session()

    async def write_then_read() -> object:
        await runner.write(_INSERT, row)
        return await runner.first(_READ, {"digest": row["digest"]})

    async def read() -> object:
        return await runner.first(_READ, {"digest": row["digest"]})

    try:
        assert anyio.run(write_then_read) is not None  # this thread: inline
        found: list[object] = []
        worker = threading.Thread(target=lambda: found.append(anyio.run(read)))
        worker.start()
        worker.join(10)
        assert found and found[0] is not None
    finally:
        anyio.run(dispose, engine)


async def test_statements_built_per_call_are_refused(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(direct, "MAX_STATEMENTS", 3)
    runner = direct_for(engine)
    runner._prepared.clear()
    for _ in range(3):  # the same statement again and again: compiled once
        await runner.first(_READ, {"digest": "x"})
    fresh = [select(refresh_sessions).where(refresh_sessions.c.digest == "x") for _ in range(3)]
    await runner.first(fresh[0], {})
    await runner.first(fresh[1], {})
    with pytest.raises(RuntimeError):
        await runner.first(fresh[2], {})


async def _fails_within(runner: direct.Direct, seconds: float) -> None:
    started = time.monotonic()
    with pytest.raises(DBAPIError):
        await runner.first(_READ, {"digest": "x"})
    assert time.monotonic() - started < seconds


def _terminate_connections(url: str) -> None:
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (url.rsplit("/", 1)[1],),
        )


@pytest.mark.postgres
async def test_postgres_database_lost_and_back(database_url: str) -> None:
    """psycopg's pool would keep a caller waiting while it reconnects in the background: a lost
    database is reported at once (through the engine), and the pool serves again once it is
    back."""
    if not database_url.startswith("postgres"):
        pytest.skip("PostgreSQL's connection pool")
    url = create_pg_database()
    migrate(url)
    engine = make_async_engine(url, pool_size=2)
    runner = direct_for(engine)
    assert isinstance(runner, PostgresDirect)
    try:
        row = _session()
        await runner.write(_INSERT, row)
        assert await runner.first(_READ, {"digest": row["digest"]}) is not None

        # A restart: every connection is cut. Reads carry on (run again through the engine).
        _terminate_connections(url)
        assert await runner.first(_READ, {"digest": row["digest"]}) is not None
        assert not runner._degraded
        for _ in range(3):  # the pool's other idle connections were checked, not handed out
            assert await runner.first(_READ, {"digest": row["digest"]}) is not None
        await runner.write(_INSERT, _session())

        drop_pg_database(url)
        await _fails_within(runner, direct.CHECKOUT_TIMEOUT + 3)
        for _ in range(3):  # no more waiting for the pool: the engine's error, at once
            await _fails_within(runner, 1.5)

        restore_pg_database(url)
        migrate(url)
        await runner.write(_INSERT, row)  # through the engine: the database is back
        assert not runner._degraded
        assert await runner.first(_READ, {"digest": row["digest"]}) is not None
    finally:
        await dispose(engine)
        drop_pg_database(url)


@pytest.mark.postgres
async def test_postgres_database_missing_at_first_use(database_url: str) -> None:
    if not database_url.startswith("postgres"):
        pytest.skip("PostgreSQL's connection pool")
    url = create_pg_database()
    drop_pg_database(url)
    engine = make_async_engine(url, pool_size=2)
    runner = direct_for(engine)
    try:
        await _fails_within(runner, direct.CHECKOUT_TIMEOUT + 3)
        await _fails_within(runner, 1.5)
    finally:
        await dispose(engine)
