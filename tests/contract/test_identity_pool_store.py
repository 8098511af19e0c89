"""IdentityPoolStore and IdentityStore (adapters/store/sql/identity_pools.py): every port method.

Identity pools are not scoped by a user pool; their identities and logins are scoped by the
identity pool (test_identity_pool_isolation.py).
"""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy.exc import IntegrityError
from tests.support.entities import NOW
from tests.support.identity_stores import LATER, IdentityStores, identity_value

from mamori.domain.errors import ResourceConflictException
from mamori.domain.identity.identity_pool import (
    AmbiguousRoleResolution,
    CognitoProvider,
    IdentityId,
    IdentityPool,
    IdentityPoolId,
    Login,
    MappingRule,
    MatchType,
    PrincipalTagMap,
    RoleMapping,
    RoleMappingType,
)

pytestmark = pytest.mark.anyio

GOOGLE = "accounts.google.com"
USER_POOL = "cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123"
ROLE = "arn:aws:iam::123456789012:role/authenticated"


def full_pool(stores_pool: IdentityPool) -> IdentityPool:
    """Every setting an identity pool keeps, set to something other than its default."""
    return dataclasses.replace(
        stores_pool,
        name="every setting",
        allow_unauthenticated=True,
        allow_classic_flow=False,
        supported_login_providers={GOOGLE: "google-client-id", "graph.facebook.com": "fb"},
        developer_provider_name="login.example",
        open_id_connect_provider_arns=("arn:aws:iam::123456789012:oidc-provider/id.example",),
        cognito_identity_providers=(
            CognitoProvider(USER_POOL, "client-1", server_side_token_check=True),
        ),
        saml_provider_arns=("arn:aws:iam::123456789012:saml-provider/corp",),
        tags={"team": "identity", "stage": "test"},
        roles={"authenticated": ROLE, "unauthenticated": ROLE + "-guest"},
        role_mappings=(
            RoleMapping(
                f"{USER_POOL}:client-1",
                RoleMappingType.RULES,
                AmbiguousRoleResolution.DENY,
                (MappingRule("custom:tier", MatchType.STARTS_WITH, "gold", ROLE),),
            ),
        ),
        principal_tags=(PrincipalTagMap(USER_POOL, False, {"tier": "custom:tier"}),),
    )


# --- IdentityPoolStore


async def test_a_pool_reads_back_as_written(identity_stores: IdentityStores) -> None:
    pool = full_pool(await identity_stores.pool())
    await identity_stores.pools.save_identity_pool(pool)
    assert await identity_stores.pools.get_identity_pool(pool.id) == pool
    bare = await identity_stores.pool()
    assert await identity_stores.pools.get_identity_pool(bare.id) == bare


async def test_an_unknown_pool_is_none(identity_stores: IdentityStores) -> None:
    unknown = IdentityPoolId("us-east-1:00000000-0000-0000-0000-000000000000")
    assert await identity_stores.pools.get_identity_pool(unknown) is None


async def test_saving_replaces_the_settings_and_keeps_created(
    identity_stores: IdentityStores,
) -> None:
    pool = full_pool(await identity_stores.pool())
    await identity_stores.pools.save_identity_pool(pool)
    changed = dataclasses.replace(
        pool, name="renamed", modified=LATER, tags={}, role_mappings=(), allow_unauthenticated=False
    )
    await identity_stores.pools.save_identity_pool(changed)
    found = await identity_stores.pools.get_identity_pool(pool.id)
    assert found == changed
    assert found is not None and found.created == NOW


async def test_saving_an_unknown_pool_adds_nothing(identity_stores: IdentityStores) -> None:
    ghost = dataclasses.replace(
        await identity_stores.pool(), id=IdentityPoolId("us-east-1:11111111-0000-0000-0000-0")
    )
    await identity_stores.pools.save_identity_pool(ghost)
    assert await identity_stores.pools.get_identity_pool(ghost.id) is None


async def test_a_second_pool_under_the_same_id_is_refused(
    identity_stores: IdentityStores,
) -> None:
    pool = await identity_stores.pool(name="first")
    with pytest.raises(IntegrityError):
        await identity_stores.pools.add_identity_pool(dataclasses.replace(pool, name="second"))
    assert await identity_stores.pools.get_identity_pool(pool.id) == pool


async def test_pools_are_listed_by_id_in_pages(identity_stores: IdentityStores) -> None:
    mine = {(await identity_stores.pool()).id for _ in range(5)}
    seen: list[IdentityPoolId] = []
    after: str | None = None
    while True:
        page = await identity_stores.pools.list_identity_pools(2, after)
        assert len(page.items) <= 2
        seen += [p.id for p in page.items]
        if page.next_token is None:
            break
        after = page.next_token
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen))
    assert mine <= set(seen)


