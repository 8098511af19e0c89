"""Assembles a pool's identity providers: `IdentityProviderService` over its SQL store, and the
social providers' effective endpoints, for wiring.py, the only caller."""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.store.sql.identity_providers import SqlIdentityProviderStore
from mamori.crypto.aead import Keyring
from mamori.domain.userpools.provider_endpoints import ProviderEndpoints
from mamori.services.ports import Clock
from mamori.services.userpools.identity_providers import IdentityProviderService
from mamori.services.userpools.pools import PoolService


class IdentityProviderServices(TypedDict):
    """The `Services` fields this module builds (wiring passes them on with `**`)."""

    identity_providers: IdentityProviderService
    provider_endpoints: ProviderEndpoints


def build_identity_providers(
    engine: AsyncEngine,
    keyring: Keyring,
    pools: PoolService,
    clock: Clock,
    endpoints: ProviderEndpoints,
) -> IdentityProviderServices:
    store = SqlIdentityProviderStore(engine, keyring)
    return IdentityProviderServices(
        identity_providers=IdentityProviderService(store, pools, clock),
        provider_endpoints=endpoints,
    )
