"""aiosqlite connections that run reads on the event loop's thread instead of a worker thread.

aiosqlite sends every call (cursor, execute, fetch, close, rollback) to the connection's own
thread and back: several thread hops per query, each costing more than an indexed SQLite read
(a few microseconds). A read in WAL mode never waits for another connection's lock, so reads
run inline; anything that can wait (INSERT/UPDATE/DELETE, BEGIN, COMMIT, PRAGMA) still goes to
the worker thread, where `busy_timeout` may block without stalling the event loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite

_CURSOR_CALLS = frozenset({"fetchone", "fetchmany", "fetchall", "close"})
_CONNECTION_CALLS = frozenset({"cursor", "rollback"})


def _inline(fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    owner = getattr(fn, "__self__", None)
    name = getattr(fn, "__name__", "")
    if isinstance(owner, sqlite3.Cursor):
        if name == "execute":
            return bool(args) and isinstance(args[0], str) and _is_select(args[0])
        return name in _CURSOR_CALLS
    return isinstance(owner, sqlite3.Connection) and name in _CONNECTION_CALLS


def _is_select(sql: str) -> bool:
    return sql.lstrip()[:6].upper() == "SELECT"


class InlineReadConnection(aiosqlite.Connection):
    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._connection is not None and _inline(fn, args):
            return fn(*args, **kwargs)
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]


def connect(database: str, **kwargs: Any) -> aiosqlite.Connection:
    """SQLAlchemy's aiosqlite dialect calls this (connect_args `async_creator_fn`)."""

    def connector() -> sqlite3.Connection:
        # check_same_thread=False (SQLAlchemy passes it): calls alternate between threads but
        # never overlap, since each is awaited before the next is made.
        connection: sqlite3.Connection = sqlite3.connect(database, **kwargs)
        return connection

    connection: aiosqlite.Connection = InlineReadConnection(connector, 64)
    connection._thread.daemon = True
    return connection
