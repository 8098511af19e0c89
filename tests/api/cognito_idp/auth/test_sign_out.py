"""GlobalSignOut, AdminUserGlobalSignOut and RevokeToken: afterwards the affected access tokens
are refused by every operation that takes one, and the refresh tokens by both refresh paths."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.live import Server

USER_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
REVOKED = "Access Token has been revoked"

# Model-valid arguments besides AccessToken for every operation that takes an access token.
_ARGUMENTS: dict[str, dict[str, Any]] = {
    "AssociateSoftwareToken": {},
    "ChangePassword": {"PreviousPassword": PASSWORD, "ProposedPassword": "An0ther-Passw0rd!"},
    "CompleteWebAuthnRegistration": {"Credential": {}},
    "ConfirmDevice": {"DeviceKey": "us-east-1_0123abcd"},
    "DeleteUser": {},
    "DeleteUserAttributes": {"UserAttributeNames": ["given_name"]},
    "DeleteWebAuthnCredential": {"CredentialId": "abc"},
    "ForgetDevice": {"DeviceKey": "us-east-1_0123abcd"},
    "GetDevice": {"DeviceKey": "us-east-1_0123abcd"},
    "GetUser": {},
    "GetUserAttributeVerificationCode": {"AttributeName": "email"},
    "GetUserAuthFactors": {},
    "GlobalSignOut": {},
    "ListDevices": {},
    "ListUserSessions": {},
    "ListWebAuthnCredentials": {},
    "RevokeUserSession": {"SessionId": "tkn" + "a" * 25},
    "SetUserMFAPreference": {},
    "SetUserSettings": {"MFAOptions": []},
    "StartWebAuthnRegistration": {},
    "UpdateDeviceStatus": {"DeviceKey": "us-east-1_0123abcd"},
    "UpdateUserAttributes": {"UserAttributes": [{"Name": "given_name", "Value": "X"}]},
    "VerifySoftwareToken": {"UserCode": "123456"},
    "VerifyUserAttribute": {"AttributeName": "email", "Code": "123456"},
}
# What mamori must implement (and so check) at least.
_CORE = {
    "GetUser",
    "UpdateUserAttributes",
    "DeleteUserAttributes",
    "ChangePassword",
    "GlobalSignOut",
    "DeleteUser",
}


def token_operations() -> list[str]:
    model = botocore.session.get_session().get_service_model("cognito-idp")
    return sorted(
        op
        for op in model.operation_names
        if "AccessToken" in (model.operation_model(op).input_shape.members or {})
    )


def call(server: Server, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, _, raw = server.post(
        json.dumps(body).encode(),
        {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
        },
    )
    return status, json.loads(raw or b"{}")


def refused_everywhere(server: Server, access_token: str) -> set[str]:
    """Every operation taking an access token refuses this one; returns those mamori knows."""
    checked = set()
    assert set(token_operations()) <= set(_ARGUMENTS), "add arguments for new operations"
    for operation in token_operations():
        status, body = call(
            server, operation, {"AccessToken": access_token, **_ARGUMENTS[operation]}
        )
        if body.get("__type") == "UnknownOperationException":
            continue  # not built yet
        assert (status, body.get("__type")) == (400, "NotAuthorizedException"), (operation, body)
        assert body["message"] == REVOKED, (operation, body)
        checked.add(operation)
    assert checked >= _CORE
    return checked


def refresh_refused(server: Server, client_id: str, refresh_token: str) -> None:
    for attempt in (
        lambda: server.public().initiate_auth(
            ClientId=client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        ),
        lambda: server.public().get_tokens_from_refresh_token(
            ClientId=client_id, RefreshToken=refresh_token
        ),
    ):
        with pytest.raises(ClientError) as exc:
            attempt()
        assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"
        assert exc.value.response["Error"]["Message"] == "Refresh Token has been revoked"


def works(server: Server, tokens: dict[str, Any]) -> None:
    assert server.public().get_user(AccessToken=tokens["AccessToken"])["Username"]


@pytest.fixture(scope="module")
def pool(server: Server) -> dict[str, Any]:
    return make_pool(server)


@pytest.fixture(scope="module")
def client_id(server: Server, pool: dict[str, Any]) -> str:
    return str(make_client(server, pool["Id"], ExplicitAuthFlows=USER_FLOWS)["ClientId"])


@pytest.fixture(scope="module")
def second_client(server: Server, pool: dict[str, Any]) -> str:
    return str(make_client(server, pool["Id"], ExplicitAuthFlows=USER_FLOWS)["ClientId"])


def fails(attempt: Callable[[], Any], code: str) -> str:
    with pytest.raises(ClientError) as exc:
        attempt()
    assert exc.value.response["Error"]["Code"] == code, exc.value.response["Error"]
    return str(exc.value.response["Error"]["Message"])


def test_global_sign_out_ends_every_session_of_the_user(
    server: Server, pool: dict[str, Any], client_id: str, second_client: str
) -> None:
    username = make_user(server, pool["Id"])
    bystander = make_user(server, pool["Id"])
    one = sign_in(server, client_id, username)
    two = sign_in(server, second_client, username)
    theirs = sign_in(server, client_id, bystander)
    server.public().global_sign_out(AccessToken=one["AccessToken"])
    for session, cid in ((one, client_id), (two, second_client)):
        refused_everywhere(server, session["AccessToken"])
        refresh_refused(server, cid, session["RefreshToken"])
    works(server, theirs)  # other users are untouched
    works(server, sign_in(server, client_id, username))  # and the user can sign in again


def test_admin_user_global_sign_out(
    server: Server, pool: dict[str, Any], client_id: str, second_client: str
) -> None:
    username = make_user(server, pool["Id"])
    one = sign_in(server, client_id, username)
    two = sign_in(server, second_client, username)
    server.admin().admin_user_global_sign_out(UserPoolId=pool["Id"], Username=username)
    for session, cid in ((one, client_id), (two, second_client)):
        refused_everywhere(server, session["AccessToken"])
        refresh_refused(server, cid, session["RefreshToken"])
    works(server, sign_in(server, client_id, username))
    fails(
        lambda: server.admin().admin_user_global_sign_out(
            UserPoolId=pool["Id"], Username="no-such-user"
        ),
        "UserNotFoundException",
    )
    fails(
        lambda: server.public().admin_user_global_sign_out(
            UserPoolId=pool["Id"], Username=username
        ),
        "MissingAuthenticationTokenException",
    )


def test_refreshed_access_tokens_are_signed_out_too(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    username = make_user(server, pool["Id"])
    first = sign_in(server, client_id, username)
    refreshed = server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )["AuthenticationResult"]
    server.public().global_sign_out(AccessToken=refreshed["AccessToken"])
    for token in (first["AccessToken"], refreshed["AccessToken"]):
        fails(
            lambda token=token: server.public().get_user(AccessToken=token),
            "NotAuthorizedException",
        )


def test_revoke_token_revokes_only_that_sign_in(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    username = make_user(server, pool["Id"])
    revoked = sign_in(server, client_id, username)
    kept = sign_in(server, client_id, username)
    server.public().revoke_token(Token=revoked["RefreshToken"], ClientId=client_id)
    refused_everywhere(server, revoked["AccessToken"])
    refresh_refused(server, client_id, revoked["RefreshToken"])
    works(server, kept)
    works(
        server,
        server.public().initiate_auth(
            ClientId=client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": kept["RefreshToken"]},
        )["AuthenticationResult"],
    )
    # Revoking again, or a token nobody issued: no error (RFC 7009).
    server.public().revoke_token(Token=revoked["RefreshToken"], ClientId=client_id)
    server.public().revoke_token(Token="never-issued-token", ClientId=client_id)


def test_revoke_token_takes_the_whole_rotated_family(server: Server, pool: dict[str, Any]) -> None:
    cid = make_client(
        server,
        pool["Id"],
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 60},
    )["ClientId"]
    username = make_user(server, pool["Id"])
    first = sign_in(server, cid, username)
    second = server.public().get_tokens_from_refresh_token(
        ClientId=cid, RefreshToken=first["RefreshToken"]
    )["AuthenticationResult"]
    server.public().revoke_token(Token=first["RefreshToken"], ClientId=cid)
    for session in (first, second):
        fails(
            lambda session=session: server.public().get_user(AccessToken=session["AccessToken"]),
            "NotAuthorizedException",
        )
        fails(
            lambda session=session: server.public().get_tokens_from_refresh_token(
                ClientId=cid, RefreshToken=session["RefreshToken"]
            ),
            "NotAuthorizedException",
        )


def test_revoke_token_needs_revocation_enabled(server: Server, pool: dict[str, Any]) -> None:
    cid = make_client(
        server, pool["Id"], ExplicitAuthFlows=USER_FLOWS, EnableTokenRevocation=False
    )["ClientId"]
    tokens = sign_in(server, cid, make_user(server, pool["Id"]))
    fails(
        lambda: server.public().revoke_token(Token=tokens["RefreshToken"], ClientId=cid),
        "UnsupportedOperationException",
    )
    works(server, tokens)


def test_revoke_token_of_another_client_is_refused(
    server: Server, pool: dict[str, Any], client_id: str, second_client: str
) -> None:
    tokens = sign_in(server, client_id, make_user(server, pool["Id"]))
    fails(
        lambda: server.public().revoke_token(Token=tokens["RefreshToken"], ClientId=second_client),
        "UnauthorizedException",
    )
    works(server, tokens)
    server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )


def test_revoke_token_only_takes_refresh_tokens(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    tokens = sign_in(server, client_id, make_user(server, pool["Id"]))
    for token in (tokens["AccessToken"], tokens["IdToken"]):
        fails(
            lambda token=token: server.public().revoke_token(Token=token, ClientId=client_id),
            "UnsupportedTokenTypeException",
        )
    works(server, tokens)


def test_revoke_token_with_a_client_secret(server: Server, pool: dict[str, Any]) -> None:
    made = make_client(
        server,
        pool["Id"],
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"],
        GenerateSecret=True,
    )
    cid, secret = made["ClientId"], made["ClientSecret"]
    username = make_user(server, pool["Id"])
    mac = hmac.new(secret.encode(), (username + cid).encode(), hashlib.sha256).digest()
    tokens = server.admin().admin_initiate_auth(
        UserPoolId=pool["Id"],
        ClientId=cid,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": username,
            "PASSWORD": PASSWORD,
            "SECRET_HASH": base64.b64encode(mac).decode(),
        },
    )["AuthenticationResult"]
    fails(
        lambda: server.public().revoke_token(Token=tokens["RefreshToken"], ClientId=cid),
        "UnauthorizedException",
    )
    fails(
        lambda: server.public().revoke_token(
            Token=tokens["RefreshToken"], ClientId=cid, ClientSecret="x" * 51
        ),
        "UnauthorizedException",
    )
    works(server, tokens)
    server.public().revoke_token(Token=tokens["RefreshToken"], ClientId=cid, ClientSecret=secret)
    fails(lambda: works(server, tokens), "NotAuthorizedException")


def test_global_sign_out_with_a_bad_token(server: Server) -> None:
    assert (
        fails(
            lambda: server.public().global_sign_out(AccessToken="x.y.z"), "NotAuthorizedException"
        )
        == "Invalid Access Token"
    )


def test_a_deleted_clients_tokens_are_refused_everywhere(
    server: Server, pool: dict[str, Any], second_client: str
) -> None:
    """Issue 9: GetUser and every other access-token operation refuse the tokens of an app
    client that no longer exists; its refresh tokens can't be used (the client is unknown)."""
    doomed = str(make_client(server, pool["Id"], ExplicitAuthFlows=USER_FLOWS)["ClientId"])
    username = make_user(server, pool["Id"])
    gone = sign_in(server, doomed, username)
    kept = sign_in(server, second_client, username)
    works(server, gone)
    server.admin().delete_user_pool_client(UserPoolId=pool["Id"], ClientId=doomed)
    refused_everywhere(server, gone["AccessToken"])
    for attempt in (
        lambda: server.public().initiate_auth(
            ClientId=doomed,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": gone["RefreshToken"]},
        ),
        lambda: server.public().get_tokens_from_refresh_token(
            ClientId=doomed, RefreshToken=gone["RefreshToken"]
        ),
        lambda: server.public().revoke_token(Token=gone["RefreshToken"], ClientId=doomed),
    ):
        fails(attempt, "ResourceNotFoundException")
    works(server, kept)  # the user's sign-ins through other clients are untouched
