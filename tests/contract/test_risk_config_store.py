"""SqlRiskConfigStore (SetRiskConfiguration) on SQLite and PostgreSQL: every field of the three
configurations round trips (templates and placeholders exactly as given), a pool's and a
client's are read together and replaced whole, deleted alone, with their client and with their
pool, and pool B never reads pool A's."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from tests.support.entities import NOW
from tests.support.stores import Stores

from mamori.adapters.store.sql.risk_config import SqlRiskConfigStore
from mamori.domain.ids import ClientId, PoolId
from mamori.domain.security.risk_config import (
    AccountTakeover,
    CompromisedAction,
    CompromisedCredentials,
    NotifyConfiguration,
    NotifyEmail,
    RiskConfiguration,
    RiskEvent,
    RiskExceptions,
    StoredRiskConfiguration,
    TakeoverAction,
    TakeoverEventAction,
)

pytestmark = pytest.mark.anyio

TEMPLATE = (
    "<p>Hi {username}: a sign-in from {ip-address} ({city}, {country}) at {login-time} on "
    "{device-name}. <a href={one-click-link-valid}>Me</a> <a href={one-click-link-invalid}>Not "
    "me</a> — ünïcødé ✓</p>"
)

FULL = RiskConfiguration(
    compromised=CompromisedCredentials(
        frozenset({RiskEvent.SIGN_IN, RiskEvent.PASSWORD_CHANGE}), CompromisedAction.BLOCK
    ),
    takeover=AccountTakeover(
        notify=NotifyConfiguration(
            source_arn="arn:aws:ses:us-east-1:111111111111:identity/no-reply@example.com",
            from_address="Example <no-reply@example.com>",
            reply_to="help@example.com",
            block_email=NotifyEmail("Blocked", TEMPLATE, "text {username}"),
            no_action_email=NotifyEmail("Seen", None, "text only {ip-address}"),
            mfa_email=None,
        ),
        low=TakeoverAction(False, TakeoverEventAction.NO_ACTION),
        medium=TakeoverAction(True, TakeoverEventAction.MFA_IF_CONFIGURED),
        high=TakeoverAction(True, TakeoverEventAction.BLOCK),
    ),
    exceptions=RiskExceptions(("10.0.0.0/8", "2001:db8::/32"), ("192.0.2.1",)),
)


def stored(
    pool_id: PoolId, client_id: str | None, config: RiskConfiguration, at: datetime = NOW
) -> StoredRiskConfiguration:
    return StoredRiskConfiguration(pool_id, ClientId(client_id) if client_id else None, config, at)


async def test_every_field_round_trips(stores: Stores) -> None:
    store = SqlRiskConfigStore(stores.engine)
    pool = await stores.pool()
    await store.put_risk_configuration(stored(pool.id, None, FULL))
    found, client = await store.risk_configurations(pool.id, None)
    assert found == stored(pool.id, None, FULL)
    assert client is None


async def test_a_partial_configuration_keeps_the_rest_unset(stores: Stores) -> None:
    store = SqlRiskConfigStore(stores.engine)
    pool = await stores.pool()
    only = RiskConfiguration(takeover=AccountTakeover(high=FULL.takeover.high))  # type: ignore[union-attr]
    await store.put_risk_configuration(stored(pool.id, None, only))
    found, _ = await store.risk_configurations(pool.id, None)
    assert found is not None and found.configuration == only


async def test_pool_and_client_are_read_together_and_replaced_whole(stores: Stores) -> None:
    store = SqlRiskConfigStore(stores.engine)
    pool = await stores.pool()
    client = await stores.client(pool)
    other = await stores.client(pool)
    pool_config = RiskConfiguration(exceptions=RiskExceptions(("10.0.0.0/8",)))
    await store.put_risk_configuration(stored(pool.id, None, pool_config))
    await store.put_risk_configuration(stored(pool.id, client.id, FULL))
    assert await store.risk_configurations(pool.id, client.id) == (
        stored(pool.id, None, pool_config),
        stored(pool.id, client.id, FULL),
    )
    # Another client has none of its own.
    assert await store.risk_configurations(pool.id, other.id) == (
        stored(pool.id, None, pool_config),
        None,
    )
    later = NOW + timedelta(minutes=5)
    replacement = RiskConfiguration(
        compromised=CompromisedCredentials(frozenset(RiskEvent), CompromisedAction.NO_ACTION)
    )
    await store.put_risk_configuration(stored(pool.id, client.id, replacement, later))
    _, found = await store.risk_configurations(pool.id, client.id)
    assert found == stored(pool.id, client.id, replacement, later)


async def test_deleted_alone(stores: Stores) -> None:
    store = SqlRiskConfigStore(stores.engine)
    pool = await stores.pool()
    client = await stores.client(pool)
    await store.put_risk_configuration(stored(pool.id, None, FULL))
    await store.put_risk_configuration(stored(pool.id, client.id, FULL))
    await store.delete_risk_configuration(pool.id, client.id)
    pool_config, client_config = await store.risk_configurations(pool.id, client.id)
    assert pool_config is not None and client_config is None
    await store.delete_risk_configuration(pool.id, None)
    assert await store.risk_configurations(pool.id, client.id) == (None, None)
    await store.delete_risk_configuration(pool.id, None)  # nothing there: no error


async def test_deleted_with_its_client_and_with_its_pool(stores: Stores) -> None:
    store = SqlRiskConfigStore(stores.engine)
    pool = await stores.pool()
    client = await stores.client(pool)
    await store.put_risk_configuration(stored(pool.id, None, FULL))
    await store.put_risk_configuration(stored(pool.id, client.id, FULL))
    await stores.clients.delete_client(pool.id, client.id)
    pool_config, client_config = await store.risk_configurations(pool.id, client.id)
    assert pool_config is not None and client_config is None
    await stores.pools.delete_pool(pool.id)
    assert await store.risk_configurations(pool.id, client.id) == (None, None)


async def test_pool_b_never_reads_pool_a(stores: Stores) -> None:
    store = SqlRiskConfigStore(stores.engine)
    a, b = await stores.pool(), await stores.pool()
    client = await stores.client(a)
    await store.put_risk_configuration(stored(a.id, None, FULL))
    await store.put_risk_configuration(stored(a.id, client.id, FULL))
    assert await store.risk_configurations(b.id, client.id) == (None, None)
    await store.delete_risk_configuration(b.id, client.id)
    await store.delete_risk_configuration(b.id, None)
    _, still = await store.risk_configurations(a.id, client.id)
    assert still is not None
