"""Engine construction, URL normalisation and migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from mamori.adapters.store.sql.connection import sqlite_reads

MIGRATIONS = Path(__file__).parent.parent / "migrations"

# libpq waits for ever by default: for a connection to a host that no longer answers, and on a
# connection whose peer vanished. Bounded, a lost database fails requests in seconds (as
# InternalErrorException) instead of holding every connection and every request that waits for
# one; the pools reconnect by themselves once it answers again.
PG_CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": 3,  # seconds, for the whole connection start-up
    "tcp_user_timeout": 10_000,  # ms a sent statement may stay unacknowledged (host gone)
    "keepalives": 1,  # idle connections to a vanished host are found, not kept
    "keepalives_idle": 30,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}


def _urls(url: str) -> tuple[str, str]:
    """(async url, sync url) for a user-given database URL."""
    parsed = make_url(url)
    if parsed.drivername in {"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"}:
        return (
            parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False),
            parsed.set(drivername="sqlite+pysqlite").render_as_string(hide_password=False),
        )
    if parsed.drivername.startswith("postgres"):
        psycopg = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return psycopg, psycopg
    raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}")


def is_sqlite(url: str) -> bool:
    return make_url(url).drivername.startswith("sqlite")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets readers proceed during a write; busy_timeout queues writers instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_async_engine(url: str, pool_size: int = 0) -> AsyncEngine:
    """`pool_size` 0 picks the default for the database (32 on PostgreSQL, 16 on SQLite); the
    pool may grow by as many again under load, so size it against max_connections."""
    async_url, _ = _urls(url)
    if is_sqlite(url):
        engine = create_async_engine(
            async_url,
            connect_args={"timeout": 30, "async_creator_fn": sqlite_reads.connect},
            # Connections open lazily and stay up to pool_size; beyond it each one is opened
            # and closed per use (a thread and a file open each time), so size for the load.
            pool_size=pool_size or 16,
            max_overflow=pool_size or 16,
            # Most recently used first: reads run inline and return their connection at once,
            # so a few connections serve them and the rest keep cold (small) page caches.
            pool_use_lifo=True,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # Every in-flight request holds a connection while it awaits PostgreSQL: a pool smaller
    # than the concurrency churns overflow connections (a backend fork each) under load.
    return create_async_engine(
        async_url,
        connect_args=PG_CONNECT_ARGS,
        pool_size=pool_size or 32,
        max_overflow=pool_size or 32,
        pool_pre_ping=True,
    )


def make_sync_engine(url: str) -> Engine:
    _, sync_url = _urls(url)
    engine = create_engine(sync_url, poolclass=NullPool)
    if is_sqlite(url):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def private_sqlite_files(db: Path) -> None:
    """The database file 0600 before SQLite opens it, whatever the umask: it holds hashes,
    outbox codes and temporary passwords. SQLite creates `-wal` and `-shm` with the mode of
    the database file (and chmods them to it), so they follow; files an older version left
    readable by others are tightened."""
    db.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)


def migrate(url: str) -> None:
    """Bring the schema to the newest revision (idempotent; safe for concurrent starts on PG)."""
    # Imported here: `mamori serve` migrates in its first process, so the worker processes,
    # which import this module for the engine, never load Alembic (and the Mako, Pygments and
    # Rich it pulls in): about 12 MiB of RSS each.
    from alembic import command
    from alembic.config import Config

    if is_sqlite(url):
        db = make_url(url).database
        if db and db != ":memory:" and not db.startswith("file:"):
            private_sqlite_files(Path(db))
    engine = make_sync_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            if not is_sqlite(url):
                # One migrator at a time when several servers start together.
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7262711)")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()
