"""The hot-path statements, run on the database driver without SQLAlchemy's execution layer.

Every sign-in, GetUser and refresh runs a handful of small statements (the app client with its
pool, the user, its groups, a guessing-limit counter, the refresh session). Each is a
SQLAlchemy Core statement built once at import; executing one through the async engine costs
a pool checkout, a greenlet switch, an execution context and result processing: ~350 µs on a
slow core, where SQLite itself needs ~15 µs for an indexed read. Here each statement is
compiled once per dialect and its SQL run directly, with SQLAlchemy's own bind and result
processors, so what is stored and read back is exactly what the engine would store and read.

SQLite (`SqliteDirect`): one connection per process, used only on the event loop's thread, runs
reads and single-statement writes inline. It never waits for a lock (`busy_timeout=0`): when
another connection or process holds one, the statement runs instead on a thread of its own with
a connection that waits (`busy_timeout`), as every SQLAlchemy write does. A single statement in
autocommit mode is its own transaction, so a statement refused for a lock wrote nothing and is
simply run again there. The inline connection never checkpoints the WAL (that fsyncs, and would
stall the event loop); the thread does, every `CHECKPOINT_EVERY` inline writes.

PostgreSQL (`PostgresDirect`): a few psycopg connections of its own, in autocommit, so that a
statement is one round trip. psycopg's pool reconnects in the background and makes callers wait
for it; so when a connection breaks or none comes within `CHECKOUT_TIMEOUT`, statements run
through the engine instead (which connects, or fails at once with the database's own error)
until one succeeds there; a read that met a broken connection is run again there, so a database
restart costs at most the writes that were under way.

Anything else (an in-memory SQLite database) runs the same statements through the engine
(`EngineDirect`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from weakref import WeakKeyDictionary

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy import Engine
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Executable

from mamori.adapters.store.sql.connection.engine import PG_CONNECT_ARGS

CHECKPOINT_EVERY = 256
INLINE_CACHE_KIB = 16384
BUSY_TIMEOUT_MS = 30_000
MAX_STATEMENTS = 1024  # the hot paths have about twenty
CHECKOUT_TIMEOUT = 2.0  # seconds to wait for a PostgreSQL connection before using the engine's
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}

Params = Mapping[str, Any]


def _result_processor(type_: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    try:
        proc: Callable[[Any], Any] | None = type_.dialect_impl(dialect).result_processor(
            dialect, None
        )
    except (TypeError, InvalidRequestError):
        # psycopg's numeric processors want the column's type code, known only with a result;
        # psycopg itself returns float for double precision, as the engine's processor would.
        return None
    return proc


class Prepared:
    """A statement compiled for one dialect, with its binds in order and its result columns."""

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("statements with expanding or literal-execute binds cannot be direct")
        self.statement = statement  # kept: the cache is keyed by its id
        self.sql = compiled.string
        self.names: list[str] = list(compiled.positiontup or [])
        binds = compiled.binds
        self.defaults = {
            name: bind.effective_value for name, bind in binds.items() if bind.value is not None
        }
        self.bind_procs: dict[str, Callable[[Any], Any]] = {}
        for name, bind in binds.items():
            proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                self.bind_procs[name] = proc
        columns = list(getattr(statement, "exported_columns", []))
        self.result_procs = [_result_processor(column.type, dialect) for column in columns]
        self.any_proc = any(p is not None for p in self.result_procs)
        self.row: Any = namedtuple("Row", [c.key for c in columns], rename=True)  # type: ignore[misc]

    def named(self, params: Params) -> dict[str, Any]:
        values = {**self.defaults, **params}
        for name, proc in self.bind_procs.items():
            value = values.get(name)
            if value is not None:
                values[name] = proc(value)
        return values

    def positional(self, params: Params) -> tuple[Any, ...]:
        values = []
        for name in self.names:
            value = params[name] if name in params else self.defaults[name]
            proc = self.bind_procs.get(name)
            values.append(proc(value) if proc is not None and value is not None else value)
        return tuple(values)

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[Any]:
        make = self.row._make
        if not self.any_proc:
            return [make(r) for r in raw]
        procs = self.result_procs
        return [
            make([v if p is None or v is None else p(v) for p, v in zip(procs, r, strict=True)])
            for r in raw
        ]


class Direct:
    """Runs prebuilt statements: `first` and `all` read, `write` changes (and returns any
    RETURNING rows). Statements must be built once (module level): they are compiled once."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._prepared: dict[int, Prepared] = {}

    def prepare(self, statement: Executable) -> Prepared:
        prepared = self._prepared.get(id(statement))
        if prepared is None or prepared.statement is not statement:
            if len(self._prepared) >= MAX_STATEMENTS:
                # A statement built per call would grow this without bound (and compile every
                # time): a bug to surface, not to absorb.
                raise RuntimeError("direct statements must be built once, at module level")
            prepared = Prepared(statement, self._dialect)
            self._prepared[id(statement)] = prepared
        return prepared

    async def first(self, statement: Executable, params: Params) -> Any | None:
        rows = await self.all(statement, params)
        return rows[0] if rows else None

    async def all(self, statement: Executable, params: Params) -> list[Any]:
        raise NotImplementedError

    async def write(self, statement: Executable, params: Params) -> list[Any]:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Close what this opened (the engine is closed by its owner)."""


class EngineDirect(Direct):
    """The same statements through the engine (PostgreSQL, in-memory SQLite)."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine.dialect)
        self._engine = engine
        # A read is one statement: on PostgreSQL autocommit spares the BEGIN and ROLLBACK
        # round trips around it (a single SELECT is its own snapshot either way).
        self._reader = (
            engine
            if engine.dialect.name == "sqlite"
            else engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    async def all(self, statement: Executable, params: Params) -> list[Any]:
        async with self._reader.connect() as conn:
            return list((await conn.execute(statement, dict(params))).all())

    async def write(self, statement: Executable, params: Params) -> list[Any]:
        async with self._engine.begin() as conn:
            result = await conn.execute(statement, dict(params))
            return list(result.all()) if result.returns_rows else []


def _busy(exc: sqlite3.OperationalError) -> bool:
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _BUSY


class SqliteDirect(Direct):
    def __init__(self, engine: AsyncEngine, path: str) -> None:
        super().__init__(engine.dialect)
        self._path = path
        self._inline: sqlite3.Connection | None = None
        self._inline_thread = 0
        self._waiting: sqlite3.Connection | None = None  # the thread's own connection
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="mamori-sqlite")
        self._writes = 0
        self._closed = False

    def _connect(
        self, busy_timeout_ms: int, checkpoints: bool, same_thread: bool = True
    ) -> sqlite3.Connection:
        # The inline connection is checked by `_inline_connection` (and may be closed from
        # any thread); the waiting one lives on its thread.
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=same_thread)
        conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        if not checkpoints:
            conn.execute("PRAGMA wal_autocheckpoint=0")
            # This one connection serves every hot read of the process: a page cache of
            # INLINE_CACHE_KIB (bounded, whatever the user count) keeps their B-tree pages.
            conn.execute(f"PRAGMA cache_size=-{INLINE_CACHE_KIB}")
        return conn

    def _run(self, conn: sqlite3.Connection, prepared: Prepared, values: tuple[Any, ...]) -> Any:
        cursor = conn.execute(prepared.sql, values)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    def _on_thread(self, prepared: Prepared, values: tuple[Any, ...]) -> Any:
        if self._waiting is None:
            self._waiting = self._connect(BUSY_TIMEOUT_MS, checkpoints=True)
        return self._run(self._waiting, prepared, values)

    def _checkpoint(self) -> None:
        if self._waiting is None:
            self._waiting = self._connect(BUSY_TIMEOUT_MS, checkpoints=True)
        self._waiting.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _inline_connection(self) -> sqlite3.Connection | None:
        """The inline connection, on the thread that first ran a statement (the event loop's);
        None on any other thread (one engine driven from several event loops, as tests may)."""
        if self._inline is None:
            self._inline = self._connect(0, checkpoints=False, same_thread=False)
            self._inline_thread = threading.get_ident()
        return self._inline if self._inline_thread == threading.get_ident() else None

    async def _execute(self, statement: Executable, params: Params, writes: bool) -> list[Any]:
        if self._closed:
            raise RuntimeError("the database is closed")
        prepared = self.prepare(statement)
        values = prepared.positional(params)
        inline = self._inline_connection()
        try:
            raw: Any = None
            if inline is not None:
                try:
                    raw = self._run(inline, prepared, values)
                except sqlite3.OperationalError as exc:
                    if not _busy(exc):
                        raise
                    inline = None  # locked: wait for it on the thread
            if inline is None:
                loop = asyncio.get_running_loop()
                raw = await loop.run_in_executor(self._thread, self._on_thread, prepared, values)
                writes = False  # the thread's connection checkpoints by itself
        except sqlite3.Error as exc:
            # As the engine raises them (IntegrityError, OperationalError...): callers catch
            # SQLAlchemy's exceptions whichever path ran the statement.
            raise DBAPIError.instance(prepared.sql, values, exc, sqlite3.Error) from exc
        else:
            if writes:
                self._writes += 1
                if self._writes % CHECKPOINT_EVERY == 0:
                    loop = asyncio.get_running_loop()
                    done = loop.run_in_executor(self._thread, self._checkpoint)
                    # A failed checkpoint is retried at the next one; WAL readers are unharmed.
                    done.add_done_callback(lambda f: f.cancelled() or f.exception())
        return prepared.rows(raw)

    async def all(self, statement: Executable, params: Params) -> list[Any]:
        return await self._execute(statement, params, writes=False)

    async def write(self, statement: Executable, params: Params) -> list[Any]:
        return await self._execute(statement, params, writes=True)

    def _close_waiting(self) -> None:
        if self._waiting is not None:
            self._waiting.close()
            self._waiting = None

    async def aclose(self) -> None:
        self._closed = True
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        await asyncio.get_running_loop().run_in_executor(self._thread, self._close_waiting)
        self._thread.shutdown(wait=True)


