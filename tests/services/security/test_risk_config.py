"""RiskConfigService as wiring builds it, on a fresh SQLite and PostgreSQL database: what
`effective` gives follows the pool's UserPoolAddOns (UpdateUserPool) and the configurations
set for the pool and a client, and goes with the client when it is deleted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.inprocess import FrozenClock, fresh_database, services_on

from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.domain.security.risk_config import (
    EMPTY_CONFIGURATION,
    RangeVerdict,
    RiskConfiguration,
    RiskExceptions,
    SecurityMode,
    compromised_credentials,
)

POOL_CONFIG = RiskConfiguration(exceptions=RiskExceptions(blocked=("203.0.113.0/24",)))
CLIENT_CONFIG = RiskConfiguration(compromised=compromised_credentials(["SIGN_UP"], "BLOCK"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path, request.param) as url:
        yield url


@pytest.mark.anyio
async def test_effective_follows_the_mode_and_the_configurations(
    database: str, tmp_path: Path
) -> None:
    async with services_on(database, tmp_path, FrozenClock()) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "risk"))
        client = await s.clients.create_user_pool_client(
            pool.id, client_in({"ClientName": "c"}), False
        )
        risk = s.risk_config
        await risk.set_risk_configuration(pool.id, None, POOL_CONFIG)
        await risk.set_risk_configuration(pool.id, client.id, CLIENT_CONFIG)

        off = await risk.effective(pool.id, client.id)
        assert off.mode is SecurityMode.OFF and off.configuration == EMPTY_CONFIGURATION

        for mode in ("AUDIT", "ENFORCED"):
            await s.pools.update_user_pool(
                pool.id,
                pool_in({"UserPoolAddOns": {"AdvancedSecurityMode": mode}}, pool.name),
                name=None,
                tags=None,
            )
            through_client = await risk.effective(pool.id, client.id)
            assert through_client.mode is SecurityMode(mode)
            assert through_client.configuration == CLIENT_CONFIG
            pool_wide = await risk.effective(pool.id, None)
            assert pool_wide.configuration == POOL_CONFIG
            exceptions = pool_wide.configuration.exceptions
            assert exceptions is not None
            assert exceptions.verdict("203.0.113.9") is RangeVerdict.BLOCKED

        await s.clients.delete_user_pool_client(pool.id, client.id)
        # Its configuration went with it: a request naming it gets the pool's.
        gone = await risk.effective(pool.id, client.id)
        assert gone.configuration == POOL_CONFIG
