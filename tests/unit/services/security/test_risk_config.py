"""RiskConfigService over in-memory ports: what `effective` gives for each mode (OFF reads no
configuration), a client's configuration replacing the pool's, ClientId ALL as the pool, reset
by an empty request, validation before anything is written, and unknown pools and clients."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from tests.support.entities import NOW, client_value, pool_value
from tests.support.inprocess import FrozenClock

from mamori.domain.errors import InvalidParameterException, ResourceNotFoundException
from mamori.domain.ids import ClientId, PoolId
from mamori.domain.security.risk_config import (
    EMPTY_CONFIGURATION,
    RiskConfiguration,
    RiskExceptions,
    SecurityMode,
    StoredRiskConfiguration,
    compromised_credentials,
)
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.settings import AdditionalFlows, UserPoolAddOns
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.security.risk_config import RiskConfigService

pytestmark = pytest.mark.anyio

POOL_CONFIG = RiskConfiguration(exceptions=RiskExceptions(blocked=("10.0.0.0/8",)))
CLIENT_CONFIG = RiskConfiguration(compromised=compromised_credentials(None, "BLOCK"))


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


class Memory:
    """The three ports in memory, counting the store's reads."""

    def __init__(self) -> None:
        self.pools: dict[str, UserPool] = {}
        self.clients: dict[tuple[str, str], AppClient] = {}
        self.rows: dict[tuple[str, str | None], StoredRiskConfiguration] = {}
        self.reads = 0

    async def get_pool(self, pool_id: PoolId) -> UserPool | None:
        return self.pools.get(pool_id)

    async def get_client(self, pool_id: PoolId, client_id: ClientId) -> AppClient | None:
        return self.clients.get((pool_id, client_id))

    async def put_risk_configuration(self, stored: StoredRiskConfiguration) -> None:
        self.rows[(stored.pool_id, stored.client_id)] = stored

    async def delete_risk_configuration(self, pool_id: PoolId, client_id: ClientId | None) -> None:
        self.rows.pop((pool_id, client_id), None)

    async def risk_configurations(
        self, pool_id: PoolId, client_id: ClientId | None
    ) -> tuple[StoredRiskConfiguration | None, StoredRiskConfiguration | None]:
        self.reads += 1
        client = self.rows.get((pool_id, client_id)) if client_id else None
        return self.rows.get((pool_id, None)), client


def service(memory: Memory, clock: FrozenClock | None = None) -> RiskConfigService:
    return RiskConfigService(memory, memory, memory, clock or FrozenClock(NOW))


def add_pool(memory: Memory, mode: str | None, custom: str | None = None) -> UserPool:
    add_ons = None
    if mode is not None:
        flows = AdditionalFlows(custom) if custom else None
        add_ons = UserPoolAddOns(advanced_security_mode=mode, additional_flows=flows)
    pool = pool_value(add_ons=add_ons)
    memory.pools[pool.id] = pool
    return pool


def add_client(memory: Memory, pool: UserPool) -> AppClient:
    client = client_value(pool.id)
    memory.clients[(pool.id, client.id)] = client
    return client


async def test_off_reads_no_configuration() -> None:
    memory = Memory()
    for mode in (None, "OFF"):
        pool = add_pool(memory, mode)
        await service(memory).set_risk_configuration(pool.id, None, POOL_CONFIG)
        found = await service(memory).effective(pool.id, None)
        assert found.mode is SecurityMode.OFF and not found.active
        assert found.configuration == EMPTY_CONFIGURATION
    assert memory.reads == 0


@pytest.mark.parametrize("mode", ["AUDIT", "ENFORCED"])
async def test_client_replaces_pool_in_effect(mode: str) -> None:
    memory = Memory()
    pool = add_pool(memory, mode, custom="AUDIT")
    client, other = add_client(memory, pool), add_client(memory, pool)
    risk = service(memory)
    await risk.set_risk_configuration(pool.id, None, POOL_CONFIG)
    await risk.set_risk_configuration(pool.id, client.id, CLIENT_CONFIG)
    own = await risk.effective(pool.id, client.id)
    assert own.mode is SecurityMode(mode) and own.configuration == CLIENT_CONFIG
    assert own.custom_auth_mode is SecurityMode.AUDIT
    assert (await risk.effective(pool.id, other.id)).configuration == POOL_CONFIG
    assert (await risk.effective(pool.id, None)).configuration == POOL_CONFIG
    assert (await risk.effective_for(pool, "ALL")).configuration == POOL_CONFIG
    assert memory.reads == 4  # one store read each


async def test_set_describe_and_reset() -> None:
    memory = Memory()
    clock = FrozenClock(NOW)
    pool = add_pool(memory, "ENFORCED")
    client = add_client(memory, pool)
    risk = service(memory, clock)
    assert await risk.describe_risk_configuration(pool.id, None) is None
    assert await risk.describe_risk_configuration(pool.id, client.id) is None

    await risk.set_risk_configuration(pool.id, "ALL", POOL_CONFIG)  # ALL is the pool
    pool_row = StoredRiskConfiguration(pool.id, None, POOL_CONFIG, NOW)
    assert await risk.describe_risk_configuration(pool.id, None) == pool_row
    assert await risk.describe_risk_configuration(pool.id, client.id) == pool_row  # inherited

    clock.advance(minutes=1)
    answer = await risk.set_risk_configuration(pool.id, client.id, CLIENT_CONFIG)
    client_row = StoredRiskConfiguration(
        pool.id, client.id, CLIENT_CONFIG, NOW + timedelta(minutes=1)
    )
    assert answer == client_row
    assert await risk.describe_risk_configuration(pool.id, client.id) == client_row

    await risk.set_risk_configuration(pool.id, client.id, EMPTY_CONFIGURATION)
    assert await risk.describe_risk_configuration(pool.id, client.id) == pool_row
    await risk.set_risk_configuration(pool.id, None, EMPTY_CONFIGURATION)
    assert memory.rows == {}


async def test_invalid_configuration_writes_nothing() -> None:
    memory = Memory()
    pool = add_pool(memory, "AUDIT")
    bad = RiskConfiguration(exceptions=RiskExceptions(skipped=("10.0.0.0/99",)))
    with pytest.raises(InvalidParameterException, match="SkippedIPRangeList"):
        await service(memory).set_risk_configuration(pool.id, None, bad)
    assert memory.rows == {}


async def test_unknown_pool_or_client() -> None:
    memory = Memory()
    pool = add_pool(memory, "AUDIT")
    other_pool = add_pool(memory, "AUDIT")
    foreign = add_client(memory, other_pool)
    risk = service(memory)
    with pytest.raises(ResourceNotFoundException, match="User pool"):
        await risk.describe_risk_configuration("eu-west-1_nothere", None)
    with pytest.raises(ResourceNotFoundException, match="User pool"):
        await risk.effective("eu-west-1_nothere", None)
    # A client of another pool is unknown here.
    with pytest.raises(ResourceNotFoundException, match="client"):
        await risk.set_risk_configuration(pool.id, foreign.id, POOL_CONFIG)
    with pytest.raises(ResourceNotFoundException, match="client"):
        await risk.describe_risk_configuration(pool.id, foreign.id)
    assert memory.rows == {}


async def test_modes_are_read_from_the_pool_add_ons() -> None:
    memory = Memory()
    pool = add_pool(memory, "AUDIT")
    risk = service(memory)
    assert (await risk.effective(pool.id, None)).enforced is False
    enforced = dataclasses.replace(pool, add_ons=UserPoolAddOns("ENFORCED"))
    assert (await risk.effective_for(enforced, None)).enforced is True
