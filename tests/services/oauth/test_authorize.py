"""services/oauth/authorize.py on the real services: every rule of an authorization request
(no redirect before client and redirect_uri are good), and its completion with a code or, for
the implicit grant, tokens in the fragment."""

from __future__ import annotations

import base64
import hashlib
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.inprocess import FrozenClock, fresh_database, services_on
from tests.support.tokens import unverified as unverified_claims

from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.domain.ids import PoolId
from mamori.domain.oauth.authorization import Prompt, ResponseType, SignedIn
from mamori.domain.userpools.resource_servers import ResourceScope, ResourceServer
from mamori.protocols.oauth2.errors import (
    InvalidClient,
    InvalidRequest,
    InvalidScope,
    OAuthError,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from mamori.services.container import Services
from mamori.services.oauth.authorize import Redirectable, RedirectMismatch

CALLBACK = "https://app.example/cb"
VERIFIER = "v" * 50
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")


def oauth_client(**overrides: Any) -> dict[str, Any]:
    return {
        "ClientName": "web",
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code", "implicit"],
        "AllowedOAuthScopes": ["openid", "email", "profile"],
        "CallbackURLs": [CALLBACK, "https://app.example/other?x=1"],
        "LogoutURLs": ["https://app.example/bye"],
        "SupportedIdentityProviders": ["COGNITO"],
        **overrides,
    }


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Any:
    with fresh_database(tmp, request.param) as url:
        yield url


class World:
    def __init__(self, s: Services, pool_id: str, public: str, confidential: str) -> None:
        self.s, self.pool_id, self.public, self.confidential = s, pool_id, public, confidential

    async def check(self, **params: str) -> Any:
        return await self.s.authorize.check(self.pool_id, params)

    def code_params(self, **extra: str) -> dict[str, str]:
        return {
            "client_id": self.public,
            "response_type": "code",
            "redirect_uri": CALLBACK,
            "code_challenge": CHALLENGE.decode(),
            "code_challenge_method": "S256",
            **extra,
        }


@pytest.fixture()
async def world(database: str, tmp: Path) -> AsyncIterator[World]:
    async with services_on(database, tmp, FrozenClock()) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "authorize"))
        public = await s.clients.create_user_pool_client(pool.id, client_in(oauth_client()), False)
        confidential = await s.clients.create_user_pool_client(
            pool.id, client_in(oauth_client(ClientName="server")), True
        )
        yield World(s, pool.id, public.id, confidential.id)


def query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def fragment(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).fragment))


@pytest.mark.anyio
async def test_errors_before_the_redirect_is_known_never_redirect(world: World) -> None:
    cases: list[tuple[dict[str, str], type[OAuthError]]] = [
        ({}, InvalidRequest),
        ({"client_id": "nosuchclient"}, InvalidClient),
        ({"client_id": world.public, "response_type": "code"}, InvalidRequest),
        ({"client_id": world.public, "redirect_uri": CALLBACK + "/"}, RedirectMismatch),
        ({"client_id": world.public, "redirect_uri": "https://app.example/CB"}, RedirectMismatch),
        ({"client_id": world.public, "redirect_uri": "https://evil.example/cb"}, RedirectMismatch),
        ({"client_id": world.public, "state": "s" * 3000}, InvalidRequest),
    ]
    for params, error in cases:
        with pytest.raises(OAuthError) as raised:
            await world.check(**params)
        assert type(raised.value) is error, params
        assert not isinstance(raised.value, Redirectable)


@pytest.mark.anyio
async def test_errors_after_redirect_go_back_to_the_client(world: World) -> None:
    cases: list[tuple[dict[str, str], type[OAuthError]]] = [
        ({"response_type": "id_token"}, UnsupportedResponseType),
        ({"response_type": ""}, InvalidRequest),
        ({"scope": "openid phone"}, InvalidScope),
        ({"code_challenge_method": "plain"}, InvalidRequest),
        ({"code_challenge": "short"}, InvalidRequest),
        ({"identity_provider": "Google"}, InvalidRequest),
        ({"idp_identifier": "example.com"}, InvalidRequest),
        ({"prompt": "consent"}, InvalidRequest),
    ]
    for extra, error in cases:
        with pytest.raises(Redirectable) as raised:
            await world.check(**world.code_params(state="xyz", **extra))
        assert type(raised.value.error) is error, extra
        back = query(raised.value.location())
        assert back["error"] == error.error and back["state"] == "xyz"
        assert raised.value.location().startswith(CALLBACK + "?")
    # A public client must use PKCE; a client with a secret may leave it out.
    params = world.code_params()
    del params["code_challenge"], params["code_challenge_method"]
    with pytest.raises(Redirectable):
        await world.check(**params)
    checked = await world.check(**{**params, "client_id": world.confidential})
    assert checked.code_challenge is None
    # Errors of the implicit grant go in the fragment.
    with pytest.raises(Redirectable) as raised:
        await world.check(
            client_id=world.public,
            response_type="token",
            redirect_uri=CALLBACK,
            scope="phone",
            state="st",
        )
    assert fragment(raised.value.location()) == {
        "error": "invalid_scope",
        "error_description": "The client may not ask for scope phone.",
        "state": "st",
    }


