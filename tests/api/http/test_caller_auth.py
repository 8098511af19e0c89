"""Caller authentication: admin operations need SigV4 with the admin credentials, public don't."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.session
import httpx
import pytest
from botocore.exceptions import ClientError
from tests.support.factories import make_client, make_pool
from tests.support.live import Server, run_server
from tests.support.signing import AMZ_JSON, client_with, signed_headers, target

import mamori.api.aws.cognito_idp.register  # noqa: F401  (fills the registry)
from mamori.api.aws.operations import IDP, REGISTRY


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def send(server: Server, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(server.url + "/", content=body, headers=headers, timeout=30)


def aws_error(response: httpx.Response) -> str:
    assert response.headers["x-amzn-ErrorType"] == response.json()["__type"]
    return str(response.json()["__type"])


def public_in_model() -> set[str]:
    """Operations botocore's model serves without SigV4 (`smithy.api#noAuth`), and those
    Cognito authorises otherwise although the model doesn't say so (dispatch.PUBLIC_OPERATIONS:
    GetClientToken, by the client's secret)."""
    data = botocore.session.get_session().get_service_data("cognito-idp")
    return {
        name
        for name, op in data["operations"].items()
        if "smithy.api#noAuth" in op.get("auth", []) or op.get("authtype") == "none"
    } | {"GetClientToken"}


def test_unsigned_admin_call(server: Server) -> None:
    response = send(
        server,
        b'{"MaxResults": 1}',
        {"Content-Type": AMZ_JSON, "X-Amz-Target": target("ListUserPools")},
    )
    assert response.status_code == 403
    assert aws_error(response) == "MissingAuthenticationTokenException"


def test_wrong_secret(server: Server) -> None:
    with pytest.raises(ClientError) as exc:
        client_with(server, server.access_key_id, "wrong-secret").list_user_pools(MaxResults=1)
    code, message = error(exc)
    assert code == "InvalidSignatureException"
    assert "signature we calculated does not match" in message


def test_unknown_access_key(server: Server) -> None:
    with pytest.raises(ClientError) as exc:
        client_with(server, "AKIDNOBODY123456", server.secret_access_key).list_user_pools(
            MaxResults=1
        )
    assert error(exc) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_tampered_body_creates_nothing(server: Server) -> None:
    signed_name, sent_name = f"signed-{secrets.token_hex(3)}", f"sent-{secrets.token_hex(3)}"
    signed_body = json.dumps({"PoolName": signed_name}).encode()
    headers = signed_headers(
        server.url, "CreateUserPool", signed_body, server.access_key_id, server.secret_access_key
    )
    sent_body = json.dumps({"PoolName": sent_name}).encode().ljust(len(signed_body))
    headers["Content-Length"] = str(len(sent_body))
    response = send(server, sent_body, headers)
    assert response.status_code == 400
    assert aws_error(response) == "InvalidSignatureException"
    names = {p["Name"] for p in server.admin().list_user_pools(MaxResults=60)["UserPools"]}
    assert not {signed_name, sent_name} & names


@pytest.mark.parametrize(
    ("skew", "needle"),
    [
        (timedelta(minutes=-20), "Signature expired"),
        (timedelta(minutes=20), "not yet current"),
        # AWS allows five minutes either way, not fifteen.
        (timedelta(minutes=-6), "- 5 min."),
        (timedelta(minutes=6), "+ 5 min."),
    ],
)
def test_stale_or_future_date(server: Server, skew: timedelta, needle: str) -> None:
    body = b'{"MaxResults": 1}'
    headers = signed_headers(
        server.url,
        "ListUserPools",
        body,
        server.access_key_id,
        server.secret_access_key,
        when=datetime.now(UTC) + skew,
    )
    response = send(server, body, headers)
    assert response.status_code == 400
    assert aws_error(response) == "InvalidSignatureException"
    assert needle in response.json()["message"]


def test_a_few_minutes_of_clock_skew_are_fine(server: Server) -> None:
    body = b'{"MaxResults": 1}'
    headers = signed_headers(
        server.url,
        "ListUserPools",
        body,
        server.access_key_id,
        server.secret_access_key,
        when=datetime.now(UTC) - timedelta(minutes=4),
    )
    assert send(server, body, headers).status_code == 200


# --- the signature binds the operation ---------------------------------------------------------


def signed_describe(server: Server, pool_id: str, **options: Any) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"UserPoolId": pool_id}).encode()
    headers = signed_headers(
        server.url,
        "DescribeUserPool",
        body,
        server.access_key_id,
        server.secret_access_key,
        **options,
    )
    return body, headers


def send_lines(server: Server, body: bytes, lines: list[tuple[str, str]]) -> httpx.Response:
    """A POST whose header lines are sent as listed, repeats included."""
    return httpx.post(server.url + "/", content=body, headers=lines, timeout=30)


def assert_pool_exists(server: Server, pool_id: str) -> None:
    assert server.admin().describe_user_pool(UserPoolId=pool_id)["UserPool"]["Id"] == pool_id


def test_replayed_describe_with_a_leading_delete_target_deletes_nothing(server: Server) -> None:
    pool_id = make_pool(server)["Id"]
    body, headers = signed_describe(server, pool_id)
    assert send(server, body, headers).status_code == 200  # the captured request
    replay = [("X-Amz-Target", target("DeleteUserPool")), *headers.items()]
    response = send_lines(server, body, replay)
    assert response.status_code == 400
    assert aws_error(response) == "UnknownOperationException"
    assert "'x-amz-target' appears more than once" in response.json()["message"]
    assert_pool_exists(server, pool_id)


