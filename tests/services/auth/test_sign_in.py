"""The time rules of sign-in, in-process on a frozen clock: challenge sessions and temporary
passwords expire."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.inprocess import FrozenClock, fresh_database, services_on

from mamori.api.aws.cognito_idp.challenges import challenge_answer, sign_in_request
from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.domain.auth.auth_flow import Challenge
from mamori.domain.errors import NotAuthorizedException

TEMPORARY = "Temp0rary-Pass!"
NEW_PASSWORD = "Brand-New-Passw0rd!"
USER_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Any:
    with fresh_database(tmp, request.param) as url:
        yield url


@pytest.mark.anyio
async def test_session_and_temporary_password_expiry(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await s.pools.create_user_pool(
            pool_in({"Policies": {"PasswordPolicy": {"TemporaryPasswordValidityDays": 2}}}, "timed")
        )
        client = await s.clients.create_user_pool_client(
            pool.id,
            client_in(
                {"ClientName": "c", "ExplicitAuthFlows": USER_FLOWS, "AuthSessionValidity": 5}
            ),
            False,
        )
        await s.admin_users.admin_create_user(pool.id, "ann", {}, TEMPORARY, "SUPPRESS", ())
        auth = {"USERNAME": "ann", "PASSWORD": TEMPORARY}

        # The session of the challenge lasts AuthSessionValidity minutes.
        first = await s.auth.initiate_auth(client.id, sign_in_request("USER_PASSWORD_AUTH", auth))
        assert first.challenge is Challenge.NEW_PASSWORD_REQUIRED and first.session
        clock.advance(minutes=5)
        with pytest.raises(NotAuthorizedException, match="session is expired"):
            await s.auth.respond_to_auth_challenge(
                client.id,
                first.session,
                challenge_answer(
                    "NEW_PASSWORD_REQUIRED", {"USERNAME": "ann", "NEW_PASSWORD": NEW_PASSWORD}
                ),
            )

        # The temporary password works until TemporaryPasswordValidityDays have passed.
        clock.advance(days=2, minutes=-6)
        assert (
            await s.auth.initiate_auth(client.id, sign_in_request("USER_PASSWORD_AUTH", auth))
        ).challenge
        clock.advance(minutes=1)
        with pytest.raises(NotAuthorizedException) as expired:
            await s.auth.initiate_auth(client.id, sign_in_request("USER_PASSWORD_AUTH", auth))
        assert expired.value.message == (
            "Temporary password has expired and must be reset by an administrator."
        )

        # An administrator sets a new temporary password: a new validity period starts.
        await s.admin_users.admin_set_user_password(pool.id, "ann", TEMPORARY, permanent=False)
        clock.advance(days=1)
        second = await s.auth.initiate_auth(client.id, sign_in_request("USER_PASSWORD_AUTH", auth))
        assert second.challenge is Challenge.NEW_PASSWORD_REQUIRED
        done = await s.auth.respond_to_auth_challenge(
            client.id,
            second.session,
            challenge_answer(
                "NEW_PASSWORD_REQUIRED", {"USERNAME": "ann", "NEW_PASSWORD": NEW_PASSWORD}
            ),
        )
        assert done.result is not None
        # A permanent password never expires.
        clock.advance(days=400)
        ok = await s.auth.initiate_auth(
            client.id,
            sign_in_request("USER_PASSWORD_AUTH", {"USERNAME": "ann", "PASSWORD": NEW_PASSWORD}),
        )
        assert ok.result is not None
        assert timedelta(seconds=ok.result.expires_in) == timedelta(hours=1)