@pytest.mark.anyio
async def test_client_settings_are_enforced(world: World) -> None:
    s = world.s
    off = await s.clients.create_user_pool_client(
        world.pool_id, client_in(oauth_client(AllowedOAuthFlows=["implicit"])), True
    )
    with pytest.raises(Redirectable) as raised:
        await world.check(**{**world.code_params(), "client_id": off.id})
    assert isinstance(raised.value.error, UnauthorizedClient)
    no_cognito = await s.clients.create_user_pool_client(
        world.pool_id, client_in(oauth_client(SupportedIdentityProviders=[])), True
    )
    with pytest.raises(Redirectable) as raised:
        await world.check(**{**world.code_params(), "client_id": no_cognito.id})
    assert isinstance(raised.value.error, UnauthorizedClient)


@pytest.mark.anyio
async def test_a_good_request_and_its_defaults(world: World) -> None:
    checked = await world.check(
        **world.code_params(state="s1", nonce="n1", lang="ja", login_hint="kim", prompt="login")
    )
    assert checked.response_type is ResponseType.CODE
    assert checked.scopes == ("openid", "email", "profile")  # Cognito: all allowed by default
    assert checked.prompt is Prompt.LOGIN and checked.lang == "ja"
    assert checked.login_hint == "kim" and checked.nonce == "n1"
    # The pages carry it on in their query and check it again.
    again = await world.s.authorize.check(world.pool_id, checked.to_query())
    assert again == checked.__class__(**{**checked.__dict__, "prompt": None})
    narrowed = await world.check(**world.code_params(scope="email openid email"))
    assert narrowed.scopes == ("email", "openid")


@pytest.mark.anyio
async def test_complete_with_a_code_and_with_tokens(world: World) -> None:
    s = world.s
    await s.admin_users.admin_create_user(
        world.pool_id, "kim", {"email": "k@example.com"}, None, "SUPPRESS", ()
    )
    user = await s.users.require_in_pool(world.pool_id, "kim")
    signed_in = SignedIn(user.sub, 1_900_000_000)

    checked = await world.check(**world.code_params(state="a b", redirect_uri=CALLBACK))
    location = await s.authorize.complete(checked, signed_in)
    assert location.startswith(CALLBACK + "?code=")
    assert query(location)["state"] == "a b"

    other = "https://app.example/other?x=1"
    checked = await world.check(**world.code_params(redirect_uri=other))
    assert query(await s.authorize.complete(checked, signed_in))["x"] == "1"

    implicit = await world.check(
        client_id=world.public,
        response_type="token",
        redirect_uri=CALLBACK,
        nonce="n-1",
        state="st",
    )
    answer = fragment(await s.authorize.complete(implicit, signed_in))
    assert set(answer) == {"id_token", "access_token", "token_type", "expires_in", "state"}
    assert answer["token_type"] == "Bearer" and answer["state"] == "st"
    claims = unverified_claims(answer["id_token"])
    assert claims["nonce"] == "n-1" and "at_hash" in claims
    assert claims["auth_time"] == 1_900_000_000
    assert unverified_claims(answer["access_token"])["scope"] == "openid email profile"

    without_openid = await world.check(
        client_id=world.public, response_type="token", redirect_uri=CALLBACK, scope="email"
    )
    answer = fragment(await s.authorize.complete(without_openid, signed_in))
    assert "id_token" not in answer and "state" not in answer


@pytest.mark.anyio
async def test_logout_targets(world: World) -> None:
    s = world.s
    target = await s.authorize.check_logout(
        world.pool_id, {"client_id": world.public, "logout_uri": "https://app.example/bye"}
    )
    assert target == "https://app.example/bye"
    for params in (
        {"client_id": world.public, "logout_uri": "https://evil.example/bye"},
        {"client_id": world.public},
        {"client_id": "nosuch", "logout_uri": "https://app.example/bye"},
        {"logout_uri": "https://app.example/bye"},
    ):
        with pytest.raises(OAuthError):
            await s.authorize.check_logout(world.pool_id, params)
    again = await s.authorize.check_logout(world.pool_id, world.code_params(state="s"))
    assert not isinstance(again, str) and again.state == "s"


@pytest.mark.anyio
async def test_a_deleted_resource_servers_scope_is_no_longer_granted(world: World) -> None:
    s = world.s
    draft = ResourceServer(PoolId(world.pool_id), "api", "API", (ResourceScope("read", "Read"),))
    await s.resource_servers.create_resource_server(world.pool_id, draft)
    scoped = await s.clients.create_user_pool_client(
        world.pool_id,
        client_in(oauth_client(AllowedOAuthScopes=["openid", "api/read"])),
        True,
    )
    params = {**world.code_params(), "client_id": scoped.id}
    assert (await world.check(**params)).scopes == ("openid", "api/read")
    assert (await world.check(**params, scope="api/read")).scopes == ("api/read",)
    await s.resource_servers.delete_resource_server(world.pool_id, "api")
    assert (await world.check(**params)).scopes == ("openid",)
    with pytest.raises(Redirectable) as raised:
        await world.check(**params, scope="openid api/read")
    assert isinstance(raised.value.error, InvalidScope)
