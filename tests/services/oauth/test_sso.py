"""The hosted-login session over HTTP, in process (the app on the real services, a frozen
clock): a second /oauth2/authorize skips the form until prompt=login, expiry or /logout; the
cookie's attributes; /logout's two forms and its refusals."""

from __future__ import annotations

import base64
import secrets
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.inprocess import FrozenClock, fresh_database

from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.api.oauth2.session_cookie import COOKIE_NAME
from mamori.app import create_app
from mamori.config import load_settings
from mamori.domain.oauth.authorization import SignedIn
from mamori.services.container import Services
from mamori.services.userpools.domains import CustomDomainConfig
from mamori.wiring import build_services

CALLBACK = "https://app.example/cb"
BYE = "https://app.example/bye"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Any:
    with fresh_database(tmp, request.param) as url:
        yield url


@dataclass
class Site:
    services: Services
    clock: FrozenClock
    http: httpx.AsyncClient
    pool_id: str
    client_id: str
    sub: str

    def authorize_params(self, **extra: str) -> dict[str, str]:
        return {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": CALLBACK,
            "code_challenge": CHALLENGE,
            "code_challenge_method": "S256",
            "state": "st",
            **extra,
        }


@pytest.fixture()
async def site(database: str, tmp: Path) -> AsyncIterator[Site]:
    clock = FrozenClock()
    settings = load_settings(
        {
            "database_url": database,
            "data_dir": str(tmp),
            "master_key": base64.b64encode(secrets.token_bytes(32)).decode(),
            "public_url": "https://id.example.com",
            "argon2_memory_kib": 256,
            "argon2_time_cost": 1,
        },
        environ={},
    )
    runtime = build_services(settings, clock=clock)
    s = runtime.services
    pool = await s.pools.create_user_pool(pool_in({}, "sso"))
    await s.domains.create_user_pool_domain(pool.id, "shop", None, None)
    await s.domains.create_user_pool_domain(
        pool.id, "login.shop.example", CustomDomainConfig("arn:aws:acm:x"), None
    )
    client = await s.clients.create_user_pool_client(
        pool.id,
        client_in(
            {
                "ClientName": "web",
                "AllowedOAuthFlowsUserPoolClient": True,
                "AllowedOAuthFlows": ["code", "implicit"],
                "AllowedOAuthScopes": ["openid", "email"],
                "CallbackURLs": [CALLBACK],
                "LogoutURLs": [BYE],
                "SupportedIdentityProviders": ["COGNITO"],
            }
        ),
        False,
    )
    await s.admin_users.admin_create_user(pool.id, "kim", {}, None, "SUPPRESS", ())
    user = await s.users.require_in_pool(pool.id, "kim")
    transport = httpx.ASGITransport(app=create_app(runtime, settings))
    async with httpx.AsyncClient(transport=transport) as http:
        try:
            yield Site(s, clock, http, pool.id, client.id, user.sub)
        finally:
            await runtime.aclose()


def cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE_NAME}={value}"}


def location(response: httpx.Response) -> tuple[str, dict[str, str]]:
    assert response.status_code == 302, response.text
    parts = urllib.parse.urlsplit(response.headers["location"])
    base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return base, dict(urllib.parse.parse_qsl(parts.query or parts.fragment))


@pytest.mark.anyio
async def test_a_session_skips_the_form_until_it_expires(site: Site) -> None:
    base = "https://shop.auth.id.example.com"
    value = await site.services.login_sessions.start(site.pool_id, SignedIn(site.sub, 100))
    cookies = cookie(value)
    answer = await site.http.get(
        base + "/oauth2/authorize", params=site.authorize_params(), headers=cookies
    )
    where, query = location(answer)
    assert where == CALLBACK and query["state"] == "st" and query["code"]
    # prompt=login shows the form whatever the session.
    answer = await site.http.get(
        base + "/oauth2/authorize", params=site.authorize_params(prompt="login"), headers=cookies
    )
    assert location(answer)[0] == base + "/login"
    # prompt=none with a session completes silently.
    answer = await site.http.get(
        base + "/oauth2/authorize",
        params={**site.authorize_params(prompt="none"), "response_type": "token"},
        headers=cookies,
    )
    where, fragment = location(answer)
    assert where == CALLBACK and "access_token" in fragment and "id_token" in fragment
    # One hour later the form again, and prompt=none answers login_required.
    site.clock.advance(hours=1)
    answer = await site.http.get(
        base + "/oauth2/authorize", params=site.authorize_params(), headers=cookies
    )
    assert location(answer)[0] == base + "/login"
    answer = await site.http.get(
        base + "/oauth2/authorize", params=site.authorize_params(prompt="none"), headers=cookies
    )
    assert location(answer) == (
        CALLBACK,
        {
            "error": "login_required",
            "state": "st",
            "error_description": "The user is not signed in.",
        },
    )


@pytest.mark.anyio
async def test_logout_ends_the_session_and_clears_the_cookie(site: Site) -> None:
    base = "https://login.shop.example"  # the custom domain, behind its TLS proxy
    value = await site.services.login_sessions.start(site.pool_id, SignedIn(site.sub, 100))
    cookies = cookie(value)
    answer = await site.http.get(
        base + "/logout", params={"client_id": site.client_id, "logout_uri": BYE}, headers=cookies
    )
    assert location(answer) == (BYE, {})
    cleared = answer.headers["set-cookie"]
    assert cleared.startswith(f"{COOKIE_NAME}=") and "Max-Age=0" in cleared
    assert "HttpOnly" in cleared and "Secure" in cleared and "Path=/" in cleared
    assert await site.services.login_sessions.current(site.pool_id, value) is None

    # client_id + redirect_uri + response_type: sign out and sign in again.
    value = await site.services.login_sessions.start(site.pool_id, SignedIn(site.sub, 100))
    answer = await site.http.get(
        base + "/logout", params=site.authorize_params(), headers=cookie(value)
    )
    where, query = location(answer)
    assert where == base + "/login" and query["state"] == "st"
    assert await site.services.login_sessions.current(site.pool_id, value) is None


@pytest.mark.anyio
async def test_logout_never_redirects_anywhere_unregistered(site: Site) -> None:
    value = await site.services.login_sessions.start(site.pool_id, SignedIn(site.sub, 100))
    by_path = f"https://id.example.com/{site.pool_id}"
    for params in (
        {"client_id": site.client_id, "logout_uri": "https://evil.example/"},
        {"client_id": site.client_id, "logout_uri": BYE + "/"},
        {"client_id": "unknownclient", "logout_uri": BYE},
        {"client_id": site.client_id},
        {"logout_uri": BYE},
        {**site.authorize_params(), "redirect_uri": "https://evil.example/cb"},
    ):
        answer = await site.http.get(by_path + "/logout", params=params, headers=cookie(value))
        assert answer.status_code == 400 and "location" not in answer.headers, params
    # Nothing was ended by a refused logout.
    assert await site.services.login_sessions.current(site.pool_id, value) is not None
    answer = await site.http.get(
        by_path + "/logout",
        params={"client_id": site.client_id, "logout_uri": BYE},
        headers=cookie(value),
    )
    assert location(answer) == (BYE, {})
    cleared = answer.headers["set-cookie"]
    assert f"Path=/{site.pool_id}/" in cleared
