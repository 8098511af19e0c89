"""Identity pool B never sees, changes or deletes identity pool A's identities and logins."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pytest
from sqlalchemy import func, select
from tests.support.identity_stores import LATER, IdentityStores

from mamori.adapters.store.sql.tables import identities, identity_logins
from mamori.domain.identity.identity_pool import Identity, IdentityPool, Login

pytestmark = pytest.mark.anyio

SHARED = Login("accounts.google.com", "same-subject")
DEVELOPER = Login("login.example", "same-developer-id")


async def rows_of(stores: IdentityStores, pool: IdentityPool) -> Mapping[str, int]:
    async with stores.engine.connect() as conn:
        return {
            table.name: int(
                await conn.scalar(select(func.count()).where(table.c.identity_pool_id == pool.id))
                or 0
            )
            for table in (identities, identity_logins)
        }


async def two_pools(
    stores: IdentityStores,
) -> tuple[IdentityPool, Identity, IdentityPool, Identity]:
    """Pools A and B, each with an identity holding the same two logins."""
    a = await stores.pool(name="same-name")
    b = await stores.pool(name="same-name")
    in_a = await stores.identity(a, SHARED, DEVELOPER)
    in_b = await stores.identity(b, SHARED, DEVELOPER)
    return a, in_a, b, in_b


async def test_the_same_login_is_a_different_identity_in_each_pool(
    identity_stores: IdentityStores,
) -> None:
    a, in_a, b, in_b = await two_pools(identity_stores)
    assert in_a.id != in_b.id
    assert await identity_stores.identities.find_identity(a.id, SHARED) == in_a
    assert await identity_stores.identities.find_identity(b.id, SHARED) == in_b
    assert await identity_stores.identities.get_identity(in_a.id) == in_a


async def test_listing_a_pool_shows_only_its_identities(identity_stores: IdentityStores) -> None:
    a, in_a, b, in_b = await two_pools(identity_stores)
    assert (await identity_stores.identities.list_identities(a.id, 60, None)).items == [in_a]
    assert (await identity_stores.identities.list_identities(b.id, 60, None)).items == [in_b]


async def test_changing_b_leaves_a_as_it_was(identity_stores: IdentityStores) -> None:
    a, in_a, b, in_b = await two_pools(identity_stores)
    before = await rows_of(identity_stores, a)
    await identity_stores.pools.save_identity_pool(
        dataclasses.replace(b, name="renamed", modified=LATER, allow_unauthenticated=True)
    )
    other = await identity_stores.identity(b)
    await identity_stores.identities.link_logins(
        other.id, [Login("graph.facebook.com", "f")], LATER
    )
    await identity_stores.identities.unlink_logins(in_b.id, [SHARED], LATER)
    await identity_stores.identities.merge_identities(in_b.id, other.id, LATER)
    # A's logins are free in B: linking them there takes nothing from A.
    await identity_stores.identities.link_logins(other.id, [SHARED], LATER)
    assert await identity_stores.pools.get_identity_pool(a.id) == a
    assert await identity_stores.identities.get_identity(in_a.id) == in_a
    assert await identity_stores.identities.find_identity(a.id, SHARED) == in_a
    assert await rows_of(identity_stores, a) == before


async def test_adding_in_b_never_returns_a_s_identity(identity_stores: IdentityStores) -> None:
    a = await identity_stores.pool()
    b = await identity_stores.pool()
    in_a = await identity_stores.identity(a, SHARED)
    in_b = await identity_stores.identity(b, SHARED)
    assert in_b.pool_id == b.id
    assert in_b.id != in_a.id


async def test_deleting_b_leaves_a_intact(identity_stores: IdentityStores) -> None:
    a, in_a, b, in_b = await two_pools(identity_stores)
    before = await rows_of(identity_stores, a)
    assert before == {"identities": 1, "identity_logins": 2}
    await identity_stores.identities.delete_identities([in_b.id])
    await identity_stores.pools.delete_identity_pool(b.id)
    assert await identity_stores.pools.get_identity_pool(b.id) is None
    assert await rows_of(identity_stores, b) == {"identities": 0, "identity_logins": 0}
    assert await identity_stores.pools.get_identity_pool(a.id) == a
    assert await identity_stores.identities.get_identity(in_a.id) == in_a
    assert await identity_stores.identities.find_identity(a.id, DEVELOPER) == in_a
    assert await rows_of(identity_stores, a) == before


async def test_deleting_b_with_identities_leaves_a_intact(identity_stores: IdentityStores) -> None:
    a, in_a, b, _ = await two_pools(identity_stores)
    before = await rows_of(identity_stores, a)
    await identity_stores.pools.delete_identity_pool(b.id)
    assert await rows_of(identity_stores, b) == {"identities": 0, "identity_logins": 0}
    assert await identity_stores.identities.get_identity(in_a.id) == in_a
    assert await rows_of(identity_stores, a) == before
