"""Refresh: REFRESH_TOKEN_AUTH and GetTokensFromRefreshToken, with and without rotation; refresh
tokens at rest (expiry, in-process: tests/services/tokens/test_refresh.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.db import rows
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.live import Server
from tests.support.tokens import unverified, verify

USER_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def fails(call: Callable[[], Any], code: str, message: str | None = None) -> None:
    with pytest.raises(ClientError) as exc:
        call()
    err = exc.value.response["Error"]
    assert err["Code"] == code, err
    if message is not None:
        assert err["Message"] == message


def secret_hash(username: str, client_id: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def refresh_auth(server: Server, client_id: str, token: str, **extra: str) -> dict[str, Any]:
    out = server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": token, **extra},
    )
    return dict(out["AuthenticationResult"])


def get_tokens(server: Server, client_id: str, token: str, **extra: str) -> dict[str, Any]:
    out = server.public().get_tokens_from_refresh_token(
        ClientId=client_id, RefreshToken=token, **extra
    )
    return dict(out["AuthenticationResult"])


@pytest.fixture(scope="module")
def pool(server: Server) -> dict[str, Any]:
    return make_pool(server)


@pytest.fixture(scope="module")
def client_id(server: Server, pool: dict[str, Any]) -> str:
    made = make_client(
        server, pool["Id"], ExplicitAuthFlows=[*USER_FLOWS, "ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )
    return str(made["ClientId"])


@pytest.fixture(scope="module")
def rotating(server: Server, pool: dict[str, Any]) -> str:
    """Rotation without a grace period (Cognito: no ALLOW_REFRESH_TOKEN_AUTH with rotation)."""
    return str(
        make_client(
            server,
            pool["Id"],
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
            RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
        )["ClientId"]
    )


@pytest.fixture(scope="module")
def user(server: Server, pool: dict[str, Any]) -> str:
    return make_user(server, pool["Id"])


def same_session(first: dict[str, Any], later: dict[str, Any]) -> None:
    """`later` continues the sign-in of `first`: same origin_jti and auth_time, new jti."""
    for kind in ("AccessToken", "IdToken"):
        a, b = unverified(first[kind]), unverified(later[kind])
        assert b["origin_jti"] == a["origin_jti"]
        assert b["auth_time"] == a["auth_time"]
        assert b["sub"] == a["sub"]
        assert b["jti"] != a["jti"]


def test_refresh_token_auth(
    server: Server, pool: dict[str, Any], client_id: str, user: str
) -> None:
    first = sign_in(server, client_id, user)
    again = refresh_auth(server, client_id, first["RefreshToken"])
    assert "RefreshToken" not in again  # no rotation: the refresh token stays the same
    assert again["ExpiresIn"] == 3600 and again["TokenType"] == "Bearer"
    same_session(first, again)
    verify(server, pool["Id"], again["IdToken"], audience=client_id)
    assert server.public().get_user(AccessToken=again["AccessToken"])["Username"] == user
    # The original refresh token keeps working; so does the REFRESH_TOKEN alias.
    alias = server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN",
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )["AuthenticationResult"]
    same_session(first, alias)


def test_null_auth_parameters_count_as_absent(server: Server, client_id: str, user: str) -> None:
    """amazon-cognito-identity-js sends DEVICE_KEY: null on every refresh."""
    first = sign_in(server, client_id, user)
    status, _, body = server.post(
        json.dumps(
            {
                "ClientId": client_id,
                "AuthFlow": "REFRESH_TOKEN_AUTH",
                "AuthParameters": {"REFRESH_TOKEN": first["RefreshToken"], "DEVICE_KEY": None},
            }
        ).encode(),
        {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
        },
    )
    assert status == 200, body
    same_session(first, json.loads(body)["AuthenticationResult"])


def test_refresh_through_admin_initiate_auth(
    server: Server, pool: dict[str, Any], client_id: str, user: str
) -> None:
    first = sign_in(server, client_id, user)
    out = server.admin().admin_initiate_auth(
        UserPoolId=pool["Id"],
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )["AuthenticationResult"]
    same_session(first, out)


def test_get_tokens_from_refresh_token_without_rotation(
    server: Server, client_id: str, user: str
) -> None:
    first = sign_in(server, client_id, user)
    again = get_tokens(server, client_id, first["RefreshToken"])
    assert "RefreshToken" not in again
    same_session(first, again)
    same_session(first, get_tokens(server, client_id, first["RefreshToken"]))


def test_refreshed_tokens_read_the_user_as_it_is_now(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    username = make_user(server, pool["Id"])
    first = sign_in(server, client_id, username)
    admin = server.admin()
    admin.admin_update_user_attributes(
        UserPoolId=pool["Id"], Username=username, UserAttributes=[{"Name": "name", "Value": "New"}]
    )
    admin.create_group(UserPoolId=pool["Id"], GroupName=f"g-{username}")
    admin.admin_add_user_to_group(
        UserPoolId=pool["Id"], Username=username, GroupName=f"g-{username}"
    )
    again = refresh_auth(server, client_id, first["RefreshToken"])
    assert unverified(again["IdToken"])["name"] == "New"
    assert unverified(again["AccessToken"])["cognito:groups"] == [f"g-{username}"]


def test_bad_refresh_tokens(
    server: Server, pool: dict[str, Any], client_id: str, user: str
) -> None:
    fails(
        lambda: refresh_auth(server, client_id, "not-a-refresh-token"),
        "NotAuthorizedException",
        "Invalid Refresh Token",
    )
    fails(
        lambda: get_tokens(server, client_id, "not-a-refresh-token"),
        "NotAuthorizedException",
        "Invalid Refresh Token",
    )
    token = sign_in(server, client_id, user)["RefreshToken"]
    # Issued to one client: no other client (of this pool or another) can use it.
    other = make_client(server, pool["Id"], ExplicitAuthFlows=USER_FLOWS)["ClientId"]
    elsewhere = make_client(server, make_pool(server)["Id"], ExplicitAuthFlows=USER_FLOWS)
    for cid in (other, elsewhere["ClientId"]):
        fails(lambda cid=cid: refresh_auth(server, cid, token), "NotAuthorizedException")
        fails(lambda cid=cid: get_tokens(server, cid, token), "NotAuthorizedException")
    fails(
        lambda: server.public().initiate_auth(
            ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={}
        ),
        "InvalidParameterException",
        "Missing required parameter REFRESH_TOKEN",
    )


def test_refresh_of_a_disabled_user_is_refused(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    username = make_user(server, pool["Id"])
    token = sign_in(server, client_id, username)["RefreshToken"]
    server.admin().admin_disable_user(UserPoolId=pool["Id"], Username=username)
    fails(lambda: refresh_auth(server, client_id, token), "NotAuthorizedException")
    fails(lambda: get_tokens(server, client_id, token), "NotAuthorizedException")


def test_secret_clients_prove_their_secret_on_refresh(server: Server, pool: dict[str, Any]) -> None:
    made = make_client(server, pool["Id"], ExplicitAuthFlows=USER_FLOWS, GenerateSecret=True)
    cid, secret = made["ClientId"], made["ClientSecret"]
    username = make_user(server, pool["Id"])
    first = server.public().initiate_auth(
        ClientId=cid,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": username,
            "PASSWORD": PASSWORD,
            "SECRET_HASH": secret_hash(username, cid, secret),
        },
    )["AuthenticationResult"]
    token = first["RefreshToken"]
    fails(lambda: refresh_auth(server, cid, token), "NotAuthorizedException")
    fails(
        lambda: refresh_auth(server, cid, token, SECRET_HASH=secret_hash(username, cid, "nope")),
        "NotAuthorizedException",
    )
    same_session(
        first, refresh_auth(server, cid, token, SECRET_HASH=secret_hash(username, cid, secret))
    )
    sub = unverified(first["IdToken"])["sub"]
    same_session(first, refresh_auth(server, cid, token, SECRET_HASH=secret_hash(sub, cid, secret)))
    fails(lambda: get_tokens(server, cid, token), "NotAuthorizedException")
    fails(lambda: get_tokens(server, cid, token, ClientSecret="x" * 51), "NotAuthorizedException")
    same_session(first, get_tokens(server, cid, token, ClientSecret=secret))


# --- rotation
def test_rotation_issues_a_new_refresh_token_and_retires_the_old(
    server: Server, rotating: str, user: str
) -> None:
    first = sign_in(server, rotating, user)
    second = get_tokens(server, rotating, first["RefreshToken"])
    assert second["RefreshToken"] and second["RefreshToken"] != first["RefreshToken"]
    same_session(first, second)
    assert server.public().get_user(AccessToken=second["AccessToken"])["Username"] == user
    # No grace period: the replaced token is done at once.
    fails(
        lambda: get_tokens(server, rotating, first["RefreshToken"]),
        "RefreshTokenReuseException",
    )
    # RFC 9700 reuse detection: the reuse revoked the whole family, the successor included.
    fails(
        lambda: get_tokens(server, rotating, second["RefreshToken"]),
        "NotAuthorizedException",
        "Refresh Token has been revoked",
    )
    fails(
        lambda: server.public().get_user(AccessToken=second["AccessToken"]),
        "NotAuthorizedException",
        "Access Token has been revoked",
    )
    # The user's other sign-ins are untouched.
    again = sign_in(server, rotating, user)
    assert get_tokens(server, rotating, again["RefreshToken"])["RefreshToken"]


def test_rotating_clients_refuse_refresh_token_auth(
    server: Server, rotating: str, user: str
) -> None:
    token = sign_in(server, rotating, user)["RefreshToken"]
    with pytest.raises(ClientError) as exc:
        refresh_auth(server, rotating, token)
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "GetTokensFromRefreshToken" in exc.value.response["Error"]["Message"]
    assert get_tokens(server, rotating, token)["RefreshToken"]


def test_rotation_grace_period_allows_a_retry(
    server: Server, pool: dict[str, Any], user: str
) -> None:
    cid = make_client(
        server,
        pool["Id"],
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 60},
    )["ClientId"]
    first = sign_in(server, cid, user)
    second = get_tokens(server, cid, first["RefreshToken"])
    retry = get_tokens(server, cid, first["RefreshToken"])  # lost response: the client retries
    assert retry["RefreshToken"] not in {first["RefreshToken"], second["RefreshToken"]}
    for later in (second, retry):
        same_session(first, later)
        assert get_tokens(server, cid, later["RefreshToken"])["AccessToken"]


def test_concurrent_rotation_has_one_winner(server: Server, rotating: str, user: str) -> None:
    token = sign_in(server, rotating, user)["RefreshToken"]

    def attempt(_: int) -> str:
        try:
            get_tokens(server, rotating, token)
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])
        return "ok"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(attempt, range(6)))
    # Without a grace period a concurrent duplicate is a reuse: the first to see it revokes the
    # family (the winner's new tokens too) and the later ones find it revoked. Clients that may
    # send duplicates set RetryGracePeriodSeconds.
    assert outcomes.count("ok") == 1 and "RefreshTokenReuseException" in outcomes
    assert set(outcomes) <= {"ok", "RefreshTokenReuseException", "NotAuthorizedException"}


def test_refresh_tokens_are_stored_as_digests_only(
    server: Server, pool: dict[str, Any], rotating: str
) -> None:
    username = make_user(server, pool["Id"])
    first = sign_in(server, rotating, username)
    second = get_tokens(server, rotating, first["RefreshToken"])
    sub = unverified(first["IdToken"])["sub"]
    stored = rows(
        server.database_url,
        "SELECT * FROM refresh_sessions WHERE pool_id = :pool AND sub = :sub",
        pool=pool["Id"],
        sub=sub,
    )
    assert len(stored) == 2
    origin = unverified(first["AccessToken"])["origin_jti"]
    assert {r["origin_jti"] for r in stored} == {origin}
    everything = repr(stored)
    for token in (first["RefreshToken"], second["RefreshToken"]):
        assert token not in everything
        assert token[:16] not in everything
        assert hashlib.sha256(token.encode()).hexdigest() not in everything  # keyed, not bare
    for row in stored:
        assert len(row["digest"]) == 64 and int(row["digest"], 16) >= 0
