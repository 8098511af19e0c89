"""SqlUserStore: usernames and aliases unique per pool, atomic writes, search and paging."""

from __future__ import annotations

import dataclasses
import random

import anyio
import pytest
from tests.support.entities import user_value
from tests.support.stores import Stores

from mamori.domain.errors import AliasExistsException, UsernameExistsException
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User, UserStatus
from mamori.services.users.ports import UserQuery

pytestmark = pytest.mark.anyio


def verified_email(address: str) -> dict[str, str]:
    return {"email": address, "email_verified": "true"}


async def all_users(stores: Stores, pool: UserPool, query: UserQuery, limit: int) -> list[User]:
    """Every page of a listing, asserting page sizes along the way."""
    seen: list[User] = []
    token: str | None = None
    while True:
        page = await stores.users.list_users(pool, query, limit, token)
        assert len(page.items) <= limit
        seen.extend(page.items)
        if page.next_token is None:
            return seen
        assert len(page.items) == limit
        token = page.next_token


async def test_add_then_get_round_trips_every_field(stores: Stores) -> None:
    pool = await stores.pool()
    user = dataclasses.replace(
        user_value(pool, "Alice", **verified_email("alice@example.com"), name="Álice 日本"),
        status=UserStatus.FORCE_CHANGE_PASSWORD,
        enabled=False,
        tokens_valid_after=1715949015.5,
        password_expires=user_value(pool).created,
    )
    await stores.users.add_user(pool, user)
    assert await stores.users.get_user(pool, "Alice") == user
    assert await stores.users.get_user_by_sub(pool.id, user.sub) == user


async def test_usernames_are_case_insensitive_unless_the_pool_says_otherwise(
    stores: Stores,
) -> None:
    folding = await stores.pool()
    alice = await stores.user(folding, "Alice")
    assert await stores.users.get_user(folding, "aLiCe") == alice
    with pytest.raises(UsernameExistsException):
        await stores.users.add_user(folding, user_value(folding, "ALICE"))

    exact = await stores.pool(case_sensitive=True)
    await stores.user(exact, "Alice")
    other = await stores.user(exact, "alice")
    assert await stores.users.get_user(exact, "alice") == other
    assert await stores.users.get_user(exact, "ALICE") is None


async def test_username_unique_per_pool_but_reusable_in_another_pool(stores: Stores) -> None:
    a, b = await stores.pool(), await stores.pool()
    in_a = await stores.user(a, "shared")
    in_b = await stores.user(b, "shared")
    with pytest.raises(UsernameExistsException):
        await stores.users.add_user(a, user_value(a, "shared"))
    assert await stores.users.get_user(a, "shared") == in_a
    assert await stores.users.get_user(b, "shared") == in_b
    assert in_a.sub != in_b.sub


async def test_verified_alias_is_unique_per_pool_case_insensitively(stores: Stores) -> None:
    pool = await stores.pool(alias_attributes=("email",))
    first = await stores.user(pool, "first", **verified_email("Same@Example.com"))
    clash = user_value(pool, "second", **verified_email("same@example.COM"))
    with pytest.raises(AliasExistsException):
        await stores.users.add_user(pool, clash)
    # No half-written user: the clash rolled back the user row as well.
    assert await stores.users.get_user(pool, "second") is None
    assert await stores.users.get_user_by_sub(pool.id, clash.sub) is None
    assert await stores.users.find_by_alias(pool, "email", "SAME@example.com") == first

    elsewhere = await stores.pool(alias_attributes=("email",))
    there = await stores.user(elsewhere, "second", **verified_email("same@example.com"))
    assert await stores.users.find_by_alias(elsewhere, "email", "same@example.com") == there
    assert await stores.users.find_by_alias(pool, "email", "same@example.com") == first


async def test_unverified_email_claims_no_alias(stores: Stores) -> None:
    pool = await stores.pool(alias_attributes=("email",))
    await stores.user(pool, "one", email="x@example.com")
    await stores.user(pool, "two", email="x@example.com")
    assert await stores.users.find_by_alias(pool, "email", "x@example.com") is None


async def test_preferred_username_alias_needs_no_verification(stores: Stores) -> None:
    pool = await stores.pool(alias_attributes=("preferred_username",))
    user = await stores.user(pool, "one", preferred_username="Nick")
    assert await stores.users.find_by_alias(pool, "preferred_username", "nick") == user
    with pytest.raises(AliasExistsException):
        await stores.user(pool, "two", preferred_username="NICK")


async def test_username_attribute_lookup(stores: Stores) -> None:
    pool = await stores.pool(username_attributes=("email", "phone_number"))
    user = await stores.user(pool, None, email="p@example.com", phone_number="+15550001111")
    assert await stores.users.find_by_alias(pool, "email", "P@example.com") == user
    assert await stores.users.find_by_alias(pool, "phone_number", "+15550001111") == user
    assert await stores.users.find_by_alias(pool, "phone_number", "+15550001112") is None


async def test_save_rewrites_aliases_and_a_clash_changes_nothing(stores: Stores) -> None:
    pool = await stores.pool(alias_attributes=("email",))
    one = await stores.user(pool, "one", **verified_email("one@example.com"))
    two = await stores.user(pool, "two", **verified_email("two@example.com"))

    moved = dataclasses.replace(
        one, attributes={**one.attributes, "email": "uno@example.com"}, enabled=False
    )
    await stores.users.save_user(pool, moved)
    assert await stores.users.get_user(pool, "one") == moved
    assert await stores.users.find_by_alias(pool, "email", "one@example.com") is None
    assert await stores.users.find_by_alias(pool, "email", "uno@example.com") == moved

    stolen = dataclasses.replace(
        two, attributes={**two.attributes, "email": "UNO@example.com"}, enabled=False
    )
    with pytest.raises(AliasExistsException):
        await stores.users.save_user(pool, stolen)
    assert await stores.users.get_user(pool, "two") == two
    assert await stores.users.find_by_alias(pool, "email", "two@example.com") == two


