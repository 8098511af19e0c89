"""The verifier and its glue (Starlette middleware, FastAPI dependency, Flask decorator, Lambda
authorizer) against a live mamori: real tokens from boto3's InitiateAuth and GetClientToken,
the JWKS fetched from the server's /{poolId}/.well-known/jwks.json."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tests.support.factories import make_client, make_pool, make_user, sign_in
from tests.support.live import Server

from mamori.verify import (
    BadSignature,
    MissingGroup,
    Verifier,
    WrongAudience,
    WrongIssuer,
    WrongTokenUse,
)
from mamori.verify.lambda_authorizer import Unauthorized, lambda_authorizer
from mamori.verify.starlette import BearerAuth, BearerAuthMiddleware


@dataclass
class Realm:
    issuer: str
    client_id: str
    machine_id: str
    admin: dict[str, Any]  # InitiateAuth's AuthenticationResult, user in group admin
    reader: dict[str, Any]  # user in group reader
    machine_read: str  # client_credentials access token with scope orders/read
    other_client: str  # access token of another app client of the same pool
    other_pool: str  # access token of another pool

    def verifier(self, **options: Any) -> Verifier:
        return Verifier(self.issuer, client_ids=[self.client_id, self.machine_id], **options)


@pytest.fixture(scope="module")
def realm(sqlite_server: Server) -> Realm:
    server = sqlite_server
    admin = server.admin()
    pool_id = make_pool(server)["Id"]
    admin.create_resource_server(
        UserPoolId=pool_id,
        Identifier="orders",
        Name="Orders",
        Scopes=[
            {"ScopeName": "read", "ScopeDescription": "read"},
            {"ScopeName": "write", "ScopeDescription": "write"},
        ],
    )
    client_id = make_client(server, pool_id)["ClientId"]
    machine = make_client(
        server,
        pool_id,
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=["orders/read", "orders/write"],
    )
    users = {}
    for group in ("admin", "reader"):
        admin.create_group(UserPoolId=pool_id, GroupName=group)
        name = make_user(server, pool_id, f"{group}-{secrets.token_hex(3)}")
        admin.admin_add_user_to_group(UserPoolId=pool_id, Username=name, GroupName=group)
        users[group] = sign_in(server, client_id, name)
    machine_read = server.public().get_client_token(
        ClientId=machine["ClientId"], Secret=machine["ClientSecret"], Scopes=["orders/read"]
    )["ClientAuthenticationResult"]["AccessToken"]
    other_client = make_client(server, pool_id)["ClientId"]
    other_pool = make_pool(server)["Id"]
    other_pool_client = make_client(server, other_pool)["ClientId"]
    return Realm(
        issuer=f"{server.url}/{pool_id}",
        client_id=client_id,
        machine_id=machine["ClientId"],
        admin=users["admin"],
        reader=users["reader"],
        machine_read=machine_read,
        other_client=sign_in(server, other_client, make_user(server, pool_id))["AccessToken"],
        other_pool=sign_in(server, other_pool_client, make_user(server, other_pool))["AccessToken"],
    )


def _pool_of(token: str) -> str:
    import jwt

    return str(jwt.decode(token, options={"verify_signature": False})["iss"]).rsplit("/", 1)[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class AppClient:
    """GETs through the ASGI app in-process (httpx's ASGITransport), one event loop per call."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
                return await client.get(path, headers=headers)

        return asyncio.run(go())


def test_verifier_on_real_tokens(realm: Realm) -> None:
    v = realm.verifier()
    claims = v.verify(realm.admin["AccessToken"], groups=["admin"])
    assert claims["iss"] == realm.issuer and claims["token_use"] == "access"
    assert claims["scope"] == "aws.cognito.signin.user.admin"
    assert asyncio.run(v.averify(realm.reader["AccessToken"], groups=["reader"]))["username"]
    assert v.verify(realm.machine_read, scopes=["orders/read"])["client_id"] == realm.machine_id
    with pytest.raises(MissingGroup):
        v.verify(realm.reader["AccessToken"], groups=["admin"])
    with pytest.raises(WrongTokenUse):
        v.verify(realm.admin["IdToken"])
    ids = Verifier(realm.issuer, client_ids=[realm.client_id], token_use="id")
    assert ids.verify(realm.admin["IdToken"], groups=["admin"])["aud"] == realm.client_id
    with pytest.raises(WrongAudience):
        v.verify(realm.other_client)
    # Another pool signs with its own key: unknown here, one refetch, then refused.
    with pytest.raises(BadSignature, match="no key"):
        v.verify(realm.other_pool)
    assert v.keys.fetches == 2
    # Its issuer is refused too, when its key is known (one JWKS serving both pools' keys).
    other_issuer = realm.issuer.rsplit("/", 1)[0] + "/" + _pool_of(realm.other_pool)
    both = Verifier(realm.issuer, client_ids=None, jwks_url=other_issuer + "/.well-known/jwks.json")
    with pytest.raises(WrongIssuer):
        both.verify(realm.other_pool)


def test_starlette_middleware(realm: Realm) -> None:
    async def whoami(request: Request) -> JSONResponse:
        return JSONResponse({"username": request.state.claims["username"]})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/whoami", whoami), Route("/health", health)])
    app.add_middleware(
        BearerAuthMiddleware, verifier=realm.verifier(), groups=["admin"], exempt=["/health"]
    )
    client = AppClient(app)
    ok = client.get("/whoami", headers=bearer(realm.admin["AccessToken"]))
    assert ok.status_code == 200 and ok.json()["username"].startswith("admin-")
    forbidden = client.get("/whoami", headers=bearer(realm.reader["AccessToken"]))
    assert forbidden.status_code == 403
    assert forbidden.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'
    missing = client.get("/whoami")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    for token in (realm.admin["IdToken"], realm.other_pool, realm.admin["AccessToken"][:-4]):
        refused = client.get("/whoami", headers=bearer(token))
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert client.get("/health").status_code == 200


def test_fastapi_dependency(realm: Realm) -> None:
    verifier = realm.verifier()
    app = FastAPI()
    read_orders = BearerAuth(verifier, scopes=["orders/read"])
    admins = BearerAuth(verifier, groups=["admin"])

    @app.get("/orders")
    async def orders(claims: dict[str, Any] = Depends(read_orders)) -> dict[str, Any]:  # noqa: B008
        return {"client": claims["client_id"]}

    @app.get("/admin")
    async def admin_only(claims: dict[str, Any] = Depends(admins)) -> dict[str, Any]:  # noqa: B008
        return {"user": claims["username"]}

    client = AppClient(app)
    ok = client.get("/orders", headers=bearer(realm.machine_read))
    assert ok.status_code == 200 and ok.json() == {"client": realm.machine_id}
    no_scope = client.get("/orders", headers=bearer(realm.admin["AccessToken"]))
    assert no_scope.status_code == 403
    assert no_scope.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", scope="orders/read"'
    )
    assert client.get("/orders").status_code == 401
    assert client.get("/orders", headers=bearer(realm.other_client)).status_code == 401
    assert client.get("/admin", headers=bearer(realm.admin["AccessToken"])).status_code == 200
    assert client.get("/admin", headers=bearer(realm.reader["AccessToken"])).status_code == 403


