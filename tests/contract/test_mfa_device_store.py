"""The MFA and device stores on both databases: secrets sealed at rest, writes that leave each
other's columns alone, the replay guard, confirming once, listing and pruning."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import anyio
import pytest
from sqlalchemy import select
from tests.support.entities import NOW
from tests.support.stores import Stores

from mamori.adapters.store.sql.tables import devices, user_mfa
from mamori.domain.auth.device import Device, DeviceStatus
from mamori.domain.auth.mfa import UserMfa
from mamori.domain.ids import PoolId, UserSub
from mamori.domain.userpools.mfa_settings import MfaFactor

pytestmark = pytest.mark.anyio
SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
NEXT = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


async def test_totp_secrets_are_sealed_to_their_user(stores: Stores) -> None:
    pool = await stores.pool()
    alice, bob = await stores.user(pool), await stores.user(pool)
    await stores.mfa.set_pending_secret(pool.id, alice.sub, SECRET, NOW)
    assert await stores.mfa.activate_secret(pool.id, alice.sub, SECRET, "phone", 7, NOW, False)
    await stores.mfa.set_pending_secret(pool.id, alice.sub, NEXT, NOW)
    async with stores.engine.connect() as conn:
        row = (await conn.execute(select(user_mfa).where(user_mfa.c.sub == alice.sub))).one()
        assert SECRET not in str(tuple(row)) and NEXT not in str(tuple(row))
        # A sealed secret copied to another user's row does not open there.
        await conn.execute(
            user_mfa.insert().values(
                pool_id=pool.id,
                sub=bob.sub,
                sms_enabled=False,
                totp_enabled=False,
                email_enabled=False,
                totp_sealed=row.totp_sealed,
                totp_failures=0,
                modified=NOW,
            )
        )
        await conn.commit()
    mfa = await stores.mfa.get_mfa(pool.id, alice.sub)
    assert mfa is not None
    assert (mfa.totp_secret, mfa.pending_secret, mfa.totp_name) == (SECRET, NEXT, "phone")
    assert mfa.totp_last_step == 7
    with pytest.raises(ValueError):
        await stores.mfa.get_mfa(pool.id, bob.sub)


async def test_activation_takes_the_pending_secret_once(stores: Stores) -> None:
    pool = await stores.pool()
    user = await stores.user(pool)
    assert not await stores.mfa.activate_secret(pool.id, user.sub, SECRET, None, 1, NOW, True)
    await stores.mfa.set_pending_secret(pool.id, user.sub, SECRET, NOW)
    results = []

    async def activate() -> None:
        results.append(
            await stores.mfa.activate_secret(pool.id, user.sub, SECRET, None, 1, NOW, True)
        )

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(activate)
    assert sorted(results) == [False, False, False, True]
    mfa = await stores.mfa.get_mfa(pool.id, user.sub)
    assert mfa is not None and mfa.pending_secret is None
    assert mfa.enabled == (MfaFactor.SOFTWARE_TOKEN_MFA,)
    assert mfa.preferred is MfaFactor.SOFTWARE_TOKEN_MFA


async def test_enabling_keeps_another_preferred_factor(stores: Stores) -> None:
    pool = await stores.pool()
    user = await stores.user(pool)
    base = await stores.mfa.get_mfa(pool.id, user.sub)
    assert base is None
    prefs = UserMfa(pool.id, user.sub, sms_enabled=True, preferred=MfaFactor.SMS_MFA)
    await stores.mfa.save_preferences(prefs, NOW)
    await stores.mfa.set_pending_secret(pool.id, user.sub, SECRET, NOW)
    assert await stores.mfa.activate_secret(pool.id, user.sub, SECRET, None, 1, NOW, True)
    mfa = await stores.mfa.get_mfa(pool.id, user.sub)
    assert mfa is not None and mfa.preferred is MfaFactor.SMS_MFA
    assert mfa.enabled == (MfaFactor.SMS_MFA, MfaFactor.SOFTWARE_TOKEN_MFA)


async def test_each_step_is_used_once_even_concurrently(stores: Stores) -> None:
    pool = await stores.pool()
    user = await stores.user(pool)
    assert not await stores.mfa.use_step(pool.id, user.sub, 5, NOW)  # no token at all
    await stores.mfa.set_pending_secret(pool.id, user.sub, SECRET, NOW)
    assert await stores.mfa.activate_secret(pool.id, user.sub, SECRET, None, 5, NOW, False)
    assert not await stores.mfa.use_step(pool.id, user.sub, 5, NOW)
    assert not await stores.mfa.use_step(pool.id, user.sub, 4, NOW)
    results = []

    async def use() -> None:
        results.append(await stores.mfa.use_step(pool.id, user.sub, 6, NOW))

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(use)
    assert sorted(results) == [False, False, False, True]


async def test_totp_attempts_are_counted_before_the_code_is_checked(stores: Stores) -> None:
    """Issue 9 item 3: of many concurrent attempts, only `free` are counted (and so checked)
    while the last failure is recent; once the wait is over, one more."""
    pool = await stores.pool()
    user = await stores.user(pool)
    await stores.mfa.set_pending_secret(pool.id, user.sub, SECRET, NOW)
    assert await stores.mfa.activate_secret(pool.id, user.sub, SECRET, None, 5, NOW, False)
    recent = [NOW - timedelta(minutes=1), NOW - timedelta(minutes=2)]
    results: list[bool] = []

    async def attempt() -> None:
        results.append(await stores.mfa.count_attempt(pool.id, user.sub, NOW, 3, recent))

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(attempt)
    assert results.count(True) == 3
    mfa = await stores.mfa.get_mfa(pool.id, user.sub)
    assert mfa is not None and mfa.totp_failures == 3 and mfa.totp_failed_at == NOW
    # 3 failures: the first cutoff applies; the last failure (NOW) is after it.
    later = NOW + timedelta(seconds=59)
    cutoffs = [later - timedelta(minutes=1), later - timedelta(minutes=2)]
    assert not await stores.mfa.count_attempt(pool.id, user.sub, later, 3, cutoffs)
    later = NOW + timedelta(minutes=1)
    cutoffs = [later - timedelta(minutes=1), later - timedelta(minutes=2)]
    assert await stores.mfa.count_attempt(pool.id, user.sub, later, 3, cutoffs)
    # 4 failures (the last at `later`) and beyond: the last cutoff applies.
    before = later - timedelta(seconds=1)
    assert not await stores.mfa.count_attempt(pool.id, user.sub, NOW, 3, [later, before])
    assert await stores.mfa.count_attempt(pool.id, user.sub, NOW, 3, [before, later])
    # A right code starts the count again.
    assert await stores.mfa.use_step(pool.id, user.sub, 6, NOW)
    assert await stores.mfa.count_attempt(pool.id, user.sub, NOW, 3, recent)


async def test_preferences_and_the_replay_guard_do_not_undo_each_other(stores: Stores) -> None:
    pool = await stores.pool()
    user = await stores.user(pool)
    await stores.mfa.set_pending_secret(pool.id, user.sub, SECRET, NOW)
    assert await stores.mfa.activate_secret(pool.id, user.sub, SECRET, None, 5, NOW, False)
    stale = await stores.mfa.get_mfa(pool.id, user.sub)
    assert stale is not None
    assert await stores.mfa.use_step(pool.id, user.sub, 9, NOW)
    assert await stores.mfa.count_attempt(pool.id, user.sub, NOW, 5, [NOW])
    # Written from a copy read before the code was used: the used step stays.
    await stores.mfa.save_preferences(dataclasses.replace(stale, software_token_enabled=True), NOW)
    mfa = await stores.mfa.get_mfa(pool.id, user.sub)
    assert mfa is not None and mfa.totp_last_step == 9 and mfa.software_token_enabled
    assert mfa.totp_failures == 1 and mfa.totp_failed_at == NOW
    assert await stores.mfa.use_step(pool.id, user.sub, 10, NOW)
    mfa = await stores.mfa.get_mfa(pool.id, user.sub)
    assert mfa is not None and mfa.totp_failures == 0


def device(pool_id: str, sub: str, key: str, **fields: Any) -> Device:
    base = Device(PoolId(pool_id), UserSub(sub), key, "-group1234", NOW, NOW)
    return dataclasses.replace(base, **fields)


async def test_devices_confirm_once_and_seal_their_verifier(stores: Stores) -> None:
    pool = await stores.pool()
    user = await stores.user(pool)
    key = "eu-west-1_11111111-1111-4111-8111-111111111111"
    await stores.devices.add_device(device(pool.id, user.sub, key))
    verifier = bytes([3]) + b"abc" + (12345).to_bytes(384, "big")
    confirmed = device(
        pool.id,
        user.sub,
        key,
        confirmed=True,
        status=DeviceStatus.REMEMBERED,
        name="phone",
        verifier=verifier,
        last_ip="192.0.2.1",
    )
    assert await stores.devices.confirm_device(confirmed)
    assert not await stores.devices.confirm_device(confirmed)
    assert await stores.devices.get_device(pool.id, user.sub, key) == confirmed
    async with stores.engine.connect() as conn:
        sealed = await conn.scalar(
            select(devices.c.verifier_sealed).where(devices.c.device_key == key)
        )
    assert sealed is not None and sealed.startswith("v1.") and verifier.hex() not in sealed
    assert "verifier=" not in repr(confirmed)


async def test_device_lists_pages_and_pruning(stores: Stores) -> None:
    pool = await stores.pool()
    user, other = await stores.user(pool), await stores.user(pool)
    keys = [f"eu-west-1_00000000-0000-4000-8000-00000000000{i}" for i in range(5)]
    for i, key in enumerate(keys):
        await stores.devices.add_device(
            device(
                pool.id,
                user.sub,
                key,
                confirmed=i < 4,
                status=DeviceStatus.REMEMBERED if i % 2 else DeviceStatus.NOT_REMEMBERED,
                created=NOW - timedelta(days=i),
            )
        )
    page = await stores.devices.list_devices(pool.id, user.sub, 3, None, False)
    assert [d.key for d in page.items] == keys[:3] and page.next_token
    page = await stores.devices.list_devices(pool.id, user.sub, 3, page.next_token, False)
    assert [d.key for d in page.items] == keys[3:4] and page.next_token is None
    remembered = await stores.devices.list_devices(pool.id, user.sub, 60, None, True)
    assert [d.key for d in remembered.items] == [keys[1], keys[3]]
    assert (await stores.devices.list_devices(pool.id, other.sub, 60, None, False)).items == []
    # Only the unconfirmed device older than the cut-off goes.
    await stores.devices.prune_unconfirmed(pool.id, user.sub, NOW - timedelta(days=3))
    assert await stores.devices.get_device(pool.id, user.sub, keys[4]) is None
    assert await stores.devices.get_device(pool.id, user.sub, keys[3]) is not None
    assert not await stores.devices.delete_device(pool.id, other.sub, keys[0])
    assert await stores.devices.delete_device(pool.id, user.sub, keys[0])
