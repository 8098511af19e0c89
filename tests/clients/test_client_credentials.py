"""Machine to machine from plain HTTP, as curl does it: a resource server's scope, a client with
the client_credentials flow and a secret, HTTP Basic at /oauth2/token (by path prefix and by
Host), and the access token a resource server would check (JWKS, scope, sub = client id)."""

from __future__ import annotations

import base64
import http.client
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.factories import make_client, make_pool
from tests.support.hosted import AUTH_DOMAIN
from tests.support.live import Server
from tests.support.tokens import verify

API = "https://api.example.test"


@pytest.fixture(scope="module")
def machine(server: Server) -> dict[str, Any]:
    """A pool with a domain, a resource server (read, write) and a confidential client allowed
    `read` only."""
    admin = server.admin()
    pool_id = str(make_pool(server)["Id"])
    prefix = f"m2m-{secrets.token_hex(4)}"
    admin.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    admin.create_resource_server(
        UserPoolId=pool_id,
        Identifier=API,
        Name="orders",
        Scopes=[
            {"ScopeName": "read", "ScopeDescription": "read orders"},
            {"ScopeName": "write", "ScopeDescription": "write orders"},
        ],
    )
    client = make_client(
        server,
        pool_id,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[f"{API}/read"],
    )
    return {
        "pool_id": pool_id,
        "prefix": prefix,
        "client_id": client["ClientId"],
        "secret": client["ClientSecret"],
    }


def basic(client_id: str, secret: str) -> str:
    pair = f"{urllib.parse.quote(client_id)}:{urllib.parse.quote(secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def token_request(
    server: Server, path: str, form: dict[str, str], headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    """POST a form like `curl -u id:secret -d grant_type=... <url>`; (status, JSON body)."""
    url = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        conn.request(
            "POST",
            path,
            body=urllib.parse.urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


@pytest.mark.parametrize("via", ["path", "host"])
def test_client_credentials_token_for_a_resource_server_scope(
    server: Server, machine: dict[str, Any], via: str
) -> None:
    port = urllib.parse.urlsplit(server.url).port
    path, headers = f"/{machine['pool_id']}/oauth2/token", {}
    if via == "host":
        path, headers = "/oauth2/token", {"Host": f"{machine['prefix']}.{AUTH_DOMAIN}:{port}"}
    headers["Authorization"] = basic(machine["client_id"], machine["secret"])

    status, body = token_request(
        server, path, {"grant_type": "client_credentials", "scope": f"{API}/read"}, headers
    )
    assert status == 200, body
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert "id_token" not in body and "refresh_token" not in body

    claims = verify(server, machine["pool_id"], body["access_token"])
    assert claims["token_use"] == "access"
    assert claims["scope"] == f"{API}/read"
    assert claims["sub"] == machine["client_id"]
    assert claims["client_id"] == machine["client_id"]
    assert "username" not in claims and "cognito:groups" not in claims


def test_without_scope_every_allowed_scope(server: Server, machine: dict[str, Any]) -> None:
    status, body = token_request(
        server,
        f"/{machine['pool_id']}/oauth2/token",
        {"grant_type": "client_credentials"},
        {"Authorization": basic(machine["client_id"], machine["secret"])},
    )
    assert status == 200, body
    assert verify(server, machine["pool_id"], body["access_token"])["scope"] == f"{API}/read"


def test_client_secret_post(server: Server, machine: dict[str, Any]) -> None:
    status, body = token_request(
        server,
        f"/{machine['pool_id']}/oauth2/token",
        {
            "grant_type": "client_credentials",
            "client_id": machine["client_id"],
            "client_secret": machine["secret"],
        },
        {},
    )
    assert status == 200, body


@pytest.mark.parametrize(
    ("scope", "error"),
    [(f"{API}/write", "invalid_scope"), ("https://elsewhere.test/read", "invalid_scope")],
)
def test_a_scope_the_client_may_not_have(
    server: Server, machine: dict[str, Any], scope: str, error: str
) -> None:
    status, body = token_request(
        server,
        f"/{machine['pool_id']}/oauth2/token",
        {"grant_type": "client_credentials", "scope": scope},
        {"Authorization": basic(machine["client_id"], machine["secret"])},
    )
    assert (status, body.get("error")) == (400, error)


def test_a_wrong_secret_is_invalid_client(server: Server, machine: dict[str, Any]) -> None:
    status, body = token_request(
        server,
        f"/{machine['pool_id']}/oauth2/token",
        {"grant_type": "client_credentials"},
        {"Authorization": basic(machine["client_id"], "not-the-secret")},
    )
    assert (status, body.get("error")) == (401, "invalid_client")


def test_the_token_is_refused_by_the_user_api(server: Server, machine: dict[str, Any]) -> None:
    """A client-credentials token has no user: GetUser refuses it."""
    _, body = token_request(
        server,
        f"/{machine['pool_id']}/oauth2/token",
        {"grant_type": "client_credentials"},
        {"Authorization": basic(machine["client_id"], machine["secret"])},
    )
    with pytest.raises(ClientError) as refused:
        server.public().get_user(AccessToken=body["access_token"])
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_a_deleted_resource_server_scope_is_no_longer_issued(server: Server) -> None:
    admin = server.admin()
    pool_id = str(make_pool(server)["Id"])
    admin.create_user_pool_domain(Domain=f"m2m-{secrets.token_hex(4)}", UserPoolId=pool_id)
    admin.create_resource_server(
        UserPoolId=pool_id,
        Identifier=API,
        Name="orders",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "r"}],
    )
    client = make_client(
        server,
        pool_id,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[f"{API}/read"],
    )
    auth = {"Authorization": basic(client["ClientId"], client["ClientSecret"])}
    form = {"grant_type": "client_credentials", "scope": f"{API}/read"}
    assert token_request(server, f"/{pool_id}/oauth2/token", form, auth)[0] == 200
    admin.delete_resource_server(UserPoolId=pool_id, Identifier=API)
    status, body = token_request(server, f"/{pool_id}/oauth2/token", form, auth)
    assert (status, body.get("error")) == (400, "invalid_scope")
