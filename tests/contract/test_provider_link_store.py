"""SqlProviderLinkStore (AdminLinkProviderForUser's links) on SQLite and PostgreSQL: a link found
by provider and subject and through the user store, unique per provider subject
(AliasExistsException), at most `limit` per user (LimitExceededException), deleted alone, with
its user and with its pool."""

from __future__ import annotations

import pytest
from tests.support.entities import NOW
from tests.support.stores import Stores

from mamori.adapters.store.sql.provider_links import SqlProviderLinkStore
from mamori.domain.errors import AliasExistsException, LimitExceededException
from mamori.domain.ids import PoolId, UserSub
from mamori.services.users.ports import ProviderLink

pytestmark = pytest.mark.anyio


def link(pool_id: str, sub: str, subject: str, provider: str = "Corp") -> ProviderLink:
    return ProviderLink(PoolId(pool_id), provider, subject, "Cognito_Subject", UserSub(sub), NOW)


async def test_a_link_is_found_by_provider_and_subject(stores: Stores) -> None:
    store = SqlProviderLinkStore(stores.engine)
    pool = await stores.pool()
    user = await stores.user(pool, "alice")
    added = link(pool.id, user.sub, "abc-123")
    await store.add_link(added, 5)
    assert await store.linked_user(pool.id, "Corp", "abc-123") == added
    assert await store.linked_user(pool.id, "Corp", "ABC-123") is None  # subjects are exact
    assert await store.linked_user(pool.id, "Other", "abc-123") is None
    assert await store.links_of(pool.id, user.sub) == [added]
    assert await stores.users.linked_user(pool.id, "Corp", "abc-123") == user
    assert await stores.users.linked_user(pool.id, "Corp", "nobody") is None


async def test_a_provider_subject_links_to_one_user(stores: Stores) -> None:
    store = SqlProviderLinkStore(stores.engine)
    pool = await stores.pool()
    alice, bob = await stores.user(pool, "alice"), await stores.user(pool, "bob")
    await store.add_link(link(pool.id, alice.sub, "abc"), 5)
    with pytest.raises(AliasExistsException):
        await store.add_link(link(pool.id, bob.sub, "abc"), 5)
    with pytest.raises(AliasExistsException):
        await store.add_link(link(pool.id, alice.sub, "abc"), 5)
    found = await store.linked_user(pool.id, "Corp", "abc")
    assert found is not None and found.sub == alice.sub
    # The same subject of another provider is another identity.
    await store.add_link(link(pool.id, bob.sub, "abc", provider="Google"), 5)


async def test_at_most_limit_links_per_user(stores: Stores) -> None:
    store = SqlProviderLinkStore(stores.engine)
    pool = await stores.pool()
    user = await stores.user(pool, "alice")
    for n in range(5):
        await store.add_link(link(pool.id, user.sub, f"s{n}"), 5)
    with pytest.raises(LimitExceededException):
        await store.add_link(link(pool.id, user.sub, "s5"), 5)
    assert await store.linked_user(pool.id, "Corp", "s5") is None
    assert len(await store.links_of(pool.id, user.sub)) == 5
    assert await store.delete_link(pool.id, "Corp", "s0")
    assert not await store.delete_link(pool.id, "Corp", "s0")
    await store.add_link(link(pool.id, user.sub, "s5"), 5)  # room again


async def test_links_go_with_their_user_and_their_pool(stores: Stores) -> None:
    store = SqlProviderLinkStore(stores.engine)
    pool = await stores.pool()
    alice, bob = await stores.user(pool, "alice"), await stores.user(pool, "bob")
    await store.add_link(link(pool.id, alice.sub, "a"), 5)
    await store.add_link(link(pool.id, bob.sub, "b"), 5)
    await stores.users.delete_user(pool.id, alice.sub)
    assert await store.linked_user(pool.id, "Corp", "a") is None
    assert await store.linked_user(pool.id, "Corp", "b") is not None
    await stores.pools.delete_pool(pool.id)
    assert await store.linked_user(pool.id, "Corp", "b") is None
