"""Seed N users straight into the database, with ONE argon2 hash shared by all of them.

Creating 100k users through SignUp would cost 100k argon2id hashes (about an hour on 2 cores).
Sign-in only needs each user to have *a* valid hash at the server's parameters, so one hash of
the shared password is computed once and stored on every user.

Two ways to write them, both ending in the rows the API writes:
- `store`: every user through `SqlUserStore.add_user`, the code SignUp and AdminCreateUser use
  (about 100 users/s on this machine);
- `clone`: the first user through `add_user`, then every other user as a copy of the rows
  add_user wrote for it in every per-user table, with the username and sub substituted,
  inserted 2,000 per transaction (thousands of users/s). Refused for pools whose rows hold
  digests of the username (alias keys), where a textual substitution would be wrong.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select

from mamori.adapters.store.sql.engine import make_async_engine
from mamori.adapters.store.sql.pools import SqlPoolStore
from mamori.adapters.store.sql.tables import aliases, metadata, users
from mamori.adapters.store.sql.users import SqlUserStore
from mamori.domain.ids import PoolId, new_sub
from mamori.domain.user import User, UserStatus

PREFIX = "user"


def username(i: int) -> str:
    return f"{PREFIX}{i:07d}"


def _user(pool_id: PoolId, i: int, password_hash: str, now: datetime) -> User:
    sub = new_sub()
    return User(
        pool_id,
        sub,
        username(i),
        UserStatus.CONFIRMED,
        True,
        {"sub": sub, "email": f"{username(i)}@bench.example", "email_verified": "true"},
        now,
        now,
        password_hash,
    )


async def _clone(engine: Any, pool: Any, first: int, count: int, password_hash: str) -> None:
    store = SqlUserStore(engine)
    now = datetime.now(UTC)
    template = _user(pool.id, first, password_hash, now)
    await store.add_user(pool, template)
    per_user = [t for t in metadata.sorted_tables if "sub" in t.c and "pool_id" in t.c]
    async with engine.connect() as conn:
        if (
            await conn.execute(select(aliases).where(aliases.c.sub == template.sub))
        ).first() is not None:
            raise SystemExit("clone seeding refuses pools with alias rows: use --seed-mode store")
        rows = {
            t: [
                dict(r._mapping)
                for r in await conn.execute(
                    select(t).where(t.c.pool_id == pool.id, t.c.sub == template.sub)
                )
            ]
            for t in per_user
        }
    old_name, old_sub = template.username, template.sub

    def swap(value: Any, name: str, sub: str) -> Any:
        if isinstance(value, str):
            return value.replace(old_sub, sub).replace(old_name, name)
        return value

    started = time.monotonic()
    batch = 2000
    for start in range(first + 1, count, batch):
        stop = min(count, start + batch)
        async with engine.begin() as conn:
            for table, template_rows in rows.items():
                if not template_rows:
                    continue
                values = []
                for i in range(start, stop):
                    name, sub = username(i), str(new_sub())
                    values += [
                        {k: swap(v, name, sub) for k, v in row.items()} for row in template_rows
                    ]
                await conn.execute(insert(table), values)
        done = stop - first
        if done % 10000 < batch:
            rate = done / (time.monotonic() - started)
            print(f"  seeded {done}/{count - first} ({rate:.0f}/s)", flush=True)


async def seed(
    database_url: str, pool_id: str, count: int, password_hash: str, mode: str = "store"
) -> int:
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
        if mode == "clone" and count > have:
            await _clone(engine, pool, have, count, password_hash)
            return count - have
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
                await store.add_user(pool, _user(pool.id, i, password_hash, now))
                done = i + 1 - have
                if done % 10000 == 0:
                    rate = done / (time.monotonic() - started)
                    print(f"  seeded {done}/{count - have} ({rate:.0f}/s)", flush=True)

        await asyncio.gather(*(writer() for _ in range(8)))
        return max(0, count - have)
    finally:
        await engine.dispose()