async def test_deleting_a_pool_deletes_its_identities_and_logins(
    identity_stores: IdentityStores,
) -> None:
    pool = await identity_stores.pool()
    google = Login(GOOGLE, "subject-1")
    linked = await identity_stores.identity(pool, google)
    guest = await identity_stores.identity(pool)
    await identity_stores.pools.delete_identity_pool(pool.id)
    assert await identity_stores.pools.get_identity_pool(pool.id) is None
    assert await identity_stores.identities.get_identity(linked.id) is None
    assert await identity_stores.identities.get_identity(guest.id) is None
    assert await identity_stores.identities.find_identity(pool.id, google) is None
    assert (await identity_stores.identities.list_identities(pool.id, 60, None)).items == []
    # A pool made again under the same id starts empty, and the login is free.
    await identity_stores.pools.add_identity_pool(pool)
    again = await identity_stores.identity(pool, google)
    assert again.id != linked.id
    assert await identity_stores.identities.find_identity(pool.id, google) == again


# --- IdentityStore


async def test_an_identity_reads_back_with_its_logins(identity_stores: IdentityStores) -> None:
    pool = await identity_stores.pool()
    logins = (Login(GOOGLE, "g-1"), Login(USER_POOL, "sub-1"))
    written = identity_value(pool, *logins)
    assert await identity_stores.identities.add_identity(written) == written
    found = await identity_stores.identities.get_identity(written.id)
    assert found is not None
    assert (found.id, found.pool_id, found.created, found.modified) == (
        written.id,
        pool.id,
        NOW,
        NOW,
    )
    assert sorted(found.logins, key=lambda x: x.provider) == sorted(
        logins, key=lambda x: x.provider
    )
    for login in logins:
        assert await identity_stores.identities.find_identity(pool.id, login) == found


async def test_an_unauthenticated_identity_has_no_logins(
    identity_stores: IdentityStores,
) -> None:
    pool = await identity_stores.pool()
    guest = await identity_stores.identity(pool)
    assert await identity_stores.identities.get_identity(guest.id) == guest
    assert guest.logins == ()


async def test_unknown_identities_and_logins_are_none(identity_stores: IdentityStores) -> None:
    pool = await identity_stores.pool()
    missing = IdentityId("us-east-1:22222222-0000-0000-0000-000000000000")
    assert await identity_stores.identities.get_identity(missing) is None
    assert await identity_stores.identities.find_identity(pool.id, Login(GOOGLE, "nobody")) is None


async def test_adding_a_login_already_linked_returns_the_identity_holding_it(
    identity_stores: IdentityStores,
) -> None:
    pool = await identity_stores.pool()
    google = Login(GOOGLE, "raced")
    first = await identity_stores.identity(pool, google)
    loser = identity_value(pool, Login(USER_POOL, "other"), google)
    assert await identity_stores.identities.add_identity(loser) == first
    # Nothing of the losing identity was written, not even its other login.
    assert await identity_stores.identities.get_identity(loser.id) is None
    assert (
        await identity_stores.identities.find_identity(pool.id, Login(USER_POOL, "other")) is None
    )


async def test_logins_held_by_two_identities_conflict(identity_stores: IdentityStores) -> None:
    pool = await identity_stores.pool()
    one = Login(GOOGLE, "one")
    two = Login(USER_POOL, "two")
    await identity_stores.identity(pool, one)
    await identity_stores.identity(pool, two)
    both = identity_value(pool, one, two)
    with pytest.raises(ResourceConflictException):
        await identity_stores.identities.add_identity(both)
    assert await identity_stores.identities.get_identity(both.id) is None


async def test_a_second_identity_under_the_same_id_is_refused(
    identity_stores: IdentityStores,
) -> None:
    pool = await identity_stores.pool()
    guest = await identity_stores.identity(pool)
    with pytest.raises(IntegrityError):
        await identity_stores.identities.add_identity(guest)


async def test_linking_adds_logins_and_touches_modified(identity_stores: IdentityStores) -> None:
    pool = await identity_stores.pool()
    google = Login(GOOGLE, "g")
    identity = await identity_stores.identity(pool, google)
    extra = Login(USER_POOL, "u")
    # A login the identity already holds is left as it is.
    await identity_stores.identities.link_logins(identity.id, [google, extra], LATER)
    found = await identity_stores.identities.get_identity(identity.id)
    assert found is not None
    assert set(found.logins) == {google, extra}
    assert (found.created, found.modified) == (NOW, LATER)
    assert await identity_stores.identities.find_identity(pool.id, extra) == found


async def test_linking_another_identitys_login_conflicts_and_links_nothing(
    identity_stores: IdentityStores,
) -> None:
    pool = await identity_stores.pool()
    taken = Login(GOOGLE, "taken")
    owner = await identity_stores.identity(pool, taken)
    other = await identity_stores.identity(pool)
    fresh = Login(USER_POOL, "fresh")
    with pytest.raises(ResourceConflictException):
        await identity_stores.identities.link_logins(other.id, [fresh, taken], LATER)
    assert await identity_stores.identities.get_identity(other.id) == other
    assert await identity_stores.identities.get_identity(owner.id) == owner
    assert await identity_stores.identities.find_identity(pool.id, fresh) is None


