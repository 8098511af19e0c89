"""The purge's store methods: expired refresh sessions and codes and old outbox messages, by
cutoff, in batches.

The suite shares one database per backend, and the purge sweeps every pool: each test uses
expiry (and creation) dates in a year of its own, long past (the other suites' rows date from
2024 and later), and first clears what earlier years' tests left, so what it counts and deletes
is its own.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import anyio
import pytest
from sqlalchemy import inspect
from tests.contract.test_session_store import message, refresh_session
from tests.support.stores import Stores

from mamori.adapters.store.sql.connection.engine import make_sync_engine
from mamori.domain.ids import PoolId, UserSub, new_sub
from mamori.services.ports import Message
from mamori.services.tokens.ports import RefreshSession

pytestmark = pytest.mark.anyio


async def era(stores: Stores, year: int, hour: int = 0) -> datetime:
    """A cutoff in June of `year`, with nothing left from earlier years before it."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    await stores.sessions.delete_sessions_expired_before(start, 1000)
    await stores.codes.delete_codes_expired_before(start, 1000)
    await stores.outbox.delete_messages_created_before(start, 1000)
    return datetime(year, 6, 1, hour, tzinfo=UTC)


def expiring(pool_id: PoolId, expires: datetime, origin: str | None = None) -> RefreshSession:
    session = refresh_session(pool_id, new_sub(), origin)
    return replace(session, created=expires - timedelta(days=30), expires=expires)


def sent(pool_id: PoolId, created: datetime, to: str = "old@example.com") -> Message:
    return replace(message(pool_id, to), created=created)


async def codes_of(stores: Stores, to: str) -> list[str | None]:
    return [m.code for m in await stores.outbox.list_messages(None, to, 100)]


async def test_sessions_before_the_cutoff_go_in_batches_from_every_pool(stores: Stores) -> None:
    cutoff = await era(stores, 1981)
    pool, other = await stores.pool(), await stores.pool()
    expired = [
        expiring(p.id, cutoff - timedelta(days=i, microseconds=1))
        for i in range(9)
        for p in (pool, other)
    ]
    at_cutoff = expiring(pool.id, cutoff)  # not before it: kept
    later = expiring(other.id, cutoff + timedelta(days=1))
    for s in (*expired, at_cutoff, later):
        await stores.sessions.add_session(s)

    assert await stores.sessions.count_sessions_expired_before(cutoff) == 18
    assert await stores.sessions.get_session(expired[0].digest) is not None  # only counted
    # 18 rows, 4 per statement: five batches, the last one short.
    assert await stores.sessions.delete_sessions_expired_before(cutoff, 4) == 18
    for s in expired:
        assert await stores.sessions.get_session(s.digest) is None
    assert await stores.sessions.get_session(at_cutoff.digest) == at_cutoff
    assert await stores.sessions.get_session(later.digest) == later
    assert await stores.sessions.count_sessions_expired_before(cutoff) == 0
    assert await stores.sessions.delete_sessions_expired_before(cutoff, 4) == 0  # idempotent


async def test_a_batch_exactly_full_then_nothing_left(stores: Stores) -> None:
    cutoff = await era(stores, 1982)
    pool = await stores.pool()
    for i in range(6):
        await stores.sessions.add_session(expiring(pool.id, cutoff - timedelta(hours=i + 1)))
    assert await stores.sessions.delete_sessions_expired_before(cutoff, 3) == 6
    assert await stores.sessions.count_sessions_expired_before(cutoff) == 0


async def test_revoked_sessions_go_like_any_other(stores: Stores) -> None:
    """The store deletes by expiry only; keeping revocations alive is the purge's cutoff."""
    cutoff = await era(stores, 1983)
    pool = await stores.pool()
    gone = expiring(pool.id, cutoff - timedelta(seconds=1), "origin-gone")
    kept = expiring(pool.id, cutoff + timedelta(seconds=1), "origin-kept")
    for s in (gone, kept):
        await stores.sessions.add_session(s)
        await stores.sessions.revoke_origin(pool.id, s.origin_jti)
    assert await stores.sessions.delete_sessions_expired_before(cutoff, 1000) == 1
    assert await stores.sessions.is_origin_revoked(pool.id, "origin-kept")
    assert not await stores.sessions.is_origin_revoked(pool.id, "origin-gone")


async def test_a_cutoff_in_another_time_zone_means_the_same_instant(stores: Stores) -> None:
    """SQLite keeps UTC wall times as text: a +09:00 cutoff must not shift by nine hours."""
    cutoff = await era(stores, 1984, 12)
    tokyo = cutoff.astimezone(timezone(timedelta(hours=9)))
    pool = await stores.pool()
    before = expiring(pool.id, cutoff - timedelta(hours=1))
    after = expiring(pool.id, cutoff + timedelta(hours=1))
    for s in (before, after):
        await stores.sessions.add_session(s)
    await stores.codes.put_code(pool.id, new_sub(), "signup", "d", cutoff - timedelta(hours=1))
    await stores.codes.put_code(pool.id, new_sub(), "signup", "d", cutoff + timedelta(hours=1))
    await stores.outbox.send(sent(pool.id, cutoff - timedelta(hours=1)))
    await stores.outbox.send(sent(pool.id, cutoff + timedelta(hours=1)))

    assert await stores.sessions.count_sessions_expired_before(tokyo) == 1
    assert await stores.codes.count_codes_expired_before(tokyo) == 1
    assert await stores.outbox.count_messages_created_before(tokyo) == 1
    assert await stores.sessions.delete_sessions_expired_before(tokyo, 10) == 1
    assert await stores.codes.delete_codes_expired_before(tokyo, 10) == 1
    assert await stores.outbox.delete_messages_created_before(tokyo, 10) == 1
    assert await stores.sessions.get_session(after.digest) == after


