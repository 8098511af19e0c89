"""App clients: create, describe, update, delete, list and their configuration rules."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from tests.support.db import rows
from tests.support.factories import make_pool
from tests.support.live import Server

DEFAULT_FLOWS = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"]


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def unvalidated(server: Server) -> Any:
    """An admin client that sends what it is given: the server must do the validating."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )


def client_ids(server: Server, pool_id: str) -> set[str]:
    admin, ids, token = server.admin(), set(), None
    while True:
        page = admin.list_user_pool_clients(
            UserPoolId=pool_id, MaxResults=60, **({"NextToken": token} if token else {})
        )
        ids |= {c["ClientId"] for c in page["UserPoolClients"]}
        token = page.get("NextToken")
        if not token:
            return ids


@pytest.fixture(scope="module")
def pool(server: Server) -> dict[str, Any]:
    return make_pool(
        server,
        Schema=[
            {"Name": "plan", "AttributeDataType": "String", "Mutable": True},
            {"Name": "frozen", "AttributeDataType": "String", "Mutable": False},
        ],
    )


def test_create_with_defaults(server: Server, pool: dict[str, Any]) -> None:
    created = server.admin().create_user_pool_client(UserPoolId=pool["Id"], ClientName="plain")
    client = created["UserPoolClient"]
    assert re.fullmatch(r"[a-z0-9]{26}", client["ClientId"])
    assert client["UserPoolId"] == pool["Id"]
    assert client["ClientName"] == "plain"
    assert "ClientSecret" not in client
    assert isinstance(client["CreationDate"], datetime)
    # Cognito's defaults for a client created through the API.
    assert client["PreventUserExistenceErrors"] == "LEGACY"
    assert client["EnableTokenRevocation"] is True
    assert client["AuthSessionValidity"] == 3
    assert client["ExplicitAuthFlows"] == DEFAULT_FLOWS
    assert (client["AccessTokenValidity"], client["IdTokenValidity"]) == (60, 60)
    assert client["RefreshTokenValidity"] == 30
    assert client["TokenValidityUnits"] == {
        "AccessToken": "minutes",
        "IdToken": "minutes",
        "RefreshToken": "days",
    }
    assert "ReadAttributes" not in client and "WriteAttributes" not in client
    described = server.admin().describe_user_pool_client(
        UserPoolId=pool["Id"], ClientId=client["ClientId"]
    )["UserPoolClient"]
    assert described == client


def test_generated_secret_is_returned_and_stored_encrypted(
    server: Server, pool: dict[str, Any]
) -> None:
    admin = server.admin()
    client = admin.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="confidential", GenerateSecret=True
    )["UserPoolClient"]
    secret = client["ClientSecret"]
    assert re.fullmatch(r"[a-z0-9]{51}", secret)
    described = admin.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    assert described["UserPoolClient"]["ClientSecret"] == secret
    listed = admin.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)
    assert all("ClientSecret" not in c for c in listed["UserPoolClients"])

    (row,) = rows(
        server.database_url,
        "SELECT * FROM clients WHERE id = :id",
        id=client["ClientId"],
    )
    stored = " ".join(str(v) for v in row.values())
    assert row["secret_sealed"]
    assert secret not in stored
    # An update keeps the secret (and it stays sealed).
    admin.update_user_pool_client(
        UserPoolId=pool["Id"], ClientId=client["ClientId"], ClientName="renamed"
    )
    again = admin.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    assert again["UserPoolClient"]["ClientSecret"] == secret


def test_chosen_secret(server: Server, pool: dict[str, Any]) -> None:
    admin = server.admin()
    chosen = "my_own_secret_" + secrets.token_hex(12)
    client = admin.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="chosen", ClientSecret=chosen
    )["UserPoolClient"]
    assert client["ClientSecret"] == chosen
    before = client_ids(server, pool["Id"])
    with pytest.raises(ClientError) as exc:
        admin.create_user_pool_client(
            UserPoolId=pool["Id"], ClientName="both", GenerateSecret=True, ClientSecret=chosen
        )
    assert error(exc)[0] == "InvalidParameterException"
    assert client_ids(server, pool["Id"]) == before


def test_token_validity_units(server: Server, pool: dict[str, Any]) -> None:
    admin = server.admin()
    client = admin.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="lifetimes",
        AccessTokenValidity=1,
        IdTokenValidity=5,
        RefreshTokenValidity=90,
        TokenValidityUnits={"IdToken": "minutes", "RefreshToken": "minutes"},
    )["UserPoolClient"]
    # Cognito: without a unit, access and ID lifetimes are in hours and refresh in days.
    assert client["AccessTokenValidity"] == 1
    assert client["TokenValidityUnits"] == {
        "AccessToken": "hours",
        "IdToken": "minutes",
        "RefreshToken": "minutes",
    }
    assert (client["IdTokenValidity"], client["RefreshTokenValidity"]) == (5, 90)

    # A refresh lifetime of 0 means the default of 30 days.
    zero = admin.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="zero", RefreshTokenValidity=0
    )["UserPoolClient"]
    assert (zero["RefreshTokenValidity"], zero["TokenValidityUnits"]["RefreshToken"]) == (
        30,
        "days",
    )


