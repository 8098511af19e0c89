"""SqlGroupStore: names unique per pool, membership both ways, paging."""

from __future__ import annotations

import dataclasses

import pytest
from tests.support.entities import NOW
from tests.support.stores import Stores

from mamori.domain.errors import GroupExistsException
from mamori.domain.ids import PoolId, UserSub
from mamori.domain.users.user import User

pytestmark = pytest.mark.anyio


async def every_group(stores: Stores, pool_id: PoolId, limit: int) -> list[str]:
    names: list[str] = []
    token: str | None = None
    while True:
        page = await stores.groups.list_groups(pool_id, limit, token)
        assert len(page.items) <= limit
        names.extend(g.name for g in page.items)
        if page.next_token is None:
            return names
        token = page.next_token


async def every_member(stores: Stores, pool_id: PoolId, name: str, limit: int) -> list[User]:
    members: list[User] = []
    token: str | None = None
    while True:
        page = await stores.groups.members_of(pool_id, name, limit, token)
        assert len(page.items) <= limit
        members.extend(page.items)
        if page.next_token is None:
            return members
        token = page.next_token


async def every_group_of(stores: Stores, pool_id: PoolId, sub: UserSub, limit: int) -> list[str]:
    names: list[str] = []
    token: str | None = None
    while True:
        page = await stores.groups.groups_of(pool_id, sub, limit, token)
        names.extend(g.name for g in page.items)
        if page.next_token is None:
            return names
        token = page.next_token


async def test_group_round_trip_and_save(stores: Stores) -> None:
    pool = await stores.pool()
    group = await stores.group(
        pool, "admins", description="Admins ✓", role_arn="arn:aws:iam::1:role/a", precedence=3
    )
    assert await stores.groups.get_group(pool.id, "admins") == group
    changed = dataclasses.replace(
        group, description=None, precedence=None, modified=NOW.replace(year=2026)
    )
    await stores.groups.save_group(changed)
    assert await stores.groups.get_group(pool.id, "admins") == changed


async def test_group_name_unique_per_pool_and_case_sensitive(stores: Stores) -> None:
    a, b = await stores.pool(), await stores.pool()
    await stores.group(a, "staff")
    with pytest.raises(GroupExistsException):
        await stores.group(a, "staff")
    await stores.group(a, "Staff")  # Cognito: group names are case sensitive
    await stores.group(b, "staff")
    assert await every_group(stores, a.id, 10) == ["Staff", "staff"]
    assert await every_group(stores, b.id, 10) == ["staff"]


async def test_group_listing_visits_every_group_exactly_once(stores: Stores) -> None:
    pool = await stores.pool()
    names = [f"g-{i:02d}" for i in range(9)] + ["Ünïcode", "zeta", "Zeta"]
    for name in reversed(names):
        await stores.group(pool, name)
    for limit in (1, 2, 5, 12, 60):
        assert await every_group(stores, pool.id, limit) == sorted(names)


async def test_membership_both_ways_and_idempotent_add(stores: Stores) -> None:
    pool = await stores.pool()
    users = [await stores.user(pool, f"member-{i}") for i in range(7)]
    loner = await stores.user(pool, "loner")
    await stores.group(pool, "team")
    await stores.group(pool, "other")
    for user in users:
        await stores.groups.add_member(pool.id, "team", user.sub)
    await stores.groups.add_member(pool.id, "team", users[0].sub)  # Cognito: a no-op
    await stores.groups.add_member(pool.id, "other", users[0].sub)

    for limit in (1, 3, 7, 50):
        members = await every_member(stores, pool.id, "team", limit)
        assert [m.username for m in members] == [u.username for u in users]
        assert members == users
    assert await every_group_of(stores, pool.id, users[0].sub, 1) == ["other", "team"]
    assert await every_group_of(stores, pool.id, loner.sub, 1) == []

    await stores.groups.remove_member(pool.id, "team", users[0].sub)
    assert await every_group_of(stores, pool.id, users[0].sub, 10) == ["other"]
    assert len(await every_member(stores, pool.id, "team", 10)) == 6


async def test_deleting_a_group_or_a_user_drops_the_memberships(stores: Stores) -> None:
    pool = await stores.pool()
    stay, leave = await stores.user(pool, "stay"), await stores.user(pool, "leave")
    for name in ("doomed", "kept"):
        await stores.group(pool, name)
        for user in (stay, leave):
            await stores.groups.add_member(pool.id, name, user.sub)
    await stores.groups.delete_group(pool.id, "doomed")
    await stores.users.delete_user(pool.id, leave.sub)
    assert await stores.groups.get_group(pool.id, "doomed") is None
    assert await every_group_of(stores, pool.id, stay.sub, 10) == ["kept"]
    assert await every_member(stores, pool.id, "kept", 10) == [stay]
    # A new group of the same name starts empty.
    await stores.group(pool, "doomed")
    assert await every_member(stores, pool.id, "doomed", 10) == []


async def test_group_listing_of_an_empty_pool(stores: Stores) -> None:
    pool = await stores.pool()
    page = await stores.groups.list_groups(pool.id, 10, None)
    assert page.items == [] and page.next_token is None
    assert await stores.groups.get_group(pool.id, "nothing") is None