async def test_codes_before_the_cutoff_go_phantoms_included(stores: Stores) -> None:
    cutoff = await era(stores, 1985)
    pool, other = await stores.pool(), await stores.pool()
    phantom = UserSub(f"phantom:{secrets.token_hex(20)}")
    live_sub = new_sub()
    expired = [
        (pool.id, phantom, "reset"),
        *[(p.id, new_sub(), purpose) for p in (pool, other) for purpose in ("signup", "reset")],
        (other.id, live_sub, "verify:email"),
    ]
    for i, (pool_id, sub, purpose) in enumerate(expired):
        await stores.codes.put_code(
            pool_id, sub, purpose, f"digest-{i}", cutoff - timedelta(minutes=i + 1)
        )
    await stores.codes.put_code(other.id, live_sub, "signup", "live", cutoff + timedelta(hours=1))
    await stores.codes.put_code(pool.id, phantom, "signup", "at-cutoff", cutoff)

    assert await stores.codes.count_codes_expired_before(cutoff) == 6
    assert await stores.codes.delete_codes_expired_before(cutoff, 4) == 6
    for pool_id, sub, purpose in expired:
        assert await stores.codes.get_code(pool_id, sub, purpose) is None
    # The same user's live code and a code expiring exactly at the cutoff stay.
    assert await stores.codes.get_code(other.id, live_sub, "signup") is not None
    assert await stores.codes.get_code(pool.id, phantom, "signup") is not None
    assert await stores.codes.delete_codes_expired_before(cutoff, 4) == 0


async def test_messages_created_before_the_cutoff_go_in_batches_from_every_pool(
    stores: Stores,
) -> None:
    cutoff = await era(stores, 1988)
    pool, other = await stores.pool(), await stores.pool()
    to = f"{secrets.token_hex(6)}@example.com"
    for i in range(7):
        for p in (pool, other):
            await stores.outbox.send(sent(p.id, cutoff - timedelta(days=i, microseconds=1), to))
    await stores.outbox.send(replace(sent(pool.id, cutoff, to), code="at-cutoff"))  # kept
    await stores.outbox.send(replace(sent(other.id, cutoff + timedelta(hours=1), to), code="new"))

    assert await stores.outbox.count_messages_created_before(cutoff) == 14
    assert len(await codes_of(stores, to)) == 16  # only counted
    # 14 rows, 4 per statement: four batches, the last one short.
    assert await stores.outbox.delete_messages_created_before(cutoff, 4) == 14
    assert await codes_of(stores, to) == ["at-cutoff", "new"]
    assert await stores.outbox.count_messages_created_before(cutoff) == 0
    assert await stores.outbox.delete_messages_created_before(cutoff, 4) == 0  # idempotent


async def test_concurrent_purges_delete_each_row_once(stores: Stores) -> None:
    """Several server processes may purge at the same moment: harmless, each row goes once."""
    cutoff = await era(stores, 1986)
    pool = await stores.pool()
    for i in range(40):
        await stores.sessions.add_session(expiring(pool.id, cutoff - timedelta(minutes=i + 1)))
        await stores.codes.put_code(
            pool.id, new_sub(), "signup", f"d{i}", cutoff - timedelta(minutes=i + 1)
        )
        await stores.outbox.send(sent(pool.id, cutoff - timedelta(minutes=i + 1)))
    sessions: list[int] = []
    codes: list[int] = []
    messages: list[int] = []

    async def purge() -> None:
        sessions.append(await stores.sessions.delete_sessions_expired_before(cutoff, 5))
        codes.append(await stores.codes.delete_codes_expired_before(cutoff, 5))
        messages.append(await stores.outbox.delete_messages_created_before(cutoff, 5))

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(purge)
    # A purge that finds the rest taken by another stops early; together they cleared it all.
    assert sum(sessions) == 40 and sum(codes) == 40 and sum(messages) == 40
    assert await stores.sessions.count_sessions_expired_before(cutoff) == 0
    assert await stores.codes.count_codes_expired_before(cutoff) == 0
    assert await stores.outbox.count_messages_created_before(cutoff) == 0


async def test_a_batch_must_hold_a_row(stores: Stores) -> None:
    with pytest.raises(ValueError, match="batch"):
        await stores.sessions.delete_sessions_expired_before(datetime(1987, 1, 1, tzinfo=UTC), 0)
    with pytest.raises(ValueError, match="batch"):
        await stores.codes.delete_codes_expired_before(datetime(1987, 1, 1, tzinfo=UTC), 0)
    with pytest.raises(ValueError, match="batch"):
        await stores.outbox.delete_messages_created_before(datetime(1987, 1, 1, tzinfo=UTC), 0)


def test_the_cutoff_columns_are_indexed(database_url: str) -> None:
    """Without an index on the cutoff's column, every purge would read the whole table."""
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            for table, column in (
                ("refresh_sessions", "expires"),
                ("codes", "expires"),
                ("outbox", "created"),
            ):
                leading = {tuple(ix["column_names"])[:1] for ix in inspector.get_indexes(table)}
                assert (column,) in leading, table
    finally:
        engine.dispose()