class PostgresDirect(Direct):
    """A small pool of psycopg connections in autocommit: each statement one round trip (a
    checkout of the engine's pool adds a ping and a rollback, each a round trip of its own).
    psycopg prepares a statement on the server once a connection has run it a few times."""

    def __init__(self, engine: AsyncEngine, max_size: int) -> None:
        super().__init__(engine.dialect)
        url = engine.url.set(drivername="postgresql")
        self._pool = AsyncConnectionPool(
            url.render_as_string(hide_password=False),
            min_size=1,
            max_size=max_size,
            kwargs={"autocommit": True, **PG_CONNECT_ARGS},
            open=False,
            name="mamori-direct",
            timeout=CHECKOUT_TIMEOUT,
        )
        self._engine = EngineDirect(engine)
        self._opened = False
        self._closed = False
        # Set when the pool lost a connection or kept a caller waiting: statements go through
        # the engine until one succeeds there (the database is back, or the pool was only busy);
        # then the pool's idle connections are checked once, as they may be dead too.
        self._degraded = False
        self._check = False

    async def _execute(self, statement: Executable, params: Params, write: bool) -> list[Any]:
        if self._closed:
            raise RuntimeError("the database is closed")
        if self._degraded:
            return await self._through_engine(statement, params, write)
        prepared = self.prepare(statement)
        values = prepared.named(params)
        if not self._opened:
            self._opened = True
            await self._pool.open()
        elif self._check:
            self._check = False
            await self._pool.check()
        broken = False
        try:
            async with self._pool.connection() as conn:
                try:
                    cursor = await conn.execute(prepared.sql, values)
                    raw = await cursor.fetchall() if cursor.description is not None else []
                finally:
                    broken = conn.broken
        except PoolTimeout:
            # Nothing sent yet: the engine runs it, or says why the database cannot be reached.
            self._degraded = True
            return await self._through_engine(statement, params, write)
        except psycopg.Error as exc:
            if broken:
                self._degraded = True
                if not write:  # a read is safe to run again (a write may have been applied)
                    return await self._through_engine(statement, params, write)
            raise DBAPIError.instance(prepared.sql, values, exc, psycopg.Error) from exc
        return prepared.rows(raw)

    async def _through_engine(
        self, statement: Executable, params: Params, write: bool
    ) -> list[Any]:
        run = self._engine.write if write else self._engine.all
        rows = await run(statement, params)
        if self._degraded:
            self._degraded = False
            self._check = True
        return rows

    async def all(self, statement: Executable, params: Params) -> list[Any]:
        return await self._execute(statement, params, write=False)

    async def write(self, statement: Executable, params: Params) -> list[Any]:
        return await self._execute(statement, params, write=True)

    async def aclose(self) -> None:
        self._closed = True
        if self._opened:
            await self._pool.close()


_BY_ENGINE: WeakKeyDictionary[Engine, Direct] = WeakKeyDictionary()


def direct_for(engine: AsyncEngine) -> Direct:
    """The one `Direct` of an engine, shared by every store built on it."""
    found = _BY_ENGINE.get(engine.sync_engine)
    if found is None:
        database = make_url(str(engine.url)).database
        if engine.dialect.name == "sqlite" and database and database != ":memory:":
            found = SqliteDirect(engine, database)
        elif engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
            found = PostgresDirect(engine, max(1, engine.pool.size()))  # type: ignore[attr-defined]
        else:
            found = EngineDirect(engine)
        _BY_ENGINE[engine.sync_engine] = found
    return found


async def dispose(engine: AsyncEngine) -> None:
    """Close an engine and its direct connections."""
    found = _BY_ENGINE.pop(engine.sync_engine, None)
    if found is not None:
        await found.aclose()
    await engine.dispose()
