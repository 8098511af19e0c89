"""The token endpoint's side of a pool's domain in-process: the real application (create_app,
its domain routing by path prefix) over the real services on a fresh database and a frozen
clock, and a pool with a domain, clients, a resource server and a user; and redeem_code, a
relying party redeeming its code at a live server's token endpoint."""

from __future__ import annotations

import base64
import secrets
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tests.support.inprocess import FrozenClock

from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in, schema_in
from mamori.app import create_app
from mamori.config import load_settings
from mamori.domain.ids import PoolId
from mamori.domain.oauth.authorization import AuthorizationGrant
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.resource_servers import ResourceScope, ResourceServer
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.protocols.oauth2.rfc7636 import s256
from mamori.services.container import Services
from mamori.wiring import build_services

CALLBACK = "https://app.example/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
PUBLIC_URL = "http://mamori.test"


def redeem_code(
    base_url: str,
    client_id: str,
    code: str,
    redirect_uri: str,
    verifier: str,
    timeout: float = 5.0,
) -> dict[str, Any]:
    """A public client's authorization code redeemed at `base_url`/oauth2/token with its PKCE
    verifier (httpx, `timeout` seconds): the token response, which must be a 200."""
    tokens = httpx.post(
        f"{base_url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        timeout=timeout,
    )
    assert tokens.status_code == 200, tokens.text
    return dict(tokens.json())


def basic(client_id: str, secret: str) -> dict[str, str]:
    joined = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"
    return {"Authorization": "Basic " + base64.b64encode(joined.encode()).decode()}


@dataclass
class Domain:
    """One pool with its domain's endpoints, ready for token requests."""

    services: Services
    clock: FrozenClock
    http: httpx.AsyncClient
    pool: UserPool
    confidential: AppClient  # code + client_credentials, with a secret
    public: AppClient  # code only, no secret
    user: User

    @property
    def secret(self) -> str:
        assert self.confidential.secret is not None
        return self.confidential.secret

    async def code(
        self,
        client: AppClient | None = None,
        scopes: tuple[str, ...] = ("openid", "email"),
        **overrides: Any,
    ) -> str:
        values: dict[str, Any] = {
            "pool_id": self.pool.id,
            "client_id": (client or self.confidential).id,
            "sub": self.user.sub,
            "redirect_uri": CALLBACK,
            "scopes": scopes,
            "auth_time": int(self.clock.now().timestamp()),
            "nonce": "n-0S6_WzA2Mj",
            "code_challenge": s256(VERIFIER),
        }
        values.update(overrides)
        return await self.services.authorization_codes.issue(AuthorizationGrant(**values))

    async def post(
        self, path: str, form: dict[str, str], headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.http.post(path, data=form, headers=headers)

    async def exchange(self, code: str, **extra: str) -> httpx.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER,
            "client_id": self.confidential.id,
            **extra,
        }
        return await self.post("/oauth2/token", form, basic(self.confidential.id, self.secret))


async def make_pool(s: Services, name: str) -> tuple[UserPool, AppClient, AppClient, User]:
    schema = [{"Name": "team", "AttributeDataType": "String", "Mutable": True}]
    pool = await s.pools.create_user_pool(pool_in({}, name), [schema_in(a) for a in schema])
    await s.resource_servers.create_resource_server(
        pool.id,
        ResourceServer(
            PoolId(pool.id),
            "api",
            "API",
            (ResourceScope("read", "read it"), ResourceScope("write", "write it")),
        ),
    )
    oauth = {
        "AllowedOAuthFlowsUserPoolClient": True,
        "CallbackURLs": [CALLBACK],
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    }
    confidential = await s.clients.create_user_pool_client(
        pool.id,
        client_in(
            {
                "ClientName": "web",
                **oauth,
                "AllowedOAuthFlows": ["code", "client_credentials"],
                "AllowedOAuthScopes": ["openid", "email", "profile", "api/read", "api/write"],
            }
        ),
        True,
    )
    public = await s.clients.create_user_pool_client(
        pool.id,
        client_in(
            {
                "ClientName": "spa",
                **oauth,
                "AllowedOAuthFlows": ["code"],
                "AllowedOAuthScopes": ["openid", "profile", "email"],
            }
        ),
        False,
    )
    await s.admin_users.admin_create_user(
        pool.id,
        "al",
        {
            "email": "al@example.com",
            "email_verified": "true",
            "name": "Al Ice",
            "phone_number": "+15555550100",
            "custom:team": "blue",
        },
        None,
        "SUPPRESS",
        (),
    )
    user = await s.users.require_in_pool(pool.id, "al")
    return pool, confidential, public, user


@asynccontextmanager
async def domain(database: str, tmp: Path, name: str = "oauth") -> AsyncIterator[Domain]:
    """The pool's domain endpoints at `PUBLIC_URL/<poolId>/...` (the path-prefix form)."""
    clock = FrozenClock()
    values: dict[str, str | int] = {
        "database_url": database,
        "data_dir": str(tmp),
        "master_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "argon2_memory_kib": 256,
        "argon2_time_cost": 1,
        "public_url": PUBLIC_URL,
    }
    settings = load_settings(values, environ={})
    runtime = build_services(settings, clock=clock)
    try:
        s = runtime.services
        pool, confidential, public, user = await make_pool(s, name)
        await s.domains.create_user_pool_domain(
            pool.id, f"{name}-{secrets.token_hex(4)}", None, None
        )
        transport = httpx.ASGITransport(app=create_app(runtime, settings))
        async with httpx.AsyncClient(
            transport=transport, base_url=f"{PUBLIC_URL}/{pool.id}"
        ) as http:
            yield Domain(s, clock, http, pool, confidential, public, user)
    finally:
        await runtime.aclose()
