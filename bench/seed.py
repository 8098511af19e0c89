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

Either way every user also gets its own sealed SRP verifier, made by the server's own
`VerifierVault` with the data directory's master key, as SignUp would store it: without one,
a user's first password sign-in makes and saves it (one 3072-bit modexp and a write), which
would make a sign-in at 100k users (mostly first sign-ins) dearer than at 1k (mostly repeats).
Verifiers are made in one process per core (about 4 ms each).
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select

from mamori.adapters.store.sql.connection.engine import make_async_engine
from mamori.adapters.store.sql.pools import SqlPoolStore
from mamori.adapters.store.sql.tables import aliases, metadata, users
from mamori.adapters.store.sql.users import SqlUserStore
from mamori.crypto.aead import Keyring
from mamori.domain.ids import PoolId, UserSub, new_sub
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User, UserStatus
from mamori.services.users.srp_verifiers import VerifierVault

PREFIX = "user"
PASSWORD = "Bench-Password-1!"  # argon2ref.PASSWORD
DEFAULT_USERS = 1000  # a new pool without --users
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


_VAULT: VerifierVault | None = None
_POOL: UserPool | None = None


def _verifier(job: tuple[str, str]) -> str:
    name, sub = job
    assert _VAULT is not None and _POOL is not None
    user = User(_POOL.id, UserSub(sub), name, UserStatus.CONFIRMED, True, {}, _EPOCH, _EPOCH)
    return _VAULT.make(_POOL, user, PASSWORD)


def verifiers(
    vault: VerifierVault | None, pool: UserPool, jobs: list[tuple[str, str]]
) -> list[str | None]:
    """Sealed SRP verifiers for (username, sub) pairs, one process per core (None: none)."""
    global _VAULT, _POOL
    if vault is None:
        return [None] * len(jobs)
    _VAULT, _POOL = vault, pool
    with ProcessPoolExecutor(os.cpu_count() or 1, mp_context=mp.get_context("fork")) as ex:
        return list(ex.map(_verifier, jobs, chunksize=256))


async def _clone(
    engine: Any,
    pool: Any,
    first: int,
    count: int,
    password_hash: str,
    vault: VerifierVault | None,
) -> None:
    store = SqlUserStore(engine)
    now = datetime.now(UTC)
    template = _user(pool.id, first, password_hash, now)
    template = dataclasses.replace(
        template, srp_verifier=verifiers(vault, pool, [(template.username, template.sub)])[0]
    )
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
        people = [(username(i), str(new_sub())) for i in range(start, stop)]
        sealed = dict(zip(people, verifiers(vault, pool, people), strict=True))
        async with engine.begin() as conn:
            for table, template_rows in rows.items():
                if not template_rows:
                    continue
                values = []
                for name, sub in people:
                    for row in template_rows:
                        value = {k: swap(v, name, sub) for k, v in row.items()}
                        if table is users:
                            value["srp_verifier"] = sealed[(name, sub)]
                        values.append(value)
                await conn.execute(insert(table), values)
        done = stop - first
        if done % 10000 < batch:
            rate = done / (time.monotonic() - started)
            print(f"  seeded {done}/{count - first} ({rate:.0f}/s)", flush=True)


async def seed(
    database_url: str,
    pool_id: str,
    count: int | None,
    password_hash: str,
    keyring: Keyring | None = None,
    mode: str = "store",
) -> tuple[int, int]:
    """Make sure users user0000000 .. user{count-1} exist; return (how many were added, how
    many the pool holds). `count` None: the pool keeps the users it has (1,000 when it has
    none). Without `keyring`, users get no SRP verifier (their first password sign-in makes
    it)."""
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
        if count is None:
            count = have or DEFAULT_USERS
        total = max(have, count)
        vault = VerifierVault(keyring) if keyring is not None else None
        if mode == "clone" and count > have:
            await _clone(engine, pool, have, count, password_hash, vault)
            return count - have, total
        store = SqlUserStore(engine)
        now = datetime.now(UTC)
        pending = [_user(pool.id, i, password_hash, now) for i in range(have, count)]
        sealed = verifiers(vault, pool, [(u.username, u.sub) for u in pending])
        queue = iter(
            dataclasses.replace(u, srp_verifier=v) for u, v in zip(pending, sealed, strict=True)
        )
        started = time.monotonic()
        done = 0

        async def writer() -> None:
            nonlocal done
            for user in queue:
                await store.add_user(pool, user)
                done += 1
                if done % 10000 == 0:
                    rate = done / (time.monotonic() - started)
                    print(f"  seeded {done}/{count - have} ({rate:.0f}/s)", flush=True)

        await asyncio.gather(*(writer() for _ in range(8)))
        return max(0, count - have), total
    finally:
        await engine.dispose()
