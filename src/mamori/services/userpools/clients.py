"""App clients of a pool: lifecycle, configuration rules, secrets and SECRET_HASH checks."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac

from mamori.crypto.secrets import random_id
from mamori.domain.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
    ScopeDoesNotExistException,
)
from mamori.domain.ids import ClientId, PoolId, new_client_id
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.identity_providers import COGNITO
from mamori.domain.userpools.resource_servers import STANDARD_SCOPES, unknown_scopes
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.ports import Clock, Page
from mamori.services.userpools.pools import PoolService
from mamori.services.userpools.ports import ClientStore, ProviderNames, ScopeReader

_SECRET_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_LEGACY_FLOWS = frozenset({"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"})
_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# Cognito's ranges: access and ID tokens 5 minutes to 1 day, refresh tokens 1 hour to 10 years.
_TOKEN_RANGES = (
    ("AccessTokenValidity", 300, 86400, "5 minutes and 1 day"),
    ("IdTokenValidity", 300, 86400, "5 minutes and 1 day"),
    ("RefreshTokenValidity", 3600, 315360000, "60 minutes and 10 years"),
)
# Attributes only Cognito itself sets, never an app client.
_NEVER_WRITABLE = frozenset({"sub", "email_verified", "phone_number_verified", "identities"})


def secret_hash(username: str, client_id: str, secret: str) -> str:
    """Base64(HMAC-SHA256(secret, username + client_id)), as Cognito defines SECRET_HASH."""
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _check_flows(client: AppClient) -> None:
    flows = set(client.explicit_auth_flows)
    if flows & _LEGACY_FLOWS and flows - _LEGACY_FLOWS:
        raise InvalidParameterException(
            "ExplicitAuthFlows cannot combine the legacy values ADMIN_NO_SRP_AUTH, "
            "CUSTOM_AUTH_FLOW_ONLY and USER_PASSWORD_AUTH with values that begin with ALLOW_."
        )


def _check_validity(client: AppClient) -> None:
    tv = client.token_validity
    amounts = (
        (tv.access, tv.access_unit),
        (tv.id, tv.id_unit),
        (tv.refresh, tv.refresh_unit),
    )
    for (label, low, high, words), (amount, unit) in zip(_TOKEN_RANGES, amounts, strict=True):
        if not low <= amount * _SECONDS[unit] <= high:
            # Cognito's message, with the reason appended.
            raise InvalidParameterException(
                f"Invalid range for token validity. {label} of {amount} {unit} is not between "
                f"{words}."
            )


def _check_attributes(pool: UserPool, client: AppClient, action: str) -> None:
    for name in client.read_attributes:
        if pool.attribute(name) is None:
            raise InvalidParameterException(
                f"Invalid read attributes specified while {action} a client"
            )
    for name in client.write_attributes:
        attr = pool.attribute(name)
        # Cognito: immutable attributes (custom ones too) cannot be granted to a client.
        if attr is None or not attr.mutable or name in _NEVER_WRITABLE:
            raise InvalidParameterException(
                f"Invalid write attributes specified while {action} a client"
            )


def _check(pool: UserPool, client: AppClient, action: str) -> None:
    _check_flows(client)
    _check_validity(client)
    _check_attributes(pool, client, action)


class ClientService:
    def __init__(
        self,
        store: ClientStore,
        pools: PoolService,
        clock: Clock,
        scopes: ScopeReader | None = None,
        providers: ProviderNames | None = None,
    ) -> None:
        self._store = store
        self._pools = pools
        self._clock = clock
        self._scopes = scopes  # the pool's resource servers' scopes (AllowedOAuthScopes)
        self._providers = providers  # the pool's identity providers (SupportedIdentityProviders)

    async def _check_providers(self, client: AppClient) -> None:
        named = [p for p in client.oauth.identity_providers or () if p != COGNITO]
        if not named or self._providers is None:
            return
        known = await self._providers.provider_names(client.pool_id)
        for name in named:
            if name not in known:
                # Cognito's message.
                raise InvalidParameterException(
                    f"The provider {name} does not exist for User Pool {client.pool_id}"
                )

    async def _check_scopes(self, client: AppClient) -> None:
        requested = client.oauth.scopes or ()
        custom: frozenset[str] = frozenset()
        if self._scopes is not None and not set(requested) <= STANDARD_SCOPES:
            custom = await self._scopes.scopes_of(client.pool_id)
        unknown = unknown_scopes(requested, custom)
        if unknown:
            # Cognito names the first scope that no resource server (nor Cognito) defines.
            raise ScopeDoesNotExistException(f"Invalid scope requested: {unknown[0]}")

    async def create_user_pool_client(
        self, pool_id: str, draft: AppClient, generate_secret: bool, secret: str | None = None
    ) -> AppClient:
        """A new client; `secret` is a caller-chosen secret, `generate_secret` asks for one."""
        if generate_secret and secret is not None:
            raise InvalidParameterException(
                "You cannot specify both GenerateSecret as true and a ClientSecret value."
            )
        pool = await self._pools.require(pool_id)
        now = self._clock.now()
        if generate_secret:
            secret = random_id(51, _SECRET_ALPHABET)
        client = dataclasses.replace(
            draft, id=new_client_id(), pool_id=pool.id, created=now, modified=now, secret=secret
        )
        _check(pool, client, "creating")
        await self._check_scopes(client)
        await self._check_providers(client)
        await self._store.add_client(client)
        return client

    async def describe_user_pool_client(self, pool_id: str, client_id: str) -> AppClient:
        await self._pools.require(pool_id)
        client = await self._store.get_client(PoolId(pool_id), ClientId(client_id))
        if client is None:
            raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
        return client

    async def update_user_pool_client(
        self, pool_id: str, draft: AppClient, *, name: str | None
    ) -> AppClient:
        """Replace the client's settings with `draft`'s; the name changes only when given.

        Cognito: every setting the request leaves out returns to its default. The secret and the
        client id are fixed at creation.
        """
        pool = await self._pools.require(pool_id)
        current = await self.describe_user_pool_client(pool_id, draft.id)
        client = dataclasses.replace(
            draft,
            pool_id=current.pool_id,
            name=current.name if name is None else name,
            created=current.created,
            modified=self._clock.now(),
            secret=current.secret,
        )
        _check(pool, client, "updating")
        await self._check_scopes(client)
        await self._check_providers(client)
        await self._store.save_client(client)
        return client

    async def delete_user_pool_client(self, pool_id: str, client_id: str) -> None:
        client = await self.describe_user_pool_client(pool_id, client_id)
        await self._store.delete_client(client.pool_id, client.id)

    async def list_user_pool_clients(
        self, pool_id: str, limit: int, token: str | None
    ) -> Page[AppClient]:
        pool = await self._pools.require(pool_id)
        return await self._store.list_clients(pool.id, limit, token)

    async def client_for_public_call(self, client_id: str) -> tuple[UserPool, AppClient]:
        """The client named by a public call, and its pool; ResourceNotFound when unknown."""
        found = await self._store.find_client_with_pool(ClientId(client_id))
        if found is None:
            raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
        client, pool = found
        if pool is None:
            raise ResourceNotFoundException(f"User pool {client.pool_id} does not exist.")
        return pool, client

    async def client_with_pool(self, client_id: str) -> tuple[UserPool, AppClient] | None:
        """The client and its pool in one read; None when either is gone."""
        found = await self._store.find_client_with_pool(ClientId(client_id))
        if found is None or found[1] is None:
            return None
        return found[1], found[0]

    async def client_in_pool(self, pool_id: str, client_id: str) -> tuple[UserPool, AppClient]:
        pool = await self._pools.require(pool_id)
        return pool, await self.client_of_pool(pool, client_id)

    async def client_of_pool(self, pool: UserPool, client_id: str) -> AppClient:
        """The client of an already loaded pool: one read, not two (GetUser's hot path)."""
        client = await self._store.get_client(pool.id, ClientId(client_id))
        if client is None:
            raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
        return client


def check_secret_hash(client: AppClient, username: str, given: str | None) -> None:
    """Clients with a secret must prove it; clients without one must not send a hash."""
    if client.secret is None:
        return
    if not given:
        raise NotAuthorizedException(
            f"Client {client.id} is configured with secret but SECRET_HASH was not received"
        )
    expected = secret_hash(username, client.id, client.secret)
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise NotAuthorizedException(f"Unable to verify secret hash for client {client.id}")


def check_client_secret(client: AppClient, given: str | None) -> None:
    if client.secret is None:
        return
    if not given or not hmac.compare_digest(client.secret.encode(), given.encode()):
        raise NotAuthorizedException(f"Unable to verify secret for client {client.id}")
