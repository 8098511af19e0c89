"""Identity providers of a pool (social, OIDC, SAML): the six operations, and the reads the
federation flows use (`provider`, `by_identifier`, `providers_of`)."""

from __future__ import annotations

from mamori.domain.errors import (
    DuplicateProviderException,
    InvalidParameterException,
    LimitExceededException,
    ResourceNotFoundException,
)
from mamori.domain.ids import PoolId
from mamori.domain.userpools.identity_providers import (
    MAX_PROVIDERS_PER_POOL,
    IdentityProvider,
    ProviderDraft,
    attribute_mapping,
    check_acr_mapping,
    check_identifiers,
    check_name,
)
from mamori.domain.userpools.provider_details import check_details
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.ports import Clock, Page
from mamori.services.userpools.pools import PoolService
from mamori.services.userpools.ports import IdentityProviderStore


def _attribute_names(pool: UserPool) -> frozenset[str]:
    return frozenset(a.name for a in pool.schema)


class IdentityProviderService:
    def __init__(self, store: IdentityProviderStore, pools: PoolService, clock: Clock) -> None:
        self._store = store
        self._pools = pools
        self._clock = clock

    async def create_identity_provider(
        self, pool_id: str, draft: ProviderDraft
    ) -> IdentityProvider:
        pool = await self._pools.require(pool_id)
        if draft.type is None or draft.details is None:
            raise InvalidParameterException("ProviderType and ProviderDetails are required.")
        check_name(draft.name, draft.type)
        identifiers = draft.idp_identifiers or ()
        check_identifiers(identifiers)
        acr = dict(draft.acr_mapping or {})
        check_acr_mapping(draft.type, acr)
        now = self._clock.now()
        provider = IdentityProvider(
            pool_id=pool.id,
            name=draft.name,
            type=draft.type,
            details=check_details(draft.type, draft.details),
            attribute_mapping=attribute_mapping(
                draft.type, draft.attribute_mapping or {}, _attribute_names(pool)
            ),
            idp_identifiers=identifiers,
            created=now,
            modified=now,
            acr_mapping=acr,
        )
        if await self._store.count_providers(pool.id) >= MAX_PROVIDERS_PER_POOL:
            raise LimitExceededException(
                f"A user pool can have at most {MAX_PROVIDERS_PER_POOL} identity providers."
            )
        if await self._store.get_provider(pool.id, provider.name) is not None:
            raise DuplicateProviderException(
                f"A provider with the name {provider.name} already exists in this user pool."
            )
        await self._check_identifiers_free(provider)
        if not await self._store.add_provider(provider):
            # A concurrent create took the name or an identifier between the checks and here.
            raise DuplicateProviderException()
        return provider

    async def _check_identifiers_free(self, provider: IdentityProvider) -> None:
        for identifier in provider.idp_identifiers:
            holder = await self._store.find_by_identifier(provider.pool_id, identifier)
            if holder is not None and holder.name != provider.name:
                raise DuplicateProviderException(
                    f"Identifier {identifier} is already used by provider {holder.name}."
                )

    async def describe_identity_provider(self, pool_id: str, name: str) -> IdentityProvider:
        pool = await self._pools.require(pool_id)
        return await self.provider(pool.id, name)

    async def update_identity_provider(
        self, pool_id: str, draft: ProviderDraft
    ) -> IdentityProvider:
        """Only what the request names changes. ProviderDetails are merged key by key, so an
        update need not repeat a secret Describe does not show (Apple's private_key)."""
        pool = await self._pools.require(pool_id)
        current = await self.provider(pool.id, draft.name)
        kind = current.type
        details = dict(current.details)
        if draft.details is not None:
            details.update(draft.details)
        mapping = current.attribute_mapping
        if draft.attribute_mapping is not None:
            mapping = attribute_mapping(kind, draft.attribute_mapping, _attribute_names(pool))
        identifiers = current.idp_identifiers
        if draft.idp_identifiers is not None:
            identifiers = draft.idp_identifiers
            check_identifiers(identifiers)
        acr = current.acr_mapping
        if draft.acr_mapping is not None:
            acr = dict(draft.acr_mapping)
            check_acr_mapping(kind, acr)
        provider = IdentityProvider(
            pool_id=current.pool_id,
            name=current.name,
            type=kind,
            details=check_details(kind, details),
            attribute_mapping=mapping,
            idp_identifiers=identifiers,
            created=current.created,
            modified=self._clock.now(),
            acr_mapping=acr,
        )
        await self._check_identifiers_free(provider)
        if not await self._store.save_provider(provider):
            raise DuplicateProviderException()
        return provider

    async def delete_identity_provider(self, pool_id: str, name: str) -> None:
        pool = await self._pools.require(pool_id)
        if not await self._store.delete_provider(pool.id, name):
            raise ResourceNotFoundException(f"Identity provider {name} does not exist.")

    async def list_identity_providers(
        self, pool_id: str, limit: int, token: str | None
    ) -> Page[IdentityProvider]:
        pool = await self._pools.require(pool_id)
        return await self._store.list_providers(pool.id, limit, token)

    async def get_identity_provider_by_identifier(
        self, pool_id: str, identifier: str
    ) -> IdentityProvider:
        pool = await self._pools.require(pool_id)
        return await self.by_identifier(pool.id, identifier)

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
