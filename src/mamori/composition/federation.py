"""Assembles federated sign-in for wiring.py: OidcFederation (services/federation/oidc.py) over
the pool's identity providers, a relying party on the shared HTTP client with the issuers' key
cache, the sealed states and the federated users (services/users/federated.py), as the
container field `federation`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.store.sql.groups import SqlGroupStore
from mamori.adapters.store.sql.users import SqlUserStore
from mamori.crypto.aead import Keyring
from mamori.domain.userpools.provider_endpoints import ProviderEndpoints
from mamori.services.federation.oidc import OidcFederation
from mamori.services.federation.ports import IdentityProviders, OidcRelyingParty, ProfileClient
from mamori.services.federation.states import FederationStates
from mamori.services.ports import Clock
from mamori.services.userpools.pools import PoolService
from mamori.services.users.accounts import UserAccounts
from mamori.services.users.federated import FederatedUsers


def build_federation(
    engine: AsyncEngine,
    keyring: Keyring,
    clock: Clock,
    pools: PoolService,
    users: UserAccounts,
    providers: IdentityProviders,
    relying_party: OidcRelyingParty,
    endpoints: ProviderEndpoints,
    profiles: ProfileClient | None = None,
) -> OidcFederation:
    """`relying_party`: adapters/federation/oidc.py on the shared client (a test passes its
    own); `endpoints`: the social providers' effective URLs (the federation_endpoints setting);
    `profiles`: Facebook's and Login with Amazon's calls (the same adapter in wiring)."""
    federated = FederatedUsers(users, SqlUserStore(engine), SqlGroupStore(engine), pools, clock)
    return OidcFederation(
        providers,
        relying_party,
        federated,
        FederationStates(keyring, clock),
        endpoints,
        clock,
        profiles,
    )
