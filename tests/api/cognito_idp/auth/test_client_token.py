"""GetClientToken: client_credentials over the API, authorised by the app client's secret, not
SigV4 (the model doesn't mark it public; Cognito serves it unsigned)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import error
from tests.support.factories import make_client, make_pool
from tests.support.live import Server
from tests.support.tokens import verify


def machine_client(server: Server) -> tuple[str, dict[str, Any]]:
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
    client = make_client(
        server,
        pool_id,
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=["orders/read", "orders/write"],
    )
    return pool_id, client


def test_get_client_token_unsigned(server: Server) -> None:
    pool_id, client = machine_client(server)
    public = server.public()
    result = public.get_client_token(ClientId=client["ClientId"], Secret=client["ClientSecret"])
    out = result["ClientAuthenticationResult"]
    assert out["TokenType"] == "Bearer" and out["ExpiresIn"] == 3600
    claims = verify(server, pool_id, out["AccessToken"])
    assert claims["scope"] == "orders/read orders/write"
    assert claims["sub"] == claims["client_id"] == client["ClientId"]
    assert claims["token_use"] == "access" and "username" not in claims
    one = public.get_client_token(
        ClientId=client["ClientId"], Secret=client["ClientSecret"], Scopes=["orders/write"]
    )
    assert (
        verify(server, pool_id, one["ClientAuthenticationResult"]["AccessToken"])["scope"]
        == "orders/write"
    )
    # A client-credentials token speaks for no user: the self-service operations refuse it.
    with pytest.raises(ClientError) as exc:
        public.get_user(AccessToken=out["AccessToken"])
    assert error(exc) == ("NotAuthorizedException", "Access Token does not have required scopes")


def test_get_client_token_refusals(server: Server) -> None:
    _, client = machine_client(server)
    public = server.public()
    with pytest.raises(ClientError) as exc:
        public.get_client_token(ClientId=client["ClientId"], Secret="x" * 30)
    assert error(exc)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as exc:
        public.get_client_token(
            ClientId=client["ClientId"], Secret=client["ClientSecret"], Scopes=["openid"]
        )
    assert error(exc) == ("InvalidParameterException", "Invalid scope requested: openid")
    with pytest.raises(ClientError) as exc:
        public.get_client_token(ClientId="nobody0123456789abcdefghij", Secret="x" * 30)
    assert error(exc)[0] == "ResourceNotFoundException"
    # A client without client_credentials (nor ALLOW_CLIENT_TOKEN_AUTH) may not.
    pool_id = make_pool(server)["Id"]
    plain = make_client(server, pool_id, GenerateSecret=True)
    with pytest.raises(ClientError) as exc:
        public.get_client_token(ClientId=plain["ClientId"], Secret=plain["ClientSecret"])
    assert error(exc)[0] == "NotAuthorizedException"
