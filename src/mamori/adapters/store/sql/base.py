"""Shared pieces of the SQL store: timezone handling, page tokens, lookup keys and the purge's
batched deletes."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
from sqlalchemy import DateTime, Delete, Integer, Select, bindparam, delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Executable

from mamori.adapters.store.sql.connection.direct import direct_for
from mamori.domain.errors import InvalidParameterException
from mamori.services.ports import Page

T = TypeVar("T")

# The purge's statements (sessions.py, outbox.py) take these two parameters: rows before the
# cutoff, at most a batch per statement.
PURGE_CUTOFF = bindparam("cutoff", type_=DateTime(timezone=True))
PURGE_BATCH = bindparam("batch", type_=Integer)
# SQLite: the pause between batches in which writers waiting for the database lock (their
# busy handler polls every 25-100 ms once it has waited a while) get their turn.
SQLITE_BATCH_PAUSE = 0.05


def purge_statements(when: Any, *key: Any) -> tuple[Select[Any], Delete]:
    """(count, delete) of a table's rows whose `when` column is before PURGE_CUTOFF, the delete
    taking at most PURGE_BATCH rows by their `key` columns, found by a range over `when`'s
    index. On PostgreSQL, FOR UPDATE SKIP LOCKED lets purges in several processes take
    different rows instead of queueing behind each other (SQLite has no row locks: it drops
    it)."""
    table = when.table
    old = when < PURGE_CUTOFF
    chosen = select(*key).where(old).limit(PURGE_BATCH).with_for_update(skip_locked=True)
    target = key[0] if len(key) == 1 else tuple_(*key)
    return select(func.count()).select_from(table).where(old), delete(table).where(
        target.in_(chosen)
    )


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything inside mamori is aware UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def must_aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_token(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        key = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidParameterException("Invalid pagination token") from exc
    if "\x00" in key:  # no key has one, and PostgreSQL refuses NUL in a text parameter
        raise InvalidParameterException("Invalid pagination token")
    return key


def lookup_key(value: str) -> str:
    """A fixed-size key for an exact-match unique column, however long the value."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


class SqlBase:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # The hot-path statements (prebuilt, module level) run on the driver directly.
        self._direct = direct_for(engine)


def page_of(
    rows: Sequence[Any], limit: int, convert: Callable[[Any], T], key: Callable[[T], str]
) -> Page[T]:
    """A keyset page: the first `limit` rows converted, and a next token when the query (asked
    for `limit + 1` rows) found one more."""
    items = [convert(r) for r in rows[:limit]]
    return Page(items, encode_token(key(items[-1])) if len(rows) > limit else None)


def _utc(when: datetime) -> datetime:
    # SQLite stores the UTC wall time as text and compares text: the cutoff must be UTC too.
    return when.astimezone(UTC)


async def count_before(engine: AsyncEngine, statement: Executable, cutoff: datetime) -> int:
    """Runs a count of the rows before `cutoff` (the PURGE_CUTOFF parameter)."""
    async with engine.connect() as conn:
        return int((await conn.execute(statement, {"cutoff": _utc(cutoff)})).scalar_one())


async def delete_in_batches(
    engine: AsyncEngine, statement: Executable, cutoff: datetime, batch: int
) -> int:
    """Runs `statement` (a delete of at most `batch` rows before `cutoff`) until a run finds
    fewer, each run its own short transaction, so no writer waits long for the lock."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    params = {"cutoff": _utc(cutoff), "batch": batch}
    pause = SQLITE_BATCH_PAUSE if engine.dialect.name == "sqlite" else 0.0
    total = 0
    while True:
        async with engine.begin() as conn:
            deleted = int((await conn.execute(statement, params)).rowcount)
        total += deleted
        # Fewer than a batch: none was left (or another process is deleting the rest).
        if deleted < batch:
            return total
        await anyio.sleep(pause)