async def test_delete_user_frees_username_and_aliases(stores: Stores) -> None:
    pool = await stores.pool(alias_attributes=("email",))
    user = await stores.user(pool, "gone", **verified_email("gone@example.com"))
    await stores.users.delete_user(pool.id, user.sub)
    assert await stores.users.get_user(pool, "gone") is None
    assert await stores.users.find_by_alias(pool, "email", "gone@example.com") is None
    again = await stores.user(pool, "gone", **verified_email("gone@example.com"))
    assert await stores.users.find_by_alias(pool, "email", "gone@example.com") == again


async def test_concurrent_adds_of_one_username_let_exactly_one_win(stores: Stores) -> None:
    pool = await stores.pool()
    outcomes: list[str] = []

    async def add() -> None:
        try:
            await stores.users.add_user(pool, user_value(pool, "race"))
            outcomes.append("added")
        except UsernameExistsException:
            outcomes.append("exists")

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(add)
    assert sorted(outcomes) == ["added", "exists", "exists", "exists"]
    assert await stores.pools.count_users(pool.id) == 1


async def test_listing_visits_every_user_exactly_once_in_username_order(stores: Stores) -> None:
    pool = await stores.pool()
    names = [f"u{i:02d}-{'x' * (i % 3)}" for i in range(11)]
    for name in reversed(names):
        await stores.user(pool, name.upper() if len(name) % 2 else name)
    other = await stores.pool()
    await stores.user(other, "u00-")
    for limit in (1, 3, 4, 11, 60):
        listed = await all_users(stores, pool, UserQuery(), limit)
        assert [u.username.lower() for u in listed] == sorted(names)


async def test_filters_exact_and_prefix(stores: Stores) -> None:
    pool = await stores.pool()
    ann = await stores.user(pool, "ann", email="ann@example.com", given_name="Ann")
    anna = await stores.user(pool, "anna", email="anna@example.org", given_name="Anna")
    bob = await stores.user(pool, "bob", email="bob@example.com", phone_number="+15550001111")
    await stores.users.save_user(pool, dataclasses.replace(bob, enabled=False))
    noise = await stores.pool()
    await stores.user(noise, "ann", email="ann@example.com")

    async def usernames(attribute: str, value: str, prefix: bool = False) -> list[str]:
        listed = await all_users(stores, pool, UserQuery(attribute, value, prefix), 1)
        return [u.username for u in listed]

    assert await usernames("email", "ann@example.com") == ["ann"]
    assert await usernames("email", "ann", prefix=True) == ["ann", "anna"]
    assert await usernames("given_name", "Ann", prefix=True) == ["ann", "anna"]
    assert await usernames("phone_number", "+1555", prefix=True) == ["bob"]
    assert await usernames("username", "AN", prefix=True) == ["ann", "anna"]
    assert await usernames("username", "ANNA") == ["anna"]
    assert await usernames("sub", anna.sub) == ["anna"]
    assert await usernames("sub", ann.sub[:8], prefix=True) == ["ann"]
    assert await usernames("cognito:user_status", "CONFIRMED") == ["ann", "anna", "bob"]
    assert await usernames("status", "Disabled") == ["bob"]
    assert await usernames("status", "Enabled") == ["ann", "anna"]
    assert await usernames("email", "nobody@example.com") == []
    assert await usernames("email", "") == []


async def test_search_index_follows_saves(stores: Stores) -> None:
    pool = await stores.pool()
    user = await stores.user(pool, "mover", email="old@example.com")
    await stores.users.save_user(
        pool, dataclasses.replace(user, attributes={**user.attributes, "email": "new@example.com"})
    )
    old = await stores.users.list_users(pool, UserQuery("email", "old@example.com"), 10, None)
    new = await stores.users.list_users(pool, UserQuery("email", "new@example.com"), 10, None)
    assert old.items == []
    assert [u.sub for u in new.items] == [user.sub]


async def test_long_multibyte_attribute_values_are_stored_and_found(stores: Stores) -> None:
    """Values up to the schema's 2048 characters, 4 bytes each, must not break an index."""
    # Random characters: repetitive text would compress below PostgreSQL's index row limit.
    rng = random.Random(2048)
    wide = "".join(chr(rng.randrange(0x20000, 0x2A6D0)) for _ in range(2048))
    nick = "".join(chr(rng.randrange(0x20000, 0x2A6D0)) for _ in range(2048))
    pool = await stores.pool(alias_attributes=("preferred_username",))
    user = await stores.user(pool, "wide", name=wide, preferred_username=nick)
    assert (await stores.users.get_user(pool, "wide")) == user
    found = await stores.users.list_users(pool, UserQuery("name", wide), 10, None)
    assert [u.sub for u in found.items] == [user.sub]
    prefixed = await stores.users.list_users(pool, UserQuery("name", wide[:3], True), 10, None)
    assert [u.sub for u in prefixed.items] == [user.sub]
    assert await stores.users.find_by_alias(pool, "preferred_username", nick) == user
    with pytest.raises(AliasExistsException):
        await stores.user(pool, "copy", preferred_username=nick)