@pytest.mark.parametrize(
    "params",
    [
        {"AccessTokenValidity": 4, "TokenValidityUnits": {"AccessToken": "minutes"}},
        {"AccessTokenValidity": 25},  # hours
        {"IdTokenValidity": 2, "TokenValidityUnits": {"IdToken": "days"}},
        {"IdTokenValidity": 299, "TokenValidityUnits": {"IdToken": "seconds"}},
        {"RefreshTokenValidity": 59, "TokenValidityUnits": {"RefreshToken": "minutes"}},
        {"RefreshTokenValidity": 3651},  # days: more than 10 years
    ],
)
def test_token_validity_out_of_range(
    server: Server, pool: dict[str, Any], params: dict[str, Any]
) -> None:
    before = client_ids(server, pool["Id"])
    with pytest.raises(ClientError) as exc:
        server.admin().create_user_pool_client(UserPoolId=pool["Id"], ClientName="x", **params)
    code, message = error(exc)
    assert code == "InvalidParameterException"
    assert message.startswith("Invalid range for token validity.")
    assert client_ids(server, pool["Id"]) == before


def test_token_validity_range_edges(server: Server, pool: dict[str, Any]) -> None:
    client = server.admin().create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="edges",
        AccessTokenValidity=300,
        IdTokenValidity=1,
        RefreshTokenValidity=3650,
        TokenValidityUnits={"AccessToken": "seconds", "IdToken": "days", "RefreshToken": "days"},
    )["UserPoolClient"]
    assert (client["AccessTokenValidity"], client["IdTokenValidity"]) == (300, 1)
    assert client["RefreshTokenValidity"] == 3650


@pytest.mark.parametrize(
    ("params", "code", "needle"),
    [
        ({"ExplicitAuthFlows": ["ALLOW_EVERYTHING"]}, "InvalidParameterException", "enum"),
        (
            {"ExplicitAuthFlows": ["USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"]},
            "InvalidParameterException",
            "legacy",
        ),
        (
            {"ReadAttributes": ["email", "custom:unknown"]},
            "InvalidParameterException",
            "Invalid read attributes specified while creating a client",
        ),
        (
            {"WriteAttributes": ["nonexistent"]},
            "InvalidParameterException",
            "Invalid write attributes specified while creating a client",
        ),
        (
            {"WriteAttributes": ["custom:frozen"]},
            "InvalidParameterException",
            "Invalid write attributes specified while creating a client",
        ),
        (
            {"WriteAttributes": ["email_verified"]},
            "InvalidParameterException",
            "Invalid write attributes specified while creating a client",
        ),
        ({"PreventUserExistenceErrors": "MAYBE"}, "InvalidParameterException", "enum"),
        ({"AuthSessionValidity": 16}, "InvalidParameterException", "authSessionValidity"),
        ({"EnableTokenRevocation": "yes"}, "SerializationException", "EnableTokenRevocation"),
        ({"ClientName": "no/slashes"}, "InvalidParameterException", "clientName"),
    ],
)
def test_invalid_configuration_is_refused(
    server: Server, pool: dict[str, Any], params: dict[str, Any], code: str, needle: str
) -> None:
    before = client_ids(server, pool["Id"])
    with pytest.raises(ClientError) as exc:
        unvalidated(server).create_user_pool_client(
            UserPoolId=pool["Id"], **{"ClientName": "bad", **params}
        )
    assert error(exc)[0] == code
    assert needle in error(exc)[1]
    assert client_ids(server, pool["Id"]) == before


