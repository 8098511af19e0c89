"""Identity providers of a pool (social, OIDC, SAML): the six operations, and the reads the
federation flows use (`provider`, `by_identifier`, `providers_of`)."""

from __future__ import annotations

from mamori.domain.errors import ResourceNotFoundException
from mamori.domain.ids import PoolId
from mamori.domain.userpools.identity_providers import IdentityProvider
from mamori.services.userpools.ports import IdentityProviderStore


class IdentityProviderService:
    def __init__(self, store: IdentityProviderStore) -> None:
        self._store = store

    async def provider(self, pool_id: str, name: str) -> IdentityProvider:
        """The provider named `name` (secrets in clear); ResourceNotFoundException when unknown."""
        found = await self._store.get_provider(PoolId(pool_id), name)
        if found is None:
            raise ResourceNotFoundException(f"Identity provider {name} does not exist.")
        return found

    async def by_identifier(self, pool_id: str, identifier: str) -> IdentityProvider:
        """The provider holding IdpIdentifier `identifier`; ResourceNotFoundException when none."""
        found = await self._store.find_by_identifier(PoolId(pool_id), identifier)
        if found is None:
            raise ResourceNotFoundException(f"Identity provider {identifier} does not exist.")
        return found

    async def providers_of(self, pool_id: str) -> list[IdentityProvider]:
        """Every provider of the pool, by name."""
        return await self._store.providers_of(PoolId(pool_id))
