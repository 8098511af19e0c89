"""Refresh tokens' expiry in-process on a frozen clock: the rotation grace period, and reuse after
it revoking the whole family."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from tests.support.factories import PASSWORD
from tests.support.inprocess import FrozenClock, fresh_database, services_on

from mamori.api.aws.cognito_idp.challenges import sign_in_request
from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.domain.errors import NotAuthorizedException, RefreshTokenReuseException

USER_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Any:
    with fresh_database(tmp, request.param) as url:
        yield url


@pytest.mark.anyio
async def test_refresh_expiry_and_grace_period(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "refresh-time"))
        short = {
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"],
            "RefreshTokenValidity": 60,
            "TokenValidityUnits": {"RefreshToken": "minutes"},
        }
        plain = await s.clients.create_user_pool_client(
            pool.id,
            client_in({"ClientName": "plain", **short, "ExplicitAuthFlows": USER_FLOWS}),
            False,
        )
        rotating = await s.clients.create_user_pool_client(
            pool.id,
            client_in(
                {
                    "ClientName": "rotating",
                    **short,
                    "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 30},
                }
            ),
            False,
        )
        await s.admin_users.admin_create_user(pool.id, "cy", {}, None, "SUPPRESS", ())
        await s.admin_users.admin_set_user_password(pool.id, "cy", PASSWORD, permanent=True)
        creds = {"USERNAME": "cy", "PASSWORD": PASSWORD}

        # RefreshTokenValidity of 60 minutes: valid until then, refused after.
        signed = (
            await s.auth.initiate_auth(plain.id, sign_in_request("USER_PASSWORD_AUTH", creds))
        ).result
        assert signed is not None and signed.refresh_token
        clock.advance(minutes=59, seconds=59)
        later = await s.auth.initiate_auth(
            plain.id, sign_in_request("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": signed.refresh_token})
        )
        assert later.result is not None
        clock.advance(seconds=1)
        for call in (
            s.auth.initiate_auth(
                plain.id,
                sign_in_request("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": signed.refresh_token}),
            ),
            s.refresh.get_tokens_from_refresh_token(plain.id, signed.refresh_token, None),
        ):
            with pytest.raises(NotAuthorizedException) as exc:
                await call
            assert exc.value.message == "Refresh Token has expired"

        # Rotation: the old token works for RetryGracePeriodSeconds after it was replaced.
        start = (
            await s.auth.initiate_auth(rotating.id, sign_in_request("USER_PASSWORD_AUTH", creds))
        ).result
        assert start is not None and start.refresh_token
        clock.advance(minutes=10)
        second = await s.refresh.get_tokens_from_refresh_token(
            rotating.id, start.refresh_token, None
        )
        assert second.refresh_token
        clock.advance(seconds=29)
        assert (
            await s.refresh.get_tokens_from_refresh_token(rotating.id, start.refresh_token, None)
        ).refresh_token
        clock.advance(seconds=1)
        with pytest.raises(RefreshTokenReuseException):
            await s.refresh.get_tokens_from_refresh_token(rotating.id, start.refresh_token, None)
        # A rotated refresh token lives only as long as the one it replaced: 60 minutes from
        # the sign-in, not from the rotation. (A new sign-in: the reuse revoked start's family.)
        start = (
            await s.auth.initiate_auth(rotating.id, sign_in_request("USER_PASSWORD_AUTH", creds))
        ).result
        assert start is not None and start.refresh_token
        clock.advance(minutes=10)
        second = await s.refresh.get_tokens_from_refresh_token(
            rotating.id, start.refresh_token, None
        )
        assert second.refresh_token
        clock.advance(minutes=49, seconds=59)
        third = await s.refresh.get_tokens_from_refresh_token(
            rotating.id, second.refresh_token, None
        )
        assert third.refresh_token
        clock.advance(seconds=1)
        with pytest.raises(NotAuthorizedException, match="expired"):
            await s.refresh.get_tokens_from_refresh_token(rotating.id, third.refresh_token, None)


@pytest.mark.anyio
async def test_reuse_after_the_grace_period_revokes_the_family(database: str, tmp: Path) -> None:
    """Issue 9 (RFC 9700 section 4.14.2): within RetryGracePeriodSeconds a rotated-out token may
    be retried, concurrently too, without revoking anything; after it, presenting it revokes
    every refresh token of the sign-in (successors included) and the access tokens they issued."""
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "reuse"))
        client = await s.clients.create_user_pool_client(
            pool.id,
            client_in(
                {
                    "ClientName": "rotating",
                    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"],
                    "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 30},
                }
            ),
            False,
        )
        await s.admin_users.admin_create_user(pool.id, "dee", {}, None, "SUPPRESS", ())
        await s.admin_users.admin_set_user_password(pool.id, "dee", PASSWORD, permanent=True)
        creds = {"USERNAME": "dee", "PASSWORD": PASSWORD}
        start = (
            await s.auth.initiate_auth(client.id, sign_in_request("USER_PASSWORD_AUTH", creds))
        ).result
        bystander = (
            await s.auth.initiate_auth(client.id, sign_in_request("USER_PASSWORD_AUTH", creds))
        ).result
        assert start is not None and start.refresh_token and bystander is not None

        async def refresh(token: str | None) -> Any:
            assert token is not None
            return await s.refresh.get_tokens_from_refresh_token(client.id, token, None)

        second = await refresh(start.refresh_token)
        # Two concurrent retries of the rotated-out token within the grace period: both
        # answered, nothing revoked.
        retries: list[Any] = []

        async def retry() -> None:
            retries.append(await refresh(start.refresh_token))

        clock.advance(seconds=29)
        async with anyio.create_task_group() as tg:
            tg.start_soon(retry)
            tg.start_soon(retry)
        family = [start, second, *retries]
        for result in family:
            assert (await s.self_service.get_user(result.access_token))[0].username == "dee"
        # And two concurrent refreshes of one live token (the first to rotate it, then a
        # duplicate within the grace period): neither revokes.
        concurrent: list[Any] = []

        async def rotate() -> None:
            concurrent.append(await refresh(retries[0].refresh_token))

        async with anyio.create_task_group() as tg:
            tg.start_soon(rotate)
            tg.start_soon(rotate)
        family.extend(concurrent)
        newest = concurrent[0]
        assert (await s.self_service.get_user(newest.access_token))[0].username == "dee"

        clock.advance(seconds=1)  # start's grace period is over
        with pytest.raises(RefreshTokenReuseException):
            await refresh(start.refresh_token)
        for result in family:
            with pytest.raises(NotAuthorizedException) as exc:
                await s.self_service.get_user(result.access_token)
            assert exc.value.message == "Access Token has been revoked"
        for result in family[1:]:
            with pytest.raises(NotAuthorizedException) as exc:
                await refresh(result.refresh_token)
            assert exc.value.message == "Refresh Token has been revoked"
        # The user's other sign-in lives on.
        assert (await s.self_service.get_user(bystander.access_token))[0].username == "dee"
        assert (await refresh(bystander.refresh_token)).refresh_token
