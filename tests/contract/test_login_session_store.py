"""SqlLoginSessionStore (hosted-login sessions) on SQLite and PostgreSQL: round trip with the
user's state, reads and deletes scoped by pool, a user's sessions ended together, the purge of
expired ones."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from tests.support.entities import NOW
from tests.support.stores import Stores

from mamori.adapters.store.sql.login_sessions import SqlLoginSessionStore
from mamori.services.oauth.ports import LoginSession

pytestmark = pytest.mark.anyio


def login(pool_id: str, sub: str, expires_in: timedelta = timedelta(hours=1)) -> LoginSession:
    return LoginSession(secrets.token_hex(32), pool_id, sub, 1715949015, NOW, NOW + expires_in)


async def test_round_trip_with_the_users_state(stores: Stores) -> None:
    store = SqlLoginSessionStore(stores.engine)
    pool = await stores.pool()
    user = await stores.user(pool)
    session = login(pool.id, user.sub)
    await store.add_login(session)
    found = await store.get_login(pool.id, session.digest)
    assert found is not None and found.session == session and found.user_enabled
    assert await store.get_login(pool.id, "unknown") is None

    await stores.users.save_user(pool, dataclasses.replace(user, enabled=False))
    found = await store.get_login(pool.id, session.digest)
    assert found is not None and not found.user_enabled
    await stores.users.delete_user(pool.id, user.sub)
    found = await store.get_login(pool.id, session.digest)
    assert found is not None and not found.user_enabled  # a deleted user's session is dead


async def test_reads_and_deletes_are_scoped_by_pool_and_user(stores: Stores) -> None:
    store = SqlLoginSessionStore(stores.engine)
    pool_a, pool_b = await stores.pool(), await stores.pool()
    user = await stores.user(pool_a)
    mine, other = login(pool_a.id, user.sub), login(pool_a.id, user.sub)
    await store.add_login(mine)
    await store.add_login(other)
    await store.delete_login(pool_b.id, mine.digest)  # another pool can't end it
    assert await store.get_login(pool_b.id, mine.digest) is None  # nor read it
    assert await store.get_login(pool_a.id, mine.digest) is not None
    await store.delete_login(pool_a.id, mine.digest)
    assert await store.get_login(pool_a.id, mine.digest) is None
    assert await store.get_login(pool_a.id, other.digest) is not None
    await store.delete_user_logins(pool_b.id, user.sub)
    assert await store.get_login(pool_a.id, other.digest) is not None
    await store.delete_user_logins(pool_a.id, user.sub)
    assert await store.get_login(pool_a.id, other.digest) is None


async def test_expired_sessions_of_a_user_go(stores: Stores) -> None:
    store = SqlLoginSessionStore(stores.engine)
    pool = await stores.pool()
    user = await stores.user(pool)
    old, fresh = login(pool.id, user.sub, timedelta(0)), login(pool.id, user.sub)
    await store.add_login(old)
    await store.add_login(fresh)
    await store.delete_user_logins_expired(pool.id, user.sub, NOW + timedelta(minutes=1))
    assert await store.get_login(pool.id, old.digest) is None
    assert await store.get_login(pool.id, fresh.digest) is not None


async def test_expired_sessions_of_every_pool_are_purged_in_batches(stores: Stores) -> None:
    store = SqlLoginSessionStore(stores.engine)
    pool, other = await stores.pool(), await stores.pool()
    # A year of its own, long past: the suite's other rows are from 2024 on.
    base = datetime(2002, 3, 4, 5, 6, 7, tzinfo=UTC)
    await store.delete_login_sessions_expired_before(base + timedelta(days=400), 1000)
    made = [
        dataclasses.replace(login(p.id, "sub"), created=base, expires=base + timedelta(minutes=m))
        for m in (1, 2, 3)
        for p in (pool, other)
    ]
    for session in made:
        await store.add_login(session)
    cutoff = base + timedelta(minutes=3)  # expiring at the cutoff: not before it, kept
    assert await store.count_login_sessions_expired_before(cutoff) == 4
    assert await store.get_login(made[0].pool_id, made[0].digest) is not None  # only counted
    # Four rows, three per statement: two batches, the last one short.
    assert await store.delete_login_sessions_expired_before(cutoff, 3) == 4
    found = [await store.get_login(s.pool_id, s.digest) is not None for s in made]
    assert found == [False] * 4 + [True] * 2
    assert await store.count_login_sessions_expired_before(cutoff) == 0
    assert await store.delete_login_sessions_expired_before(cutoff, 3) == 0  # idempotent
    with pytest.raises(ValueError, match="batch"):
        await store.delete_login_sessions_expired_before(cutoff, 0)
