"""Assembles a pool's identity providers: `IdentityProviderService` over its SQL store, the
social providers' effective endpoints, and the provider identities linked to users
(`ProviderLinkService`), for wiring.py, the only caller."""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.store.sql.identity_providers import SqlIdentityProviderStore
from mamori.adapters.store.sql.provider_links import SqlProviderLinkStore
from mamori.adapters.store.sql.users import SqlUserStore
from mamori.crypto.aead import Keyring
from mamori.domain.userpools.provider_endpoints import ProviderEndpoints
from mamori.services.ports import Clock
from mamori.services.userpools.identity_providers import IdentityProviderService
from mamori.services.userpools.pools import PoolService
from mamori.services.users.provider_links import ProviderLinkService


class IdentityProviderServices(TypedDict):
    """The `Services` fields this module builds (wiring passes them on with `**`)."""

    identity_providers: IdentityProviderService
    provider_endpoints: ProviderEndpoints
    provider_links: ProviderLinkService


def build_identity_providers(
    engine: AsyncEngine,
    keyring: Keyring,
    pools: PoolService,
    clock: Clock,
    endpoints: ProviderEndpoints,
) -> IdentityProviderServices:
    providers = IdentityProviderService(SqlIdentityProviderStore(engine, keyring), pools, clock)
    return IdentityProviderServices(
        identity_providers=providers,
        provider_endpoints=endpoints,
        provider_links=ProviderLinkService(
            SqlProviderLinkStore(engine), SqlUserStore(engine), providers, pools, clock
        ),
    )
