"""Access tokens expire, in-process on a frozen clock; OAuth scopes, nonce and at_hash;
client_credentials tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.support.factories import PASSWORD
from tests.support.inprocess import FrozenClock, fresh_database, services_on
from tests.support.tokens import unverified

from mamori.api.aws.cognito_idp.challenges import sign_in_request
from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.domain.errors import NotAuthorizedException
from mamori.protocols.oidc.core import at_hash

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


@pytest.mark.anyio
async def test_oauth_scopes_nonce_and_at_hash(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "scopes"))
        client = await s.clients.create_user_pool_client(
            pool.id, client_in({"ClientName": "c", "ExplicitAuthFlows": USER_FLOWS}), False
        )
        await s.admin_users.admin_create_user(pool.id, "al", {}, None, "SUPPRESS", ())
        user = await s.users.require_in_pool(pool.id, "al")
        out = await s.tokens.issue(
            pool, client, user, scopes=("openid", "email"), nonce="n-0S6", at_hash=True
        )
        access, id_token = unverified(out.access_token), unverified(out.id_token)
        assert access["scope"] == "openid email"
        assert id_token["nonce"] == "n-0S6"
        assert id_token["at_hash"] == at_hash(out.access_token)
        # Without ADMIN_SCOPE no self-service operation accepts it; userInfo's scope does.
        with pytest.raises(NotAuthorizedException) as exc:
            await s.self_service.get_user(out.access_token)
        assert exc.value.message == "Access Token does not have required scopes"
        with pytest.raises(NotAuthorizedException) as exc:
            await s.auth.global_sign_out(out.access_token)
        assert exc.value.message == "Access Token does not have required scopes"
        assert (await s.tokens.check_access_token(out.access_token, "openid")).user.sub == user.sub

        # A refresh keeps what was granted; the refreshed ID token has no nonce or at_hash.
        assert out.refresh_token is not None
        again = await s.auth.initiate_auth(
            client.id, sign_in_request("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": out.refresh_token})
        )
        assert again.result is not None
        assert unverified(again.result.access_token)["scope"] == "openid email"
        assert "nonce" not in unverified(again.result.id_token)
        assert "at_hash" not in unverified(again.result.id_token)

        # The API's tokens: the admin scope, no nonce, no at_hash; self-service accepts them.
        plain = await s.tokens.issue(pool, client, user)
        assert unverified(plain.access_token)["scope"] == "aws.cognito.signin.user.admin"
        assert not {"nonce", "at_hash"} & unverified(plain.id_token).keys()
        assert (await s.self_service.get_user(plain.access_token))[0].sub == user.sub


@pytest.mark.anyio
async def test_client_credentials_tokens_speak_for_no_user(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "machines"))
        client = await s.clients.create_user_pool_client(
            pool.id, client_in({"ClientName": "m"}), True
        )
        token, expires_in = await s.tokens.issue_client_token(pool, client, ("api/read",))
        claims = unverified(token)
        # Cognito's claims for client_credentials, and no user's.
        assert set(claims) == {
            "sub", "token_use", "scope", "auth_time", "iss", "exp", "iat", "version", "jti",
            "client_id",
        }  # fmt: skip
        assert claims["sub"] == claims["client_id"] == client.id
        assert claims["scope"] == "api/read" and claims["token_use"] == "access"
        assert claims["exp"] - claims["iat"] == expires_in == 3600
        assert claims["iss"] == s.tokens.issuer(pool.id)
        for scope in ("aws.cognito.signin.user.admin", "api/read", "openid"):
            with pytest.raises(NotAuthorizedException) as exc:
                await s.tokens.check_access_token(token, scope)
            assert exc.value.message == "Access Token does not have required scopes"
        with pytest.raises(NotAuthorizedException):
            await s.self_service.get_user(token)