@pytest.mark.parametrize("name", ["Content-Type", "X-Amz-Date", "Authorization", "X-Amzn-Trace-Id"])
def test_a_repeated_header_is_refused(server: Server, name: str) -> None:
    pool_id = make_pool(server)["Id"]
    body, headers = signed_describe(server, pool_id)
    delete_body, delete_headers = json.dumps({"UserPoolId": pool_id}).encode(), dict(headers)
    delete_headers["X-Amz-Target"] = target("DeleteUserPool")
    # A header the signature covers gets a second line; an unsigned one is sent twice.
    extra = [(name, headers[name])] if name in headers else [(name, "a"), (name, "b")]
    response = send_lines(server, delete_body, [*extra, *delete_headers.items()])
    assert response.status_code == 400
    assert aws_error(response) == "IncompleteSignatureException"
    assert f"'{name.lower()}' appears more than once" in response.json()["message"]
    response = send_lines(server, body, [*headers.items(), *extra])
    assert aws_error(response) == "IncompleteSignatureException"
    assert_pool_exists(server, pool_id)


@pytest.mark.parametrize("name", ["X-Amz-Target", "Content-Type"])
def test_an_unsigned_target_or_content_type_is_refused(server: Server, name: str) -> None:
    pool_id = make_pool(server)["Id"]
    body, headers = signed_describe(server, pool_id, unsigned=(name,))
    if name == "X-Amz-Target":
        headers[name] = target("DeleteUserPool")  # any operation, had the target been free
    response = send(server, body, headers)
    assert response.status_code == 400
    assert aws_error(response) == "IncompleteSignatureException"
    assert response.json()["message"] == (
        f"'{name}' must be a 'SignedHeader' in the AWS Authorization."
    )
    assert_pool_exists(server, pool_id)


@pytest.mark.parametrize("service", ["cognito-identity", "execute-api"])
def test_a_scope_for_another_service_is_refused(server: Server, service: str) -> None:
    pool_id = make_pool(server)["Id"]
    body = json.dumps({"UserPoolId": pool_id}).encode()
    headers = signed_headers(
        server.url,
        "DeleteUserPool",
        body,
        server.access_key_id,
        server.secret_access_key,
        service=service,
    )
    response = send(server, body, headers)
    assert response.status_code == 400
    assert aws_error(response) == "InvalidSignatureException"
    assert response.json()["message"] == (
        "Credential should be scoped to correct service: 'cognito-idp'."
    )
    assert_pool_exists(server, pool_id)


def test_every_operation_authenticates_as_the_model_says(server: Server) -> None:
    public = public_in_model()
    registered = sorted(name for prefix, name in REGISTRY if prefix == IDP)
    assert registered
    for name in registered:
        response = send(server, b"{}", {"Content-Type": AMZ_JSON, "X-Amz-Target": target(name)})
        assert response.status_code < 500, (name, response.text)
        code = aws_error(response) if response.status_code >= 400 else None
        if name in public:
            assert code != "MissingAuthenticationTokenException", name
        else:
            assert code == "MissingAuthenticationTokenException", name


def test_public_operations_work_unsigned_or_signed_by_anyone(server: Server) -> None:
    pool = make_pool(server)
    client_id = make_client(server, pool["Id"], PreventUserExistenceErrors="LEGACY")["ClientId"]
    username = f"pub-{secrets.token_hex(3)}"
    attributes = [{"Name": "email", "Value": f"{username}@example.com"}]
    result = server.public().sign_up(
        ClientId=client_id, Username=username, Password="Passw0rd!x", UserAttributes=attributes
    )
    assert result["UserSub"]
    # Some SDKs sign every call with whatever credentials they hold: that must not matter.
    stranger = client_with(server, "AKIDSTRANGER0000", "not-the-secret")
    with pytest.raises(ClientError) as exc:
        stranger.sign_up(
            ClientId=client_id, Username=username, Password="Passw0rd!x", UserAttributes=attributes
        )
    assert error(exc)[0] == "UsernameExistsException"
    with pytest.raises(ClientError) as exc:
        server.public().get_user(AccessToken="not-a-token")
    assert error(exc)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as exc:
        stranger.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": "wrong-Passw0rd!"},
        )
    assert error(exc)[0] in {"NotAuthorizedException", "UserNotConfirmedException"}


def test_accept_any_credentials(tmp: Path) -> None:
    with run_server(tmp, args=("--accept-any-credentials",)) as live:
        anyone = client_with(live, "AKIDANYONE000000", "whatever")
        assert "UserPools" in anyone.list_user_pools(MaxResults=1)
        unsigned = send(live, b'{"MaxResults": 1}', {"X-Amz-Target": target("ListUserPools")})
        assert unsigned.status_code == 200
        assert live.log_path is not None
        log = live.log_path.read_text()
    assert "WARNING: --accept-any-credentials" in log
    assert "NOT authenticated" in log


def test_no_warning_without_the_flag(server: Server) -> None:
    assert server.log_path is not None
    assert "accept-any-credentials" not in server.log_path.read_text()
