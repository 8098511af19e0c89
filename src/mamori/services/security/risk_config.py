"""Threat protection's configuration: SetRiskConfiguration / DescribeRiskConfiguration, and
`effective` (the pool's AdvancedSecurityMode with the configuration that applies to a client),
which the compromised-credentials check, the risk engine and the auth-event log read."""

from __future__ import annotations

from mamori.domain.errors import ResourceNotFoundException
from mamori.domain.ids import ClientId, PoolId
from mamori.domain.security.risk_config import (
    EffectiveRisk,
    RiskConfiguration,
    SecurityMode,
    StoredRiskConfiguration,
    check_configuration,
    effective,
    security_mode,
)
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.ports import Clock
from mamori.services.security.ports import RiskClients, RiskConfigStore, RiskPools

# Cognito: "ALL" is the pool-wide configuration's client id (CloudFormation's
# UserPoolRiskConfigurationAttachment takes ClientId ALL for it, as GetUICustomization answers
# ALL for the pool's default); a ClientId of ALL sets or describes the pool's configuration.
ALL_CLIENTS = "ALL"


class RiskConfigService:
    def __init__(
        self, store: RiskConfigStore, pools: RiskPools, clients: RiskClients, clock: Clock
    ) -> None:
        self._store = store
        self._pools = pools
        self._clients = clients
        self._clock = clock

    async def _pool(self, pool_id: str) -> UserPool:
        pool = await self._pools.get_pool(PoolId(pool_id))
        if pool is None:
            raise ResourceNotFoundException(f"User pool {pool_id} does not exist.")
        return pool

    async def _client_key(self, pool: UserPool, client_id: str | None) -> ClientId | None:
        """The client the request names (None: the pool itself); an unknown client is an error."""
        if client_id is None or client_id == ALL_CLIENTS:
            return None
        client = await self._clients.get_client(pool.id, ClientId(client_id))
        if client is None:
            raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
        return client.id

    async def set_risk_configuration(
        self, pool_id: str, client_id: str | None, configuration: RiskConfiguration
    ) -> StoredRiskConfiguration:
        """Replace the pool's or the client's configuration whole.

        Cognito: a request with none of the three configurations resets: the pool's back to
        the defaults, a client's back to inheriting the pool's.
        """
        pool = await self._pool(pool_id)
        key = await self._client_key(pool, client_id)
        check_configuration(configuration)
        stored = StoredRiskConfiguration(pool.id, key, configuration, self._clock.now())
        if configuration.is_empty:
            await self._store.delete_risk_configuration(pool.id, key)
        else:
            await self._store.put_risk_configuration(stored)
        return stored

    async def describe_risk_configuration(
        self, pool_id: str, client_id: str | None
    ) -> StoredRiskConfiguration | None:
        """The client's own configuration, else the pool's (its client_id None: what the client
        inherits); None when neither has one."""
        pool = await self._pool(pool_id)
        key = await self._client_key(pool, client_id)
        pool_config, client_config = await self._store.risk_configurations(pool.id, key)
        return client_config or pool_config

    async def effective(self, pool_id: str, client_id: str | None) -> EffectiveRisk:
        """What applies to a request through `client_id` (None: no client, the pool's)."""
        return await self.effective_for(await self._pool(pool_id), client_id)

    async def effective_for(self, pool: UserPool, client_id: str | None) -> EffectiveRisk:
        """`effective` for a pool already read (one store read, no pool read)."""
        add_ons = pool.add_ons
        mode = security_mode(add_ons.advanced_security_mode if add_ons else None)
        flows = add_ons.additional_flows if add_ons else None
        custom = flows.custom_auth_mode if flows else None
        custom_mode = SecurityMode(custom) if custom else None
        if mode is SecurityMode.OFF:
            # Cognito: with threat protection off nothing is looked at, whatever is configured.
            return effective(mode, None, None, custom_mode)
        key = None if client_id in (None, ALL_CLIENTS) else ClientId(client_id or "")
        pool_config, client_config = await self._store.risk_configurations(pool.id, key)
        return effective(
            mode,
            pool_config.configuration if pool_config else None,
            client_config.configuration if client_config else None,
            custom_mode,
        )
