"""AdminLinkProviderForUser and AdminDisableProviderForUser: a provider's subject linked to an
existing user signs in as that user (services/users/federated.py looks links up first); the link
removed, or a provider's own user disabled (docs/federation.md, "Linking")."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from mamori.domain.errors import (
    AliasExistsException,
    InvalidParameterException,
    ResourceNotFoundException,
    UserNotFoundException,
)
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.federated import (
    COGNITO,
    COGNITO_SUBJECT,
    IDENTITIES,
    MAX_LINKS,
    identities_without,
)
from mamori.domain.users.user import User, UserStatus
from mamori.services.ports import Clock
from mamori.services.userpools.identity_providers import IdentityProviderService
from mamori.services.userpools.pools import PoolService
from mamori.services.users.ports import ProviderLink, ProviderLinkStore, UserStore


@dataclass(frozen=True)
class ProviderUser:
    """ProviderUserIdentifierType: ProviderName, ProviderAttributeName, ProviderAttributeValue."""

    provider_name: str
    attribute_name: str | None
    value: str | None


class ProviderLinkService:
    def __init__(
        self,
        links: ProviderLinkStore,
        store: UserStore,
        providers: IdentityProviderService,
        pools: PoolService,
        clock: Clock,
    ) -> None:
        self._links = links
        self._store = store
        self._providers = providers
        self._pools = pools
        self._clock = clock

    async def admin_link_provider_for_user(
        self, pool_id: str, destination: ProviderUser, source: ProviderUser
    ) -> None:
        pool = await self._pools.require(pool_id)
        if not destination.value:
            raise InvalidParameterException("DestinationUser's ProviderAttributeValue is required.")
        subject = await self._source_subject(pool, source)
        user = await self._destination(pool, destination)
        if user.status is UserStatus.EXTERNAL_PROVIDER and _is_identity_of(
            user, source.provider_name, subject
        ):
            raise InvalidParameterException("A user cannot be linked to its own identity.")
        # Cognito: a provider identity that has signed in already has its own user.
        if await self._store.get_user(pool, f"{source.provider_name}_{subject}") is not None:
            raise AliasExistsException(
                "The provider identity already exists as a user of this pool."
            )
        link = ProviderLink(
            pool.id, source.provider_name, subject, COGNITO_SUBJECT, user.sub, self._clock.now()
        )
        await self._links.add_link(link, MAX_LINKS)

    async def admin_disable_provider_for_user(self, pool_id: str, who: ProviderUser) -> None:
        pool = await self._pools.require(pool_id)
        subject = await self._source_subject(pool, who)
        link = await self._links.linked_user(pool.id, who.provider_name, subject)
        if link is not None:
            await self._links.delete_link(pool.id, who.provider_name, subject)
            linked = await self._store.get_user_by_sub(pool.id, link.sub)
            if linked is not None:
                await self._forget_identity(pool, linked, who.provider_name, subject)
            return
        own = await self._store.get_user(pool, f"{who.provider_name}_{subject}")
        if own is None or own.status is not UserStatus.EXTERNAL_PROVIDER:
            raise UserNotFoundException("User does not exist.")
        # Cognito: the provider's own user is disabled; it signs in no more with the provider.
        await self._save(pool, dataclasses.replace(own, enabled=False))

    async def _source_subject(self, pool: UserPool, source: ProviderUser) -> str:
        if source.provider_name == COGNITO:
            raise InvalidParameterException("The source user cannot be a Cognito user.")
        if source.attribute_name != COGNITO_SUBJECT:
            # mamori links by the provider's subject only (docs/federation.md, "Linking").
            raise InvalidParameterException(f"ProviderAttributeName must be {COGNITO_SUBJECT}.")
        if not source.value:
            raise InvalidParameterException("ProviderAttributeValue is required.")
        try:
            await self._providers.provider(pool.id, source.provider_name)
        except ResourceNotFoundException:
            raise InvalidParameterException(
                f"Identity provider {source.provider_name} does not exist."
            ) from None
        return source.value

    async def _destination(self, pool: UserPool, destination: ProviderUser) -> User:
        assert destination.value is not None
        # Cognito: the pool's own user by its username; a federated one by its provider and
        # the provider's user id.
        username = destination.value
        if destination.provider_name != COGNITO:
            username = f"{destination.provider_name}_{destination.value}"
        user = await self._store.get_user(pool, username)
        if user is None:
            raise UserNotFoundException("User does not exist.")
        return user

    async def _forget_identity(
        self, pool: UserPool, user: User, provider_name: str, subject: str
    ) -> None:
        current = user.attributes.get(IDENTITIES)
        kept = identities_without(current, provider_name, subject)
        if kept == current:
            return
        attrs = dict(user.attributes)
        if kept is None:
            attrs.pop(IDENTITIES, None)
        else:
            attrs[IDENTITIES] = kept
        await self._save(pool, dataclasses.replace(user, attributes=attrs))

    async def _save(self, pool: UserPool, user: User) -> None:
        await self._store.save_user(pool, dataclasses.replace(user, modified=self._clock.now()))


def _is_identity_of(user: User, provider_name: str, subject: str) -> bool:
    return user.username == f"{provider_name}_{subject}"
