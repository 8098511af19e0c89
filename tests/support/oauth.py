"""The token endpoint's side of a pool's domain in-process: the real services on a fresh
database and a frozen clock, the handlers mounted on a small app that sets the DomainContext as
the domain router does, and a pool with clients, a resource server and a user."""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from tests.support.inprocess import FrozenClock, services_on

from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in, schema_in
from mamori.api.oauth2.context import DomainContext
from mamori.api.oauth2.revoke import revoke
from mamori.api.oauth2.token import token
from mamori.api.oauth2.userinfo import user_info
from mamori.domain.ids import PoolId
from mamori.domain.oauth.authorization import AuthorizationGrant
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.resource_servers import ResourceScope, ResourceServer
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.protocols.oauth2.rfc7636 import s256
from mamori.services.container import Services

CALLBACK = "https://app.example/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
BASE = "https://auth.example"
Handler = Callable[[Request, Services], Awaitable[Response]]


class _Domain:
    """What the domain router does for these tests: the request is for `pool_id`'s domain."""

    def __init__(self, app: ASGIApp, pool_id: str) -> None:
        self._app = app
        self._ctx = DomainContext(pool_id, BASE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})["domain"] = self._ctx
        await self._app(scope, receive, send)


def _bound(handler: Handler, services: Services) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handler(request, services)

    return endpoint


def domain_app(services: Services, pool_id: str) -> ASGIApp:
    app = Starlette(
        routes=[
            Route("/oauth2/token", _bound(token, services), methods=["POST"]),
            Route("/oauth2/revoke", _bound(revoke, services), methods=["POST"]),
            Route("/oauth2/userInfo", _bound(user_info, services), methods=["GET", "POST"]),
        ]
    )
    return _Domain(app, pool_id)


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
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool, confidential, public, user = await make_pool(s, name)
        transport = httpx.ASGITransport(app=domain_app(s, pool.id))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            yield Domain(s, clock, http, pool, confidential, public, user)
