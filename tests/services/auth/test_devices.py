"""Remembered devices as sign-in sees them, in-process on a frozen clock: confirmation, listing and
the purge of stale unconfirmed devices."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from pycognito.aws_srp import generate_hash_device
from sqlalchemy import select
from tests.support.factories import PASSWORD
from tests.support.inprocess import FrozenClock, fresh_database, services_on

from mamori.adapters.store.sql.connection.engine import make_sync_engine
from mamori.adapters.store.sql.tables import devices
from mamori.api.aws.cognito_idp.challenges import sign_in_request
from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.crypto import srp

OPT_IN = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("devices"), request.param) as url:
        yield url


@pytest.mark.anyio
async def test_device_life_as_sign_in_sees_it(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await s.pools.create_user_pool(pool_in({"DeviceConfiguration": OPT_IN}, "d"))
        config = s.devices.configuration(pool)
        assert config is not None and config.device_only_remembered_on_user_prompt
        client = await s.clients.create_user_pool_client(
            pool.id,
            client_in(
                {
                    "UserPoolId": pool.id,
                    "ClientName": "c",
                    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"],
                }
            ),
            False,
        )
        name = f"u-{secrets.token_hex(3)}"
        await s.admin_users.admin_create_user(pool.id, name, {}, None, "SUPPRESS", ())
        await s.admin_users.admin_set_user_password(pool.id, name, PASSWORD, permanent=True)
        user = await s.admin_users.admin_get_user(pool.id, name)
        key, group = await s.devices.new_device_metadata(pool, user, "192.0.2.7")
        assert key.startswith(pool.id.split("_")[0] + "_")
        # Unconfirmed: sign-in cannot use it, lists do not show it.
        assert await s.devices.device_for_sign_in(pool, user, key) is None
        assert await s.devices.get_device_verifier(pool, user, key) is None
        out = await s.auth.initiate_auth(
            client.id,
            sign_in_request("USER_PASSWORD_AUTH", {"USERNAME": name, "PASSWORD": PASSWORD}),
        )
        assert out.result is not None
        password, config_wire = generate_hash_device(group, key)
        necessary = await s.devices.confirm_device(
            out.result.access_token,
            key,
            config_wire["Salt"],
            config_wire["PasswordVerifier"],
            "phone",
            "192.0.2.8",
        )
        assert necessary is True
        device = await s.devices.device_for_sign_in(pool, user, key)
        assert device is not None and not device.remembered and device.last_ip == "192.0.2.8"
        # The stored verifier is the one the device's password makes (what DEVICE_SRP proves).
        verifier = await s.devices.get_device_verifier(pool, user, key)
        assert verifier is not None
        expected = srp.make_verifier(group, key, password, verifier.salt)
        assert verifier.verifier == expected.verifier
        clock.advance(minutes=5)
        await s.devices.mark_authenticated(pool, user, key, "192.0.2.9")
        device = await s.devices.device_for_sign_in(pool, user, key)
        assert device is not None and device.last_authenticated == clock.now()
        assert device.last_ip == "192.0.2.9"
        # Another user never sees it.
        other = f"o-{secrets.token_hex(3)}"
        await s.admin_users.admin_create_user(pool.id, other, {}, None, "SUPPRESS", ())
        someone = await s.admin_users.admin_get_user(pool.id, other)
        assert await s.devices.device_for_sign_in(pool, someone, key) is None
        # Keys handed out and never confirmed go after a day.
        stale, _ = await s.devices.new_device_metadata(pool, user)
        # The password sign-in above got NewDeviceMetadata of its own (never confirmed).
        assert out.new_device is not None
        assert sorted(unconfirmed_keys(database, user.sub)) == sorted([stale, out.new_device[0]])
        clock.advance(days=1, seconds=1)
        fresh, _ = await s.devices.new_device_metadata(pool, user)
        assert unconfirmed_keys(database, user.sub) == [fresh]
        page = await s.devices.admin_list_devices(pool.id, name, 60, None)
        assert [d.key for d in page.items] == [key]


def unconfirmed_keys(database_url: str, sub: str) -> list[str]:
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(devices.c.device_key).where(
                    devices.c.sub == sub, devices.c.confirmed.is_(False)
                )
            ).all()
    finally:
        engine.dispose()
    return [r[0] for r in rows]
