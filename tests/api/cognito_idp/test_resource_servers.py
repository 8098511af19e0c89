"""Resource servers: create, describe, update (Name and Scopes replaced whole), delete, list,
the limits, and app clients' AllowedOAuthScopes checked against them."""

from __future__ import annotations

import secrets
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from tests.support.factories import make_pool
from tests.support.live import Server


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def scopes(*names: str) -> list[dict[str, str]]:
    return [{"ScopeName": n, "ScopeDescription": f"{n} things"} for n in names]


@pytest.fixture()
def pool(server: Server) -> dict[str, Any]:
    return make_pool(server)


def test_resource_server_lifecycle(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    created = admin.create_resource_server(
        UserPoolId=pool_id, Identifier="https://api.example.com", Name="API", Scopes=scopes("read")
    )["ResourceServer"]
    assert created == {
        "UserPoolId": pool_id,
        "Identifier": "https://api.example.com",
        "Name": "API",
        "Scopes": scopes("read"),
    }
    described = admin.describe_resource_server(
        UserPoolId=pool_id, Identifier="https://api.example.com"
    )["ResourceServer"]
    assert described == created

    # Update replaces Name and Scopes whole; scopes left out means none.
    updated = admin.update_resource_server(
        UserPoolId=pool_id,
        Identifier="https://api.example.com",
        Name="Renamed",
        Scopes=scopes("write", "admin"),
    )["ResourceServer"]
    assert updated["Name"] == "Renamed" and updated["Scopes"] == scopes("write", "admin")
    emptied = admin.update_resource_server(
        UserPoolId=pool_id, Identifier="https://api.example.com", Name="Renamed"
    )["ResourceServer"]
    assert emptied["Scopes"] == []

    admin.delete_resource_server(UserPoolId=pool_id, Identifier="https://api.example.com")
    with pytest.raises(ClientError) as exc:
        admin.describe_resource_server(UserPoolId=pool_id, Identifier="https://api.example.com")
    assert error(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        admin.delete_resource_server(UserPoolId=pool_id, Identifier="https://api.example.com")
    assert error(exc)[0] == "ResourceNotFoundException"


def test_identifier_unique_per_pool_not_across_pools(server: Server, pool: dict[str, Any]) -> None:
    admin, other = server.admin(), make_pool(server)
    admin.create_resource_server(UserPoolId=pool["Id"], Identifier="orders", Name="Orders")
    with pytest.raises(ClientError) as exc:
        admin.create_resource_server(UserPoolId=pool["Id"], Identifier="orders", Name="Again")
    assert error(exc)[0] == "InvalidParameterException"
    admin.create_resource_server(UserPoolId=other["Id"], Identifier="orders", Name="Other")
    # Each pool sees only its own.
    mine = admin.describe_resource_server(UserPoolId=pool["Id"], Identifier="orders")
    assert mine["ResourceServer"]["Name"] == "Orders"
    with pytest.raises(ClientError) as exc:
        admin.update_resource_server(
            UserPoolId=make_pool(server)["Id"], Identifier="orders", Name="Hijack"
        )
    assert error(exc)[0] == "ResourceNotFoundException"


def test_list_pages_by_identifier(server: Server, pool: dict[str, Any]) -> None:
    admin = server.admin()
    identifiers = sorted(f"api-{i:02d}" for i in range(7))
    for identifier in reversed(identifiers):
        admin.create_resource_server(UserPoolId=pool["Id"], Identifier=identifier, Name="n")
    seen, token = [], None
    while True:
        page = admin.list_resource_servers(
            UserPoolId=pool["Id"], MaxResults=3, **({"NextToken": token} if token else {})
        )
        assert len(page["ResourceServers"]) <= 3
        seen += [s["Identifier"] for s in page["ResourceServers"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == identifiers


def test_limits(server: Server, pool: dict[str, Any]) -> None:
    admin = server.admin()
    with pytest.raises(ClientError) as exc:
        admin.create_resource_server(
            UserPoolId=pool["Id"], Identifier="dup", Name="n", Scopes=scopes("a", "a")
        )
    assert error(exc)[0] == "InvalidParameterException"
    for i in range(25):
        admin.create_resource_server(UserPoolId=pool["Id"], Identifier=f"s{i}", Name="n")
    with pytest.raises(ClientError) as exc:
        admin.create_resource_server(UserPoolId=pool["Id"], Identifier="s25", Name="n")
    assert error(exc)[0] == "LimitExceededException"


def test_model_limits_reach_the_server(server: Server, pool: dict[str, Any]) -> None:
    raw = boto3.client(
        "cognito-idp",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )
    too_many = scopes(*(f"s{i}" for i in range(101)))
    with pytest.raises(ClientError) as exc:
        raw.create_resource_server(
            UserPoolId=pool["Id"], Identifier="big", Name="n", Scopes=too_many
        )
    assert error(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:  # '/' cannot be in a scope name
        raw.create_resource_server(
            UserPoolId=pool["Id"], Identifier="x", Name="n", Scopes=scopes("a/b")
        )
    assert error(exc)[0] == "InvalidParameterException"


def test_client_scopes_must_exist(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    identifier = f"https://{secrets.token_hex(3)}.example.com"
    admin.create_resource_server(
        UserPoolId=pool_id, Identifier=identifier, Name="API", Scopes=scopes("read")
    )
    oauth = {
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "GenerateSecret": True,
    }
    client = admin.create_user_pool_client(
        UserPoolId=pool_id, ClientName="m2m", AllowedOAuthScopes=[f"{identifier}/read"], **oauth
    )["UserPoolClient"]
    assert client["AllowedOAuthScopes"] == [f"{identifier}/read"]

    for bad in (f"{identifier}/write", "https://other.example.com/read", "unknown"):
        with pytest.raises(ClientError) as exc:
            admin.create_user_pool_client(
                UserPoolId=pool_id, ClientName="m2m", AllowedOAuthScopes=[bad], **oauth
            )
        assert error(exc) == ("ScopeDoesNotExistException", f"Invalid scope requested: {bad}")
    with pytest.raises(ClientError) as exc:
        admin.update_user_pool_client(
            UserPoolId=pool_id,
            ClientId=client["ClientId"],
            AllowedOAuthFlows=["client_credentials"],
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthScopes=[f"{identifier}/write"],
        )
    assert error(exc)[0] == "ScopeDoesNotExistException"
    # Another pool's server does not count.
    other = make_pool(server)
    with pytest.raises(ClientError) as exc:
        admin.create_user_pool_client(
            UserPoolId=other["Id"],
            ClientName="m2m",
            AllowedOAuthScopes=[f"{identifier}/read"],
            **oauth,
        )
    assert error(exc)[0] == "ScopeDoesNotExistException"
    # The standard scopes need no server.
    admin.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        AllowedOAuthFlows=["code"],
        AllowedOAuthFlowsUserPoolClient=True,
        CallbackURLs=["https://app.example.com/cb"],
        AllowedOAuthScopes=["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"],
    )
