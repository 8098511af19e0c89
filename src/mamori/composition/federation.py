"""Assembles federated sign-in for wiring.py: OidcFederation (services/federation/oidc.py) over
the pool's identity providers, a relying party on the shared HTTP client with the issuers' key
cache, the sealed states and the federated users (services/users/federated.py), as the
container field `federation`; and SAML (`build_saml`): SamlFederation over pysaml2
(adapters/federation/saml.py) on worker threads, its SQL store and the pools' SAML keys, as
the container fields `saml`, `saml_keys` and `saml_logout`."""

from __future__ import annotations

from typing import TypedDict

import anyio
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.federation.saml import Pysaml2ServiceProvider
from mamori.adapters.store.sql.groups import SqlGroupStore
from mamori.adapters.store.sql.saml import SqlSamlStore
from mamori.adapters.store.sql.users import SqlUserStore
from mamori.crypto.aead import Keyring
from mamori.domain.userpools.provider_endpoints import ProviderEndpoints
from mamori.services.federation.inbound import InboundFederation
from mamori.services.federation.oidc import OidcFederation
from mamori.services.federation.ports import (
    IdentityProviders,
    OidcRelyingParty,
    ProfileClient,
    SamlProviders,
    SamlStarter,
)
from mamori.services.federation.saml import SamlFederation
from mamori.services.federation.saml_keys import SamlKeys
from mamori.services.federation.saml_logout import SamlLogout
from mamori.services.federation.states import FederationStates
from mamori.services.ports import Clock
from mamori.services.userpools.pools import PoolService
from mamori.services.users.accounts import UserAccounts
from mamori.services.users.federated import FederatedUsers
from mamori.services.users.sign_up_triggers import SignUpTriggers


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
    saml: SamlStarter | None = None,
    triggers: SignUpTriggers | None = None,
    inbound: InboundFederation | None = None,
) -> OidcFederation:
    """`relying_party`: adapters/federation/oidc.py on the shared client (a test passes its
    own); `endpoints`: the social providers' effective URLs (the federation_endpoints setting);
    `profiles`: Facebook's and Login with Amazon's calls (the same adapter in wiring)."""
    federated = FederatedUsers(
        users, SqlUserStore(engine), SqlGroupStore(engine), pools, clock, triggers
    )
    return OidcFederation(
        providers,
        relying_party,
        federated,
        FederationStates(keyring, clock),
        endpoints,
        clock,
        profiles,
        saml,
        inbound,
    )


class SamlServices(TypedDict):
    """The `Services` fields `build_saml` makes (wiring passes them on with `**`)."""

    saml: SamlFederation
    saml_keys: SamlKeys
    saml_logout: SamlLogout


def build_saml(
    engine: AsyncEngine,
    keyring: Keyring,
    clock: Clock,
    pools: PoolService,
    users: UserAccounts,
    providers: SamlProviders,
    http: httpx.AsyncClient,
    timeout_seconds: float,
    threads: anyio.CapacityLimiter,
    triggers: SignUpTriggers | None = None,
    inbound: InboundFederation | None = None,
) -> SamlServices:
    """`http`: the shared client (MetadataURL); `threads`: where pysaml2's xmlsec1 calls and
    the keys' generation run, off the event loop."""
    store = SqlSamlStore(engine)
    adapter = Pysaml2ServiceProvider(http, timeout_seconds, threads)
    keys = SamlKeys(store, pools, keyring, clock, threads, adapter)
    federated = FederatedUsers(
        users, SqlUserStore(engine), SqlGroupStore(engine), pools, clock, triggers
    )
    saml = SamlFederation(
        providers,
        adapter,
        store,
        keys,
        federated,
        FederationStates(keyring, clock),
        keyring,
        clock,
        inbound,
    )
    logout = SamlLogout(providers, adapter, store, keys, keyring, clock)
    return SamlServices(saml=saml, saml_keys=keys, saml_logout=logout)