def test_explicit_configuration_round_trips(server: Server, pool: dict[str, Any]) -> None:
    admin = server.admin()
    client = admin.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="configured",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=False,
        AuthSessionValidity=10,
        ReadAttributes=["email", "custom:plan", "custom:frozen"],
        WriteAttributes=["email", "custom:plan"],
    )["UserPoolClient"]
    assert client["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["EnableTokenRevocation"] is False
    assert client["AuthSessionValidity"] == 10
    assert client["ReadAttributes"] == ["email", "custom:plan", "custom:frozen"]
    assert client["WriteAttributes"] == ["email", "custom:plan"]
    legacy = admin.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="legacy", ExplicitAuthFlows=["USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    assert legacy["ExplicitAuthFlows"] == ["USER_PASSWORD_AUTH"]


def test_update_resets_omitted_settings(server: Server, pool: dict[str, Any]) -> None:
    admin = server.admin()
    client = admin.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="before",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED",
        AccessTokenValidity=2,
        ReadAttributes=["email"],
        WriteAttributes=["email"],
        EnableTokenRevocation=False,
    )["UserPoolClient"]
    updated = admin.update_user_pool_client(
        UserPoolId=pool["Id"], ClientId=client["ClientId"], ClientName="after"
    )["UserPoolClient"]
    assert updated["ClientName"] == "after"
    assert updated["ClientSecret"] == client["ClientSecret"]
    assert updated["ExplicitAuthFlows"] == DEFAULT_FLOWS
    assert updated["PreventUserExistenceErrors"] == "LEGACY"
    assert updated["AccessTokenValidity"] == 60
    assert updated["TokenValidityUnits"]["AccessToken"] == "minutes"
    assert updated["EnableTokenRevocation"] is True
    assert "ReadAttributes" not in updated and "WriteAttributes" not in updated
    assert updated["CreationDate"] == client["CreationDate"]
    described = admin.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    assert described["UserPoolClient"] == updated
    # Without ClientName the name stays.
    kept = admin.update_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    assert kept["UserPoolClient"]["ClientName"] == "after"


def test_update_refuses_invalid_configuration_and_changes_nothing(
    server: Server, pool: dict[str, Any]
) -> None:
    admin = server.admin()
    client = admin.create_user_pool_client(UserPoolId=pool["Id"], ClientName="stable")
    client_id = client["UserPoolClient"]["ClientId"]
    with pytest.raises(ClientError) as exc:
        admin.update_user_pool_client(
            UserPoolId=pool["Id"], ClientId=client_id, WriteAttributes=["custom:frozen"]
        )
    assert error(exc) == (
        "InvalidParameterException",
        "Invalid write attributes specified while updating a client",
    )
    after = admin.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client_id)
    assert after["UserPoolClient"] == client["UserPoolClient"]


def test_delete(server: Server, pool: dict[str, Any]) -> None:
    admin = server.admin()
    client_id = admin.create_user_pool_client(UserPoolId=pool["Id"], ClientName="doomed")[
        "UserPoolClient"
    ]["ClientId"]
    admin.delete_user_pool_client(UserPoolId=pool["Id"], ClientId=client_id)
    assert client_id not in client_ids(server, pool["Id"])
    for call in (admin.describe_user_pool_client, admin.delete_user_pool_client):
        with pytest.raises(ClientError) as exc:
            call(UserPoolId=pool["Id"], ClientId=client_id)
        assert error(exc) == (
            "ResourceNotFoundException",
            f"User pool client {client_id} does not exist.",
        )


def test_client_of_another_pool_is_not_found(server: Server, pool: dict[str, Any]) -> None:
    admin = server.admin()
    other = make_pool(server)
    client_id = admin.create_user_pool_client(UserPoolId=other["Id"], ClientName="elsewhere")[
        "UserPoolClient"
    ]["ClientId"]
    for call in (
        admin.describe_user_pool_client,
        admin.delete_user_pool_client,
        admin.update_user_pool_client,
    ):
        with pytest.raises(ClientError) as exc:
            call(UserPoolId=pool["Id"], ClientId=client_id)
        assert error(exc)[0] == "ResourceNotFoundException"
    assert admin.describe_user_pool_client(UserPoolId=other["Id"], ClientId=client_id)


def test_unknown_pool(server: Server) -> None:
    with pytest.raises(ClientError) as exc:
        server.admin().create_user_pool_client(UserPoolId="us-east-1_NoSuchPoo", ClientName="x")
    assert error(exc) == (
        "ResourceNotFoundException",
        "User pool us-east-1_NoSuchPoo does not exist.",
    )


def test_list_pages(server: Server) -> None:
    admin = server.admin()
    own = make_pool(server)
    made = {
        admin.create_user_pool_client(UserPoolId=own["Id"], ClientName=f"c{i}")["UserPoolClient"][
            "ClientId"
        ]
        for i in range(5)
    }
    seen: list[str] = []
    token = None
    while True:
        page = admin.list_user_pool_clients(
            UserPoolId=own["Id"], MaxResults=2, **({"NextToken": token} if token else {})
        )
        assert len(page["UserPoolClients"]) <= 2
        for summary in page["UserPoolClients"]:
            assert set(summary) == {"ClientId", "UserPoolId", "ClientName"}
            assert summary["UserPoolId"] == own["Id"]
        seen += [c["ClientId"] for c in page["UserPoolClients"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted(made)
