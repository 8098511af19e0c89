"""Access tokens expire, in-process on a frozen clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.support.factories import PASSWORD
from tests.support.inprocess import FrozenClock, fresh_database, services_on

from mamori.api.aws.cognito_idp.challenges import sign_in_request
from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.domain.errors import NotAuthorizedException

USER_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Any:
    with fresh_database(tmp, request.param) as url:
        yield url


@pytest.mark.anyio
async def test_access_tokens_expire(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "expiry"))
        client = await s.clients.create_user_pool_client(
            pool.id,
            client_in(
                {
                    "ClientName": "c",
                    "ExplicitAuthFlows": USER_FLOWS,
                    "AccessTokenValidity": 10,
                    "TokenValidityUnits": {"AccessToken": "minutes"},
                }
            ),
            False,
        )
        await s.admin_users.admin_create_user(pool.id, "bo", {}, None, "SUPPRESS", ())
        await s.admin_users.admin_set_user_password(pool.id, "bo", PASSWORD, permanent=True)
        out = await s.auth.initiate_auth(
            client.id,
            sign_in_request("USER_PASSWORD_AUTH", {"USERNAME": "bo", "PASSWORD": PASSWORD}),
        )
        assert out.result is not None
        access = out.result.access_token
        clock.advance(minutes=9, seconds=59)
        assert (await s.self_service.get_user(access))[0].username == "bo"
        clock.advance(seconds=2)
        with pytest.raises(NotAuthorizedException) as exc:
            await s.self_service.get_user(access)
        assert exc.value.message == "Access Token has expired"
