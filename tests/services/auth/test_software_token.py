"""Software tokens (TOTP) in-process on a frozen clock: clock drift, replay, the old token until
the new one is verified, waits after wrong codes, factors turned on by verification and following
the pool and the user, and the pool's templates for SMS and email codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.factories import PASSWORD
from tests.support.inprocess import FrozenClock, fresh_database, services_on

from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.crypto import totp
from mamori.domain.auth.mfa import FactorSetting
from mamori.domain.errors import (
    CodeMismatchException,
    EnableSoftwareTokenMFAException,
    ExpiredCodeException,
    TooManyRequestsException,
)
from mamori.domain.userpools.mfa_settings import MfaConfiguration, MfaFactor
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.auth.mfa import PoolMfaChange
from mamori.services.container import Services


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("mfa"), request.param) as url:
        yield url


async def new_user(s: Services, pool: UserPool, **attributes: str) -> User:
    username = f"u{len(attributes)}-{totp.new_secret()[:8].lower()}"
    await s.admin_users.admin_create_user(pool.id, username, attributes, None, "SUPPRESS", ())
    await s.admin_users.admin_set_user_password(pool.id, username, PASSWORD, permanent=True)
    return await s.admin_users.admin_get_user(pool.id, username)


async def totp_pool(s: Services, mode: str = "OPTIONAL", **change: Any) -> UserPool:
    pool = await s.pools.create_user_pool(pool_in({}, "mfa"))
    return await s.mfa.set_user_pool_mfa_config(
        pool.id, PoolMfaChange(mode=MfaConfiguration(mode), **change)
    )


def code(secret: str, clock: FrozenClock, steps: int = 0) -> str:
    return totp.code_at_step(secret, totp.step_at(clock.now()) + steps)


@pytest.mark.anyio
async def test_one_step_of_drift_either_way(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await totp_pool(s, software_token=True)
        for steps, accepted in ((-1, True), (1, True), (-2, False), (2, False)):
            user = await new_user(s, pool)
            secret = await s.mfa.associate_for_session(pool, user)
            if accepted:
                await s.mfa.verify_for_session(pool, user, code(secret, clock, steps), None)
            else:
                with pytest.raises(EnableSoftwareTokenMFAException):
                    await s.mfa.verify_for_session(pool, user, code(secret, clock, steps), None)


@pytest.mark.anyio
async def test_sign_in_codes_work_once_and_never_backwards(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await totp_pool(s, software_token=True)
        user = await new_user(s, pool)
        secret = await s.mfa.associate_for_session(pool, user)
        await s.mfa.verify_for_session(pool, user, code(secret, clock), "phone")
        # The verifying code is spent, and so is every earlier one.
        assert not await s.mfa.check_totp(pool, user, code(secret, clock))
        assert not await s.mfa.check_totp(pool, user, code(secret, clock, -1))
        clock.advance(seconds=30)
        now_code = code(secret, clock)
        assert await s.mfa.check_totp(pool, user, now_code)
        assert not await s.mfa.check_totp(pool, user, now_code)
        assert await s.mfa.check_totp(pool, user, code(secret, clock, 1))  # a fast clock
        clock.advance(seconds=30)
        assert not await s.mfa.check_totp(pool, user, code(secret, clock))  # used just now
        assert not await s.mfa.check_totp(pool, user, "not-a-code")


@pytest.mark.anyio
async def test_the_old_token_works_until_the_new_one_is_verified(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await totp_pool(s, software_token=True)
        user = await new_user(s, pool)
        old = await s.mfa.associate_for_session(pool, user)
        await s.mfa.verify_for_session(pool, user, code(old, clock), None)
        new = await s.mfa.associate_for_session(pool, user)
        clock.advance(seconds=30)
        assert await s.mfa.check_totp(pool, user, code(old, clock))
        assert not await s.mfa.check_totp(pool, user, code(new, clock, 1))
        await s.mfa.verify_for_session(pool, user, code(new, clock, 1), None)
        clock.advance(seconds=60)
        assert not await s.mfa.check_totp(pool, user, code(old, clock))
        assert await s.mfa.check_totp(pool, user, code(new, clock))


@pytest.mark.anyio
async def test_wrong_codes_wait_and_the_wait_ends(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await totp_pool(s, software_token=True)
        user = await new_user(s, pool)
        secret = await s.mfa.associate_for_session(pool, user)
        await s.mfa.verify_for_session(pool, user, code(secret, clock), None)
        clock.advance(seconds=30)
        wrong = f"{(int(code(secret, clock)) + 500_000) % 1_000_000:06d}"
        for _ in range(5):
            assert not await s.mfa.check_totp(pool, user, wrong)
        with pytest.raises(TooManyRequestsException):
            await s.mfa.check_totp(pool, user, code(secret, clock))
        clock.advance(seconds=61)
        assert await s.mfa.check_totp(pool, user, code(secret, clock))
        # A right code starts the count again: five more wrong ones before the next wait.
        for _ in range(4):
            assert not await s.mfa.check_totp(pool, user, wrong)
        clock.advance(seconds=30)
        assert await s.mfa.check_totp(pool, user, code(secret, clock))


@pytest.mark.anyio
async def test_verifying_during_setup_turns_the_factor_on(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await totp_pool(s, "ON", software_token=True)
        user = await new_user(s, pool)
        state = await s.mfa.factors_for(pool, user)
        assert state.setup_needed and state.can_set_up == (MfaFactor.SOFTWARE_TOKEN_MFA,)
        secret = await s.mfa.associate_for_session(pool, user)
        await s.mfa.verify_for_session(pool, user, code(secret, clock), "phone")
        settings = await s.mfa.settings_of(user)
        assert settings.enabled == (MfaFactor.SOFTWARE_TOKEN_MFA,)
        assert settings.preferred is MfaFactor.SOFTWARE_TOKEN_MFA
        assert settings.totp_name == "phone"
        state = await s.mfa.factors_for(pool, user)
        assert not state.setup_needed
        assert state.challenge is MfaFactor.SOFTWARE_TOKEN_MFA


@pytest.mark.anyio
async def test_factors_follow_the_pool_and_the_user(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await totp_pool(s, sms=True, email=True, email_message="Mail {####}")
        user = await new_user(s, pool, phone_number="+15550100010", email="a@example.com")
        assert (await s.mfa.factors_for(pool, user)).factors == ()  # OPTIONAL, nothing chosen
        both = {
            MfaFactor.SMS_MFA: FactorSetting(True, False),
            MfaFactor.EMAIL_OTP: FactorSetting(True, False),
        }
        await s.mfa.admin_set_user_mfa_preference(pool.id, user.username, both)
        state = await s.mfa.factors_for(pool, user)
        assert state.factors == (MfaFactor.SMS_MFA, MfaFactor.EMAIL_OTP)
        assert state.needs_selection and state.challenge is None
        # The pool takes SMS away: only email is left, and it is the challenge.
        pool = await s.mfa.set_user_pool_mfa_config(
            pool.id, PoolMfaChange(mode=pool.mfa_configuration, email=True)
        )
        state = await s.mfa.factors_for(pool, user)
        assert state.factors == (MfaFactor.EMAIL_OTP,) and state.challenge is MfaFactor.EMAIL_OTP


@pytest.mark.anyio
async def test_sms_and_email_codes_use_the_pool_templates(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await totp_pool(
            s,
            sms=True,
            sms_message="Your sign-in code is {####}",
            email=True,
            email_message="Mail code {####}",
            email_subject="Sign in",
        )
        user = await new_user(s, pool, phone_number="+15550100011", email="b@example.com")
        for factor, destination, body in (
            (MfaFactor.SMS_MFA, "+15550100011", "Your sign-in code is "),
            (MfaFactor.EMAIL_OTP, "b@example.com", "Mail code "),
        ):
            delivery = await s.mfa.send_code(pool, user, factor)
            assert delivery.destination != destination  # masked
            (message,) = await s.outbox.list_messages(pool.id, destination, 10)
            assert message.body == body + str(message.code)
            assert message.subject == ("Sign in" if factor is MfaFactor.EMAIL_OTP else None)
            wrong = "000000" if message.code != "000000" else "111111"
            with pytest.raises(CodeMismatchException):
                await s.mfa.check_code(pool, user, factor, wrong)
            await s.mfa.check_code(pool, user, factor, str(message.code))
            with pytest.raises(ExpiredCodeException):  # single use
                await s.mfa.check_code(pool, user, factor, str(message.code))