def test_flask_decorator(realm: Realm) -> None:
    import flask

    from mamori.verify.flask import require_token

    verifier = realm.verifier()
    app = flask.Flask(__name__)

    @app.get("/orders")
    @require_token(verifier, scopes=["orders/read"])
    def orders() -> dict[str, Any]:
        return {"client": flask.g.claims["client_id"]}

    @app.get("/admin")
    @require_token(verifier, groups=["admin"])
    def admin_only() -> dict[str, Any]:
        return {"user": flask.g.claims["username"]}

    client = app.test_client()
    ok = client.get("/orders", headers=bearer(realm.machine_read))
    assert ok.status_code == 200 and ok.json == {"client": realm.machine_id}
    no_scope = client.get("/orders", headers=bearer(realm.reader["AccessToken"]))
    assert no_scope.status_code == 403 and no_scope.json["error"] == "insufficient_scope"
    missing = client.get("/orders")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/admin", headers=bearer(realm.admin["AccessToken"])).status_code == 200
    assert client.get("/admin", headers=bearer(realm.reader["AccessToken"])).status_code == 403
    expired_or_forged = client.get("/admin", headers=bearer(realm.other_pool))
    assert expired_or_forged.status_code == 401


def test_lambda_authorizer_with_real_tokens(realm: Realm) -> None:
    handler = lambda_authorizer(realm.verifier(), groups=["admin"])
    arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/reports"
    token_event = {
        "type": "TOKEN",
        "methodArn": arn,
        "authorizationToken": f"Bearer {realm.admin['AccessToken']}",
    }
    allowed = handler(token_event, None)
    assert allowed["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert allowed["principalId"] == allowed["context"]["sub"]
    assert allowed["context"]["cognito:groups"] == "admin"
    assert allowed["context"]["iss"] == realm.issuer
    reader_event = {**token_event, "authorizationToken": realm.reader["AccessToken"]}
    assert handler(reader_event, None)["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    with pytest.raises(Unauthorized):
        handler({**token_event, "authorizationToken": realm.other_pool}, None)
    request_event = {
        "type": "REQUEST",
        "methodArn": arn,
        "headers": {"authorization": f"Bearer {realm.admin['AccessToken']}"},
    }
    assert handler(request_event, None)["principalId"] == allowed["principalId"]
    http_event = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": arn,
        "headers": {"authorization": f"Bearer {realm.admin['AccessToken']}"},
    }
    simple = handler(http_event, None)
    assert simple["isAuthorized"] is True and simple["context"] == allowed["context"]
    http_reader = {**http_event, "headers": {"authorization": realm.reader["AccessToken"]}}
    assert handler(http_reader, None) == {"isAuthorized": False}
