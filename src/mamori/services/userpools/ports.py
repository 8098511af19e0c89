"""The stores user pools, app clients, domains, resource servers, branding and identity providers
are kept in."""

from __future__ import annotations

from typing import Protocol

from mamori.domain.ids import ClientId, PoolId
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.branding import ManagedLoginBranding, UICustomization
from mamori.domain.userpools.domains import UserPoolDomain
from mamori.domain.userpools.identity_providers import IdentityProvider
from mamori.domain.userpools.resource_servers import ResourceServer
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.ports import Page


class PoolStore(Protocol):
    async def add_pool(self, pool: UserPool) -> None: ...
    async def get_pool(self, pool_id: PoolId) -> UserPool | None: ...
    async def save_pool(self, pool: UserPool) -> None: ...
    async def delete_pool(self, pool_id: PoolId) -> None: ...
    async def list_pools(self, limit: int, after: str | None) -> Page[UserPool]: ...
    async def count_users(self, pool_id: PoolId) -> int: ...


class ClientStore(Protocol):
    async def add_client(self, client: AppClient) -> None: ...
    async def get_client(self, pool_id: PoolId, client_id: ClientId) -> AppClient | None: ...
    async def find_client(self, client_id: ClientId) -> AppClient | None: ...
    async def find_client_with_pool(
        self, client_id: ClientId
    ) -> tuple[AppClient, UserPool | None] | None:
        """The client and its pool in one read (every public call starts with both)."""

    async def save_client(self, client: AppClient) -> None: ...
    async def delete_client(self, pool_id: PoolId, client_id: ClientId) -> None: ...
    async def list_clients(
        self, pool_id: PoolId, limit: int, after: str | None
    ) -> Page[AppClient]: ...


class DomainStore(Protocol):
    async def add_domain(self, domain: UserPoolDomain) -> bool:
        """False when the name is taken, or the pool has a domain of that kind already."""

    async def get_domain(self, name: str) -> UserPoolDomain | None:
        """By name, whatever the pool (names are unique across pools)."""

    async def domains_of(self, pool_id: PoolId) -> list[UserPoolDomain]: ...
    async def save_domain(self, domain: UserPoolDomain) -> None: ...
    async def delete_domain(self, pool_id: PoolId, name: str) -> bool: ...


class ScopeReader(Protocol):
    async def scopes_of(self, pool_id: PoolId) -> frozenset[str]:
        """Every `<identifier>/<scope name>` of the pool's resource servers."""


class ResourceServerStore(ScopeReader, Protocol):
    async def add_server(self, server: ResourceServer) -> bool:
        """False when the pool has a server with that identifier."""

    async def get_server(self, pool_id: PoolId, identifier: str) -> ResourceServer | None: ...
    async def save_server(self, server: ResourceServer) -> None: ...
    async def delete_server(self, pool_id: PoolId, identifier: str) -> bool: ...
    async def count_servers(self, pool_id: PoolId) -> int: ...
    async def list_servers(
        self, pool_id: PoolId, limit: int, after: str | None
    ) -> Page[ResourceServer]: ...


class BrandingStore(Protocol):
    async def put_ui_customization(self, ui: UICustomization) -> None:
        """Insert or replace the customization of (pool, client id or ALL)."""

    async def get_ui_customization(
        self, pool_id: PoolId, client_id: str
    ) -> UICustomization | None: ...
    async def add_managed(self, branding: ManagedLoginBranding) -> bool:
        """False when the client has a branding already."""

    async def get_managed(
        self, pool_id: PoolId, branding_id: str
    ) -> ManagedLoginBranding | None: ...

    async def managed_of_client(
        self, pool_id: PoolId, client_id: str
    ) -> ManagedLoginBranding | None: ...
    async def save_managed(self, branding: ManagedLoginBranding) -> None: ...
    async def delete_managed(self, pool_id: PoolId, branding_id: str) -> bool: ...


class ProviderNames(Protocol):
    async def provider_names(self, pool_id: PoolId) -> frozenset[str]:
        """The names of the pool's identity providers (SupportedIdentityProviders' choices)."""


class IdentityProviderStore(ProviderNames, Protocol):
    async def add_provider(self, provider: IdentityProvider) -> bool:
        """False when the pool has a provider of that name or one of its IdpIdentifiers."""

    async def get_provider(self, pool_id: PoolId, name: str) -> IdentityProvider | None: ...
    async def find_by_identifier(
        self, pool_id: PoolId, identifier: str
    ) -> IdentityProvider | None: ...
    async def providers_of(self, pool_id: PoolId) -> list[IdentityProvider]: ...
    async def save_provider(self, provider: IdentityProvider) -> bool:
        """False when another provider of the pool holds one of its IdpIdentifiers."""

    async def delete_provider(self, pool_id: PoolId, name: str) -> bool: ...
    async def count_providers(self, pool_id: PoolId) -> int: ...
    async def list_providers(
        self, pool_id: PoolId, limit: int, after: str | None
    ) -> Page[IdentityProvider]: ...