async def test_linking_to_a_deleted_identity_conflicts(identity_stores: IdentityStores) -> None:
    pool = await identity_stores.pool()
    gone = await identity_stores.identity(pool)
    await identity_stores.identities.delete_identities([gone.id])
    with pytest.raises(ResourceConflictException):
        await identity_stores.identities.link_logins(gone.id, [Login(GOOGLE, "late")], LATER)
    assert await identity_stores.identities.find_identity(pool.id, Login(GOOGLE, "late")) is None


async def test_unlinking_removes_only_the_named_logins(identity_stores: IdentityStores) -> None:
    pool = await identity_stores.pool()
    google, cognito = Login(GOOGLE, "g"), Login(USER_POOL, "u")
    identity = await identity_stores.identity(pool, google, cognito)
    await identity_stores.identities.unlink_logins(
        identity.id, [google, Login(GOOGLE, "never-linked")], LATER
    )
    found = await identity_stores.identities.get_identity(identity.id)
    assert found is not None
    assert found.logins == (cognito,)
    assert found.modified == LATER
    assert await identity_stores.identities.find_identity(pool.id, google) is None
    # The login is free again.
    again = await identity_stores.identity(pool, google)
    assert await identity_stores.identities.find_identity(pool.id, google) == again


async def test_merging_moves_every_login_and_deletes_the_source(
    identity_stores: IdentityStores,
) -> None:
    pool = await identity_stores.pool()
    a, b, c = Login(GOOGLE, "a"), Login(GOOGLE, "b"), Login(USER_POOL, "c")
    source = await identity_stores.identity(pool, a, b)
    destination = await identity_stores.identity(pool, c)
    await identity_stores.identities.merge_identities(source.id, destination.id, LATER)
    assert await identity_stores.identities.get_identity(source.id) is None
    merged = await identity_stores.identities.get_identity(destination.id)
    assert merged is not None
    assert set(merged.logins) == {a, b, c}
    assert (merged.created, merged.modified) == (NOW, LATER)
    for login in (a, b, c):
        assert await identity_stores.identities.find_identity(pool.id, login) == merged


async def test_deleting_identities_deletes_their_logins(identity_stores: IdentityStores) -> None:
    pool = await identity_stores.pool()
    one = await identity_stores.identity(pool, Login(GOOGLE, "one"))
    two = await identity_stores.identity(pool, Login(GOOGLE, "two"))
    kept = await identity_stores.identity(pool, Login(GOOGLE, "kept"))
    await identity_stores.identities.delete_identities([one.id, two.id])
    await identity_stores.identities.delete_identities([])
    assert await identity_stores.identities.get_identity(one.id) is None
    assert await identity_stores.identities.get_identity(two.id) is None
    assert await identity_stores.identities.find_identity(pool.id, Login(GOOGLE, "one")) is None
    assert await identity_stores.identities.get_identity(kept.id) == kept
    listed = await identity_stores.identities.list_identities(pool.id, 60, None)
    assert listed.items == [kept]


async def test_identities_are_listed_by_id_in_pages_with_their_logins(
    identity_stores: IdentityStores,
) -> None:
    pool = await identity_stores.pool()
    made = [await identity_stores.identity(pool, Login(GOOGLE, f"user-{i}")) for i in range(5)]
    made.append(await identity_stores.identity(pool))
    expected = sorted(made, key=lambda i: i.id)
    pages = []
    after: str | None = None
    while True:
        page = await identity_stores.identities.list_identities(pool.id, 2, after)
        pages.append(page.items)
        if page.next_token is None:
            break
        after = page.next_token
    assert [len(items) for items in pages] == [2, 2, 2]
    assert [i for items in pages for i in items] == expected
    assert (await identity_stores.identities.list_identities(pool.id, 6, None)).next_token is None


async def test_subjects_of_one_provider_are_listed_in_pages(
    identity_stores: IdentityStores,
) -> None:
    pool = await identity_stores.pool()
    subjects = [f"dev-{i}" for i in range(5)]
    identity = await identity_stores.identity(
        pool, *(Login("login.example", s) for s in reversed(subjects)), Login(GOOGLE, "other")
    )
    first = await identity_stores.identities.subjects_of(identity.id, "login.example", 3, None)
    assert first.items == subjects[:3]
    assert first.next_token is not None
    rest = await identity_stores.identities.subjects_of(
        identity.id, "login.example", 3, first.next_token
    )
    assert rest.items == subjects[3:]
    assert rest.next_token is None
    none = await identity_stores.identities.subjects_of(identity.id, "nobody.example", 3, None)
    assert none.items == [] and none.next_token is None
