"""Seed N users straight into the database through the store adapter, with ONE argon2 hash.

Creating 100k users through SignUp would cost 100k argon2id hashes (about an hour on 2 cores).
Sign-in only needs each user to have *a* valid hash at the server's parameters, so one hash of
the shared password is computed once and stored on every user. Each user is written by
`SqlUserStore.add_user`, the same code SignUp and AdminCreateUser use, so rows, alias entries
and search-index entries are exactly what the API would write.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from sqlalchemy import func, select

from mamori.adapters.store.sql.engine import make_async_engine
from mamori.adapters.store.sql.pools import SqlPoolStore
from mamori.adapters.store.sql.tables import users
from mamori.adapters.store.sql.users import SqlUserStore
from mamori.domain.ids import PoolId, new_sub
from mamori.domain.user import User, UserStatus

PREFIX = "user"


def username(i: int) -> str:
    return f"{PREFIX}{i:07d}"


async def seed(database_url: str, pool_id: str, count: int, password_hash: str) -> int:
    """Make sure users user0000000 .. user{count-1} exist; return how many were added."""
    engine = make_async_engine(database_url)
    try:
        pool = await SqlPoolStore(engine).get_pool(PoolId(pool_id))
        if pool is None:
            raise SystemExit(f"pool {pool_id} not found in {database_url}")
        async with engine.connect() as conn:
            have = int(
                await conn.scalar(
                    select(func.count())
                    .select_from(users)
                    .where(
                        users.c.pool_id == pool.id,
                        users.c.username_key >= pool.username_key(PREFIX + "0"),
                        users.c.username_key <= pool.username_key(PREFIX + "9999999"),
                    )
                )
                or 0
            )
        store = SqlUserStore(engine)
        now = datetime.now(UTC)
        started = time.monotonic()
        next_index = have
        lock = asyncio.Lock()

        async def writer() -> None:
            nonlocal next_index
            while True:
                async with lock:
                    i = next_index
                    if i >= count:
                        return
                    next_index += 1
                sub = new_sub()
                user = User(
                    pool.id,
                    sub,
                    username(i),
                    UserStatus.CONFIRMED,
                    True,
                    {"sub": sub, "email": f"{username(i)}@bench.example", "email_verified": "true"},
                    now,
                    now,
                    password_hash,
                )
                await store.add_user(pool, user)
                done = i + 1 - have
                if done % 10000 == 0:
                    rate = done / (time.monotonic() - started)
                    print(f"  seeded {done}/{count - have} ({rate:.0f}/s)", flush=True)

        await asyncio.gather(*(writer() for _ in range(8)))
        return max(0, count - have)
    finally:
        await engine.dispose()
