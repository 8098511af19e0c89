"""The AWS JSON 1.1 wire: content types, request ids, error rendering, bad input, CORS, health.

Raw HTTP (httpx), so that what boto3 would refuse to send still reaches the server.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.factories import make_client, make_pool
from tests.support.live import Server, drop_pg_database, run_server
from tests.support.signing import AMZ_JSON, signed_headers, target

from mamori.api.errors import error_response
from mamori.domain import errors

LIMIT = 1024 * 1024
AMPLIFY_HEADERS = (
    "content-type, x-amz-target, x-amz-user-agent, cache-control, amz-sdk-invocation-id, "
    "amz-sdk-request"
)


def send(server: Server, body: bytes | Any, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(server.url + "/", content=body, headers=headers, timeout=30)


def admin_call(
    server: Server, operation: str, body: bytes, content_type: str = AMZ_JSON
) -> httpx.Response:
    headers = signed_headers(
        server.url,
        operation,
        body,
        server.access_key_id,
        server.secret_access_key,
        content_type=content_type,
    )
    return send(server, body, headers)


def public_call(server: Server, operation: str, body: bytes) -> httpx.Response:
    return send(server, body, {"Content-Type": AMZ_JSON, "X-Amz-Target": target(operation)})


def request_id(response: httpx.Response) -> str:
    value = response.headers["x-amzn-RequestId"]
    uuid.UUID(value)
    return value


def aws_error(response: httpx.Response, code: str, status: int = 400) -> str:
    """Check an AWS JSON error response; return its message."""
    assert response.status_code == status, response.text
    assert response.headers["x-amzn-ErrorType"] == code
    assert response.headers["content-type"] == AMZ_JSON
    request_id(response)
    body = response.json()
    assert set(body) == {"__type", "message"}
    assert body["__type"] == code
    return str(body["message"])


@pytest.fixture(scope="module")
def signup(server: Server) -> dict[str, Any]:
    pool = make_pool(server, Schema=[{"Name": "team", "AttributeDataType": "String"}])
    client = make_client(server, pool["Id"])
    return {"pool": pool["Id"], "client": client["ClientId"]}


def sign_up_body(client_id: str, username: str, **extra: Any) -> dict[str, Any]:
    return {"ClientId": client_id, "Username": username, "Password": "Passw0rd!x", **extra}


def assert_no_user(server: Server, pool_id: str, username: str) -> None:
    users = server.admin().list_users(UserPoolId=pool_id, Filter=f'username = "{username}"')
    assert users["Users"] == []


def assert_no_pool_named(server: Server, name: str) -> None:
    admin, token = server.admin(), None
    while True:
        page = admin.list_user_pools(MaxResults=60, **({"NextToken": token} if token else {}))
        assert name not in {p["Name"] for p in page["UserPools"]}
        token = page.get("NextToken")
        if not token:
            return


# --- content types, request ids, error shape -------------------------------------------------


@pytest.mark.parametrize("content_type", [AMZ_JSON, "application/json"])
def test_content_types(server: Server, content_type: str) -> None:
    response = admin_call(server, "ListUserPools", b'{"MaxResults": 1}', content_type)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == AMZ_JSON
    assert "UserPools" in response.json()
    request_id(response)


def test_every_response_has_a_request_id(server: Server) -> None:
    responses = [
        admin_call(server, "ListUserPools", b'{"MaxResults": 1}'),
        public_call(server, "NoSuchOperation", b"{}"),
        httpx.get(server.url + "/health"),
        httpx.get(server.url + "/no/such/path"),
        httpx.get(server.url + "/"),
        httpx.options(
            server.url + "/",
            headers={
                "Origin": "http://localhost:3000",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": AMPLIFY_HEADERS,
            },
        ),
    ]
    ids = [request_id(r) for r in responses]
    assert len(set(ids)) == len(ids)
    assert all(r.status_code < 500 for r in responses)


@pytest.mark.parametrize(
    ("operation", "body", "code", "status"),
    [
        ("CreateUserPool", {}, "InvalidParameterException", 400),
        (
            "DescribeUserPool",
            {"UserPoolId": "us-east-1_Missing00"},
            "ResourceNotFoundException",
            400,
        ),
        ("NoSuchOperation", {}, "UnknownOperationException", 400),
    ],
)
def test_error_rendering(
    server: Server, operation: str, body: dict[str, Any], code: str, status: int
) -> None:
    aws_error(admin_call(server, operation, json.dumps(body).encode()), code, status)


def test_user_not_found_and_not_authorized_statuses(server: Server, signup: dict[str, Any]) -> None:
    body = json.dumps({"UserPoolId": signup["pool"], "Username": "nobody-here"}).encode()
    aws_error(admin_call(server, "AdminGetUser", body), "UserNotFoundException")
    body = json.dumps({"AccessToken": "not-a-token"}).encode()
    aws_error(public_call(server, "GetUser", body), "NotAuthorizedException")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.TooManyRequestsException("slow down"), 400),
        (errors.LimitExceededException("limit"), 400),
        (errors.InternalErrorException(), 500),
        (errors.InvalidParameterException("bad"), 400),
        (errors.NotAuthorizedException("no"), 400),
        (errors.ResourceNotFoundException("gone"), 400),
        (errors.UserNotFoundException(), 400),
    ],
)
def test_status_of_each_error_class(error: errors.ServiceError, status: int) -> None:
    response = error_response(error, "rid-1")
    assert response.status_code == status
    assert response.headers["x-amzn-ErrorType"] == error.code
    assert response.headers["x-amzn-RequestId"] == "rid-1"
    assert json.loads(response.body) == {"__type": error.code, "message": error.message}


@pytest.mark.postgres
def test_database_failure_is_an_internal_error_not_a_stack_trace(tmp: Path) -> None:
    with run_server(tmp, "postgres") as live:
        pool = make_pool(live)
        drop_pg_database(live.database_url)
        response = admin_call(
            live, "DescribeUserPool", json.dumps({"UserPoolId": pool["Id"]}).encode()
        )
        message = aws_error(response, "InternalErrorException", 500)
        assert request_id(response) in message
        assert "Traceback" not in response.text and "psycopg" not in response.text
        assert httpx.get(live.url + "/health").status_code == 503


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"PoolName": ',
        b"{'PoolName': 'single quotes'}",
        b'{"PoolName": "x",}',
        b"[1, 2]",
        b"42",
        b'"a string"',
        b"null",
        b"true",
        b'{"MaxResults": NaN}',
        b'{"MaxResults": Infinity}',
    ],
)
def test_malformed_or_non_object_json(server: Server, body: bytes) -> None:
    aws_error(admin_call(server, "ListUserPools", body), "SerializationException")


def test_malformed_json_on_a_public_operation(server: Server) -> None:
    aws_error(public_call(server, "SignUp", b'{"ClientId": '), "SerializationException")


def test_invalid_utf8(server: Server, signup: dict[str, Any]) -> None:
    body = b'{"ClientId": "%s", "Username": "caf\xe9", "Password": "Passw0rd!x"}' % (
        signup["client"].encode()
    )
    message = aws_error(public_call(server, "SignUp", body), "SerializationException")
    assert "UTF-8" in message


def test_wrong_types_name_the_field_and_create_nothing(
    server: Server, signup: dict[str, Any]
) -> None:
    name = f"wrong-{secrets.token_hex(3)}"
    body = json.dumps({"PoolName": name, "UsernameAttributes": "email"}).encode()
    message = aws_error(admin_call(server, "CreateUserPool", body), "SerializationException")
    assert "'UsernameAttributes'" in message
    assert_no_pool_named(server, name)

    message = aws_error(
        admin_call(server, "CreateUserPool", b'{"PoolName": 5}'), "SerializationException"
    )
    assert "'PoolName'" in message

    username = f"u-{secrets.token_hex(3)}"
    body = json.dumps(
        sign_up_body(signup["client"], username, UserAttributes=[{"Name": "email", "Value": 7}])
    ).encode()
    message = aws_error(public_call(server, "SignUp", body), "SerializationException")
    assert "'UserAttributes[0].Value'" in message
    assert_no_user(server, signup["pool"], username)


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        ({"PoolName": "p" * 129}, ["poolName", "length less than or equal to 128"]),
        ({"PoolName": "bad/name"}, ["poolName", "regular expression pattern"]),
        ({}, ["poolName", "must not be null"]),
        ({"PoolName": "ok", "MfaConfiguration": "SOMETIMES"}, ["mfaConfiguration", "enum"]),
    ],
)
def test_constraint_violations_name_the_field(
    server: Server, body: dict[str, Any], needles: list[str]
) -> None:
    message = aws_error(
        admin_call(server, "CreateUserPool", json.dumps(body).encode()),
        "InvalidParameterException",
    )
    for needle in needles:
        assert needle in message


def test_invalid_sign_up_leaves_no_user(server: Server, signup: dict[str, Any]) -> None:
    username = f"u-{secrets.token_hex(3)}"
    too_long = sign_up_body(
        signup["client"], username, UserAttributes=[{"Name": "custom:team", "Value": "t" * 2049}]
    )
    message = aws_error(
        public_call(server, "SignUp", json.dumps(too_long).encode()), "InvalidParameterException"
    )
    assert "userAttributes.1.member.value" in message
    assert "t" * 50 not in message  # attribute values are sensitive: never echoed
    missing = {"ClientId": signup["client"], "Password": "Passw0rd!x"}
    message = aws_error(
        public_call(server, "SignUp", json.dumps(missing).encode()), "InvalidParameterException"
    )
    assert "'username'" in message
    assert_no_user(server, signup["pool"], username)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Amz-Target": "AWSCognitoIdentityProviderService.DoEverything"},
        {"X-Amz-Target": "SomeOtherService.ListUserPools"},
        {"X-Amz-Target": "ListUserPools"},
        {"X-Amz-Target": ""},
        {},
    ],
)
def test_unknown_or_missing_target(server: Server, headers: dict[str, str]) -> None:
    response = send(server, b"{}", {"Content-Type": AMZ_JSON, **headers})
    aws_error(response, "UnknownOperationException")


def test_body_over_the_limit_with_content_length(server: Server) -> None:
    body = b'{"MaxResults": 1}' + b" " * LIMIT
    message = aws_error(
        admin_call(server, "ListUserPools", body), "RequestEntityTooLargeException", 413
    )
    assert str(LIMIT) in message
    assert httpx.get(server.url + "/health").status_code == 200


def test_body_over_the_limit_chunked(server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"Username": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = send(server, chunks(), {"X-Amz-Target": target("SignUp")})
    assert "content-length" not in response.request.headers
    aws_error(response, "RequestEntityTooLargeException", 413)
    assert httpx.get(server.url + "/health").status_code == 200


def test_body_just_under_the_limit_is_read(server: Server) -> None:
    core = b'{"MaxResults": 1}'
    body = core + b" " * (LIMIT - len(core))
    assert len(body) == LIMIT
    response = admin_call(server, "ListUserPools", body)
    assert response.status_code == 200, response.text


def test_deeply_nested_json(server: Server) -> None:
    deep = b'{"MaxResults": 1, "Unknown": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    message = aws_error(admin_call(server, "ListUserPools", deep), "SerializationException")
    assert "nested" in message
    # Nesting the parser accepts, in a member the model does not know, is ignored.
    shallow = b'{"MaxResults": 1, "Unknown": ' + b"[" * 200 + b"]" * 200 + b"}"
    assert admin_call(server, "ListUserPools", shallow).status_code == 200


@pytest.mark.parametrize(
    "value",
    [b"1" + b"0" * 30, b"9" * 5000, b"-" + b"9" * 20, b"1e400", b"2.5", b"true", b'"10"'],
)
def test_huge_or_wrongly_typed_numbers(server: Server, value: bytes) -> None:
    body = b'{"MaxResults": ' + value + b"}"
    aws_error(admin_call(server, "ListUserPools", body), "SerializationException")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Username", "\\ud800abc"),
        ("Username", "abc\\udfff"),
        ("Password", "Passw0rd!\\u0000"),
        ("Attribute", "evil\\u0000value"),
    ],
)
def test_unstorable_strings(server: Server, signup: dict[str, Any], field: str, value: str) -> None:
    username = f"u-{secrets.token_hex(3)}"
    values = {"Username": username, "Password": "Passw0rd!x", "Attribute": "t"}
    values[field] = "@@RAW@@"
    document = sign_up_body(
        signup["client"],
        values["Username"],
        Password=values["Password"],
        UserAttributes=[{"Name": "custom:team", "Value": values["Attribute"]}],
    )
    # The escape goes into the JSON text as written: json.dumps would not emit it.
    body = json.dumps(document).replace("@@RAW@@", value).encode()
    message = aws_error(public_call(server, "SignUp", body), "SerializationException")
    assert "must not contain" in message
    assert_no_user(server, signup["pool"], username)


def test_a_paired_surrogate_escape_is_fine(server: Server, signup: dict[str, Any]) -> None:
    # "\ud83d\ude00" is one character (U+1F600), valid JSON and storable.
    username = f"smile-{secrets.token_hex(3)}-@@RAW@@"
    document = sign_up_body(
        signup["client"], username, UserAttributes=[{"Name": "email", "Value": "s@example.com"}]
    )
    body = json.dumps(document).replace("@@RAW@@", "\\ud83d\\ude00").encode()
    response = public_call(server, "SignUp", body)
    assert response.status_code == 200, response.text
    user = server.admin().admin_get_user(
        UserPoolId=signup["pool"], Username=username.replace("@@RAW@@", "\U0001f600")
    )
    assert user["Username"].endswith("\U0001f600")


def test_unknown_pool_and_client(server: Server, signup: dict[str, Any]) -> None:
    body = json.dumps({"UserPoolId": "us-east-1_AbsentPol"}).encode()
    aws_error(admin_call(server, "DescribeUserPool", body), "ResourceNotFoundException")
    body = json.dumps({"UserPoolId": signup["pool"], "ClientId": "a" * 26}).encode()
    aws_error(admin_call(server, "DescribeUserPoolClient", body), "ResourceNotFoundException")
    body = json.dumps(
        {
            "ClientId": "b" * 26,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": "a", "PASSWORD": "b"},
        }
    ).encode()
    aws_error(public_call(server, "InitiateAuth", body), "ResourceNotFoundException")


# --- CORS and health ---------------------------------------------------------------------------


def preflight(server: Server, origin: str) -> httpx.Response:
    return httpx.options(
        server.url + "/",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": AMPLIFY_HEADERS,
        },
    )


def test_cors_preflight_for_amplify(server: Server) -> None:
    response = preflight(server, "http://localhost:3000")
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] in {"*", "http://localhost:3000"}
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {h.strip() for h in AMPLIFY_HEADERS.split(",")} <= allowed
    assert "POST" in response.headers["access-control-allow-methods"]

    actual = send(
        server,
        b"{}",
        {"Origin": "http://localhost:3000", "X-Amz-Target": target("NoSuchOperation")},
    )
    assert actual.headers["access-control-allow-origin"] in {"*", "http://localhost:3000"}
    exposed = actual.headers["access-control-expose-headers"].lower()
    assert "x-amzn-requestid" in exposed and "x-amzn-errortype" in exposed


def test_cors_origins_are_configurable(tmp: Path) -> None:
    allowed = "https://app.example.com"
    with run_server(
        tmp, extra_env={"MAMORI_CORS_ORIGINS": f"{allowed},http://localhost:5173"}
    ) as live:
        ok = preflight(live, allowed)
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == allowed
        assert preflight(live, "http://localhost:5173").status_code == 200

        refused = preflight(live, "https://evil.example.net")
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        request_id(refused)
        actual = send(
            live,
            b"{}",
            {"Origin": "https://evil.example.net", "X-Amz-Target": target("NoSuchOperation")},
        )
        assert "access-control-allow-origin" not in actual.headers


def test_health(server: Server) -> None:
    response = httpx.get(server.url + "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
