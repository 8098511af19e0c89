"""SqlIdentityProviderStore on SQLite and PostgreSQL: round trips with the secrets sealed, names
and IdpIdentifiers unique per pool (an update that would take another's identifier changes
nothing), lookups by identifier, paging, and the pool's delete."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.support.entities import NOW
from tests.support.stores import Stores

from mamori.adapters.store.sql.identity_providers import SqlIdentityProviderStore
from mamori.adapters.store.sql.tables import identity_providers
from mamori.domain.ids import PoolId
from mamori.domain.userpools.identity_providers import IdentityProvider, ProviderType

pytestmark = pytest.mark.anyio

APPLE = {
    "client_id": "com.example",
    "team_id": "T",
    "key_id": "K",
    "private_key": "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----",
    "authorize_scopes": "email",
}


def provider(pool_id: PoolId, name: str, *identifiers: str) -> IdentityProvider:
    return IdentityProvider(
        pool_id,
        name,
        ProviderType.OIDC,
        {"client_id": name, "client_secret": f"{name}-secret", "oidc_issuer": "https://i"},
        {"email": "email", "username": "sub"},
        identifiers,
        NOW,
        NOW,
        {"Level1": "urn:pwd"},
    )


def store(stores: Stores) -> SqlIdentityProviderStore:
    return SqlIdentityProviderStore(stores.engine, stores.keyring)


async def test_round_trip_with_sealed_secrets(stores: Stores) -> None:
    idps, pool = store(stores), (await stores.pool()).id
    apple = IdentityProvider(
        pool, "SignInWithApple", ProviderType.SIGN_IN_WITH_APPLE, APPLE, {}, (), NOW, NOW
    )
    assert await idps.add_provider(apple)
    assert await idps.add_provider(provider(pool, "Corp", "b.example", "a.example"))
    assert await idps.get_provider(pool, "SignInWithApple") == apple
    corp = await idps.get_provider(pool, "Corp")
    # Identifiers come back in a stable order (by value).
    assert corp == provider(pool, "Corp", "a.example", "b.example")
    async with stores.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(identity_providers).where(identity_providers.c.pool_id == pool)
            )
        ).all()
    for row in rows:
        assert "secret" not in row.details and "PRIVATE KEY" not in row.details
        assert row.secrets_sealed.startswith("v1.")
    # The secrets are sealed to their provider: moved to another provider's row, they don't open.
    async with stores.engine.begin() as conn:
        sealed = next(r.secrets_sealed for r in rows if r.name == "Corp")
        await conn.execute(
            identity_providers.update()
            .where(
                identity_providers.c.pool_id == pool, identity_providers.c.name == "SignInWithApple"
            )
            .values(secrets_sealed=sealed)
        )
    with pytest.raises(ValueError, match="cannot open"):
        await idps.get_provider(pool, "SignInWithApple")


async def test_names_and_identifiers_are_unique_per_pool(stores: Stores) -> None:
    idps = store(stores)
    a, b = (await stores.pool()).id, (await stores.pool()).id
    assert await idps.add_provider(provider(a, "Corp", "corp.example"))
    assert not await idps.add_provider(provider(a, "Corp"))  # the name
    assert not await idps.add_provider(provider(a, "Other", "corp.example"))  # an identifier
    assert await idps.get_provider(a, "Other") is None  # nothing half-added
    assert await idps.add_provider(provider(b, "Corp", "corp.example"))  # another pool
    assert await idps.add_provider(provider(a, "Other", "other.example"))
    # An update taking Corp's identifier fails whole: Other keeps its own and its details.
    taken = dataclasses.replace(
        provider(a, "Other", "corp.example"), attribute_mapping={"name": "name"}
    )
    assert not await idps.save_provider(taken)
    assert await idps.get_provider(a, "Other") == provider(a, "Other", "other.example")
    found = await idps.find_by_identifier(a, "corp.example")
    assert found is not None and found.name == "Corp" and found.pool_id == a
    assert await idps.find_by_identifier(a, "nobody.example") is None
    assert await idps.provider_names(a) == frozenset({"Corp", "Other"})
    assert await idps.count_providers(a) == 2


async def test_save_delete_and_pages(stores: Stores) -> None:
    idps, pool = store(stores), (await stores.pool()).id
    for name in ("Delta", "Alpha", "Charlie", "Bravo"):
        assert await idps.add_provider(provider(pool, name, f"{name.lower()}.example"))
    later = NOW + timedelta(hours=1)
    changed = dataclasses.replace(
        provider(pool, "Alpha", "new.example"),
        details={"client_id": "x", "oidc_issuer": "https://j"},  # no secret left
        modified=later,
    )
    assert await idps.save_provider(changed)
    assert await idps.get_provider(pool, "Alpha") == changed
    assert await idps.find_by_identifier(pool, "alpha.example") is None
    first = await idps.list_providers(pool, 3, None)
    assert [p.name for p in first.items] == ["Alpha", "Bravo", "Charlie"]
    assert first.items[1].idp_identifiers == ("bravo.example",)
    rest = await idps.list_providers(pool, 3, first.next_token)
    assert [p.name for p in rest.items] == ["Delta"] and rest.next_token is None
    assert [p.name for p in await idps.providers_of(pool)] == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert await idps.delete_provider(pool, "Bravo")
    assert not await idps.delete_provider(pool, "Bravo")
    assert await idps.find_by_identifier(pool, "bravo.example") is None
    # The deleted provider's identifier is free again.
    assert await idps.add_provider(provider(pool, "Echo", "bravo.example"))
    await stores.pools.delete_pool(pool)
    assert await idps.providers_of(pool) == []
    assert await idps.find_by_identifier(pool, "bravo.example") is None
