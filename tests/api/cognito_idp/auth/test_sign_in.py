"""InitiateAuth / AdminInitiateAuth / (Admin)RespondToAuthChallenge with boto3 against the live
server (the time rules of sign-in, in-process: tests/services/auth/test_sign_in.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.live import Server

TEMPORARY = "Temp0rary-Pass!"
NEW_PASSWORD = "Brand-New-Passw0rd!"
USER_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def fails(call: Callable[[], Any], code: str, message: str | None = None) -> str:
    """Run `call`, expect the AWS error `code` (and exact `message`); return the message."""
    with pytest.raises(ClientError) as exc:
        call()
    err = exc.value.response["Error"]
    assert err["Code"] == code, err
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    if message is not None:
        assert err["Message"] == message
    return str(err["Message"])


def secret_hash(username: str, client_id: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def password_auth(
    server: Server, client_id: str, username: str, password: str, **extra: str
) -> Any:
    return server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password, **extra},
    )


@pytest.fixture(scope="module")
def pool(server: Server) -> dict[str, Any]:
    return make_pool(server)


@pytest.fixture(scope="module")
def client(server: Server, pool: dict[str, Any]) -> dict[str, Any]:
    """Password sign-in allowed on both entry points; LEGACY existence errors."""
    return make_client(
        server,
        pool["Id"],
        ExplicitAuthFlows=[*USER_FLOWS, "ALLOW_ADMIN_USER_PASSWORD_AUTH"],
        PreventUserExistenceErrors="LEGACY",
    )


@pytest.fixture(scope="module")
def quiet_client(server: Server, pool: dict[str, Any]) -> dict[str, Any]:
    return make_client(
        server, pool["Id"], ExplicitAuthFlows=USER_FLOWS, PreventUserExistenceErrors="ENABLED"
    )


@pytest.fixture(scope="module")
def user(server: Server, pool: dict[str, Any]) -> str:
    return make_user(server, pool["Id"])


# --- password flows, both entry points
def test_user_password_auth_returns_tokens(
    server: Server, client: dict[str, Any], user: str
) -> None:
    out = password_auth(server, client["ClientId"], user, PASSWORD)
    result = out["AuthenticationResult"]
    assert out["ChallengeParameters"] == {}
    assert "ChallengeName" not in out and "Session" not in out
    assert result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == 3600
    assert {"AccessToken", "IdToken", "RefreshToken"} <= set(result)
    assert server.public().get_user(AccessToken=result["AccessToken"])["Username"] == user


@pytest.mark.parametrize("flow", ["ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"])
def test_admin_password_flows_return_tokens(
    server: Server, pool: dict[str, Any], client: dict[str, Any], user: str, flow: str
) -> None:
    out = server.admin().admin_initiate_auth(
        UserPoolId=pool["Id"],
        ClientId=client["ClientId"],
        AuthFlow=flow,
        AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
    )
    token = out["AuthenticationResult"]["AccessToken"]
    assert server.public().get_user(AccessToken=token)["Username"] == user


def test_admin_initiate_auth_needs_admin_credentials(
    server: Server, pool: dict[str, Any], client: dict[str, Any], user: str
) -> None:
    with pytest.raises(ClientError):
        server.public().admin_initiate_auth(
            UserPoolId=pool["Id"],
            ClientId=client["ClientId"],
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
        )


@pytest.mark.parametrize("flow", ["ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"])
def test_initiate_auth_refuses_admin_flows(
    server: Server, client: dict[str, Any], user: str, flow: str
) -> None:
    fails(
        lambda: server.public().initiate_auth(
            ClientId=client["ClientId"],
            AuthFlow=flow,
            AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
        ),
        "InvalidParameterException",
        "Initiate Auth method not supported.",
    )


def test_admin_initiate_auth_refuses_user_password_auth(
    server: Server, pool: dict[str, Any], client: dict[str, Any], user: str
) -> None:
    fails(
        lambda: server.admin().admin_initiate_auth(
            UserPoolId=pool["Id"],
            ClientId=client["ClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
        ),
        "InvalidParameterException",
        "Initiate Auth method not supported.",
    )


def test_unknown_auth_flow_is_a_validation_error(server: Server, client: dict[str, Any]) -> None:
    status, _, body = server.post(
        json.dumps(
            {"ClientId": client["ClientId"], "AuthFlow": "PASSWORD_PLEASE", "AuthParameters": {}}
        ).encode(),
        {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
        },
    )
    assert status == 400
    assert json.loads(body)["__type"] == "InvalidParameterException"


# --- ExplicitAuthFlows
def test_flows_the_client_does_not_allow_are_refused(
    server: Server, pool: dict[str, Any], user: str
) -> None:
    srp_only = make_client(
        server, pool["Id"], ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["ClientId"]
    fails(
        lambda: password_auth(server, srp_only, user, PASSWORD),
        "InvalidParameterException",
        "USER_PASSWORD_AUTH flow not enabled for this client",
    )
    for flow in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        fails(
            lambda flow=flow: server.admin().admin_initiate_auth(
                UserPoolId=pool["Id"],
                ClientId=srp_only,
                AuthFlow=flow,
                AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
            ),
            "InvalidParameterException",
            f"{flow} flow not enabled for this client",
        )


def test_a_client_on_legacy_flow_values(server: Server, pool: dict[str, Any], user: str) -> None:
    legacy = make_client(server, pool["Id"], ExplicitAuthFlows=["ADMIN_NO_SRP_AUTH"])["ClientId"]
    out = server.admin().admin_initiate_auth(
        UserPoolId=pool["Id"],
        ClientId=legacy,
        AuthFlow="ADMIN_NO_SRP_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
    )
    refresh = out["AuthenticationResult"]["RefreshToken"]
    # Cognito: legacy clients can always refresh.
    again = server.public().initiate_auth(
        ClientId=legacy, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh}
    )
    assert "AccessToken" in again["AuthenticationResult"]
    fails(
        lambda: password_auth(server, legacy, user, PASSWORD),
        "InvalidParameterException",
        "USER_PASSWORD_AUTH flow not enabled for this client",
    )


# CUSTOM_AUTH: tests/api/cognito_idp/triggers/test_custom_auth.py.
@pytest.mark.parametrize("flow", ["USER_AUTH", "USER_SRP_AUTH"])
def test_flows_not_built_yet_fail_cleanly(
    server: Server, pool: dict[str, Any], user: str, flow: str
) -> None:
    everything = make_client(
        server,
        pool["Id"],
        ExplicitAuthFlows=[
            "ALLOW_CUSTOM_AUTH",
            "ALLOW_USER_AUTH",
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
    )["ClientId"]
    params = {"USERNAME": user, "SRP_A": "0a" * 64}
    try:
        out = server.public().initiate_auth(
            ClientId=everything, AuthFlow=flow, AuthParameters=params
        )
    except ClientError as exc:
        # Not built yet: a clear client error naming the flow, never a 500.
        assert exc.response["Error"]["Code"] == "InvalidParameterException"
        assert flow in exc.response["Error"]["Message"]
    else:  # built since: then it must have started a real challenge
        assert out.get("ChallengeName"), out


def test_missing_parameters(server: Server, client: dict[str, Any], user: str) -> None:
    fails(
        lambda: server.public().initiate_auth(
            ClientId=client["ClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"PASSWORD": PASSWORD},
        ),
        "InvalidParameterException",
        "Missing required parameter USERNAME",
    )
    fails(
        lambda: server.public().initiate_auth(
            ClientId=client["ClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user},
        ),
        "InvalidParameterException",
        "Missing required parameter PASSWORD",
    )


def test_unknown_client(server: Server, user: str) -> None:
    fails(
        lambda: password_auth(server, "nosuchclient0000000000000", user, PASSWORD),
        "ResourceNotFoundException",
    )


# --- who may sign in
def test_wrong_password(server: Server, client: dict[str, Any], user: str) -> None:
    fails(
        lambda: password_auth(server, client["ClientId"], user, "Wr0ng-Password!"),
        "NotAuthorizedException",
        "Incorrect username or password.",
    )


def test_unknown_user_with_legacy_existence_errors(server: Server, client: dict[str, Any]) -> None:
    fails(
        lambda: password_auth(server, client["ClientId"], "nobody-here", PASSWORD),
        "UserNotFoundException",
        "User does not exist.",
    )


def test_unknown_user_with_existence_errors_prevented(
    server: Server, quiet_client: dict[str, Any]
) -> None:
    fails(
        lambda: password_auth(server, quiet_client["ClientId"], "nobody-here", PASSWORD),
        "NotAuthorizedException",
        "Incorrect username or password.",
    )


def test_unconfirmed_user(server: Server, pool: dict[str, Any], client: dict[str, Any]) -> None:
    username = f"unconfirmed-{secrets.token_hex(3)}"
    server.public().sign_up(
        ClientId=client["ClientId"],
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    fails(
        lambda: password_auth(server, client["ClientId"], username, PASSWORD),
        "UserNotConfirmedException",
        "User is not confirmed.",
    )
    # The password is checked first: a wrong one says nothing about the user's state.
    fails(
        lambda: password_auth(server, client["ClientId"], username, "Wr0ng-Password!"),
        "NotAuthorizedException",
        "Incorrect username or password.",
    )


def test_disabled_user(server: Server, pool: dict[str, Any], client: dict[str, Any]) -> None:
    username = make_user(server, pool["Id"])
    server.admin().admin_disable_user(UserPoolId=pool["Id"], Username=username)
    fails(
        lambda: password_auth(server, client["ClientId"], username, PASSWORD),
        "NotAuthorizedException",
        "User is disabled.",
    )
    server.admin().admin_enable_user(UserPoolId=pool["Id"], Username=username)
    assert sign_in(server, client["ClientId"], username)["AccessToken"]


# --- SECRET_HASH
@pytest.fixture(scope="module")
def secret_client(server: Server, pool: dict[str, Any]) -> dict[str, Any]:
    return make_client(
        server,
        pool["Id"],
        GenerateSecret=True,
        ExplicitAuthFlows=[*USER_FLOWS, "ALLOW_ADMIN_USER_PASSWORD_AUTH"],
    )


def test_secret_hash_is_required_and_checked(
    server: Server, secret_client: dict[str, Any], user: str
) -> None:
    cid, secret = secret_client["ClientId"], secret_client["ClientSecret"]
    fails(
        lambda: password_auth(server, cid, user, PASSWORD),
        "NotAuthorizedException",
        f"Client {cid} is configured with secret but SECRET_HASH was not received",
    )
    fails(
        lambda: password_auth(
            server, cid, user, PASSWORD, SECRET_HASH=secret_hash(user, cid, "not-the-secret")
        ),
        "NotAuthorizedException",
        f"Unable to verify secret hash for client {cid}",
    )
    out = password_auth(server, cid, user, PASSWORD, SECRET_HASH=secret_hash(user, cid, secret))
    assert out["AuthenticationResult"]["AccessToken"]


def test_secret_hash_on_admin_flow(
    server: Server, pool: dict[str, Any], secret_client: dict[str, Any], user: str
) -> None:
    cid, secret = secret_client["ClientId"], secret_client["ClientSecret"]

    def admin_auth(**extra: str) -> Any:
        return server.admin().admin_initiate_auth(
            UserPoolId=pool["Id"],
            ClientId=cid,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD, **extra},
        )

    fails(admin_auth, "NotAuthorizedException")
    assert admin_auth(SECRET_HASH=secret_hash(user, cid, secret))["AuthenticationResult"]


# --- sign-in identifiers
def test_sign_in_by_email_alias(server: Server) -> None:
    pool_id = make_pool(server, AliasAttributes=["email"])["Id"]
    cid = make_client(server, pool_id, ExplicitAuthFlows=USER_FLOWS)["ClientId"]
    username = make_user(server, pool_id, attributes={"email": "alias.user@example.com"})
    by_alias = sign_in(server, cid, "alias.user@example.com")
    assert server.public().get_user(AccessToken=by_alias["AccessToken"])["Username"] == username
    assert sign_in(server, cid, username)["AccessToken"]


def test_sign_in_with_email_as_username(server: Server) -> None:
    pool_id = make_pool(server, UsernameAttributes=["email"])["Id"]
    cid = make_client(server, pool_id, ExplicitAuthFlows=USER_FLOWS)["ClientId"]
    email = f"mail-{secrets.token_hex(3)}@example.com"
    server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )
    server.admin().admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True
    )
    tokens = sign_in(server, cid, email)
    me = server.public().get_user(AccessToken=tokens["AccessToken"])
    assert {a["Name"]: a["Value"] for a in me["UserAttributes"]}["email"] == email
    assert me["Username"] != email  # Cognito: the username is a generated id
    fails(
        lambda: password_auth(server, cid, email, "Wr0ng-Password!"),
        "NotAuthorizedException",
        "Incorrect username or password.",
    )


# --- NEW_PASSWORD_REQUIRED
@pytest.fixture(scope="module")
def strict_pool(server: Server) -> dict[str, Any]:
    """A pool with a required `name` and a 12-character password policy."""
    return make_pool(
        server,
        Schema=[{"Name": "name", "AttributeDataType": "String", "Required": True}],
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 12,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": False,
            }
        },
    )


@pytest.fixture(scope="module")
def strict_client(server: Server, strict_pool: dict[str, Any]) -> dict[str, Any]:
    return make_client(
        server,
        strict_pool["Id"],
        ExplicitAuthFlows=[*USER_FLOWS, "ALLOW_ADMIN_USER_PASSWORD_AUTH"],
        AuthSessionValidity=3,
    )


def invited(server: Server, pool_id: str) -> str:
    """An admin-created user who holds only a temporary password."""
    username = f"invited-{secrets.token_hex(3)}"
    server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword=TEMPORARY,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "name", "Value": "Given At Creation"},
        ],
    )
    return username


def challenge(server: Server, client_id: str, username: str) -> dict[str, Any]:
    out = password_auth(server, client_id, username, TEMPORARY)
    assert out["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert "AuthenticationResult" not in out
    return dict(out)


def answer(
    server: Server, client_id: str, session: str, username: str, **responses: str
) -> dict[str, Any]:
    return dict(
        server.public().respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session,
            ChallengeResponses={"USERNAME": username, **responses},
        )
    )


def test_new_password_required_end_to_end(
    server: Server, strict_pool: dict[str, Any], strict_client: dict[str, Any]
) -> None:
    cid = strict_client["ClientId"]
    username = invited(server, strict_pool["Id"])
    first = challenge(server, cid, username)
    params = first["ChallengeParameters"]
    assert params["USER_ID_FOR_SRP"] == username
    # AdminCreateUser already insisted on the required `name`: nothing left to fill in.
    assert json.loads(params["requiredAttributes"]) == []
    shown = json.loads(params["userAttributes"])
    # Cognito: the current attributes, verified flags included (clients drop them), no sub.
    assert shown == {
        "email": f"{username}@example.com",
        "email_verified": "true",
        "name": "Given At Creation",
    }
    assert 20 <= len(first["Session"]) <= 2048
    session = first["Session"]

    # The pool's password policy applies to the new password; the session stays usable.
    fails(
        lambda: answer(server, cid, session, username, NEW_PASSWORD="Short1short"),
        "InvalidPasswordException",
    )
    # Cognito: a required attribute that has a value can't be changed here...
    fails(
        lambda: answer(
            server,
            cid,
            session,
            username,
            NEW_PASSWORD=NEW_PASSWORD,
            **{"userAttributes.name": "Someone Else"},
        ),
        "InvalidParameterException",
    )
    # ...nor the verified flags, nor attributes outside the schema.
    for key, value, code in (
        ("email_verified", "false", "NotAuthorizedException"),
        ("custom:nope", "x", "InvalidParameterException"),
    ):
        fails(
            lambda key=key, value=value: answer(
                server,
                cid,
                session,
                username,
                NEW_PASSWORD=NEW_PASSWORD,
                **{f"userAttributes.{key}": value},
            ),
            code,
        )
    # Optional attributes can be set, and sending back an unchanged one is fine.
    done = answer(
        server,
        cid,
        session,
        username,
        NEW_PASSWORD=NEW_PASSWORD,
        **{
            "userAttributes.given_name": "Ada",
            "userAttributes.name": "Given At Creation",
            "userAttributes.email": f"{username}@example.com",
        },
    )
    tokens = done["AuthenticationResult"]
    assert "ChallengeName" not in done
    me = server.public().get_user(AccessToken=tokens["AccessToken"])
    mine = {a["Name"]: a["Value"] for a in me["UserAttributes"]}
    assert mine["given_name"] == "Ada"
    assert mine["name"] == "Given At Creation"
    assert mine["email_verified"] == "true"
    got = server.admin().admin_get_user(UserPoolId=strict_pool["Id"], Username=username)
    assert got["UserStatus"] == "CONFIRMED"

    # The session is spent; the temporary password is gone, the new one works.
    fails(
        lambda: answer(server, cid, session, username, NEW_PASSWORD=NEW_PASSWORD + "x"),
        "NotAuthorizedException",
        "Invalid session for the user.",
    )
    fails(
        lambda: password_auth(server, cid, username, TEMPORARY),
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    assert sign_in(server, cid, username, NEW_PASSWORD)["AccessToken"]


def test_challenge_answers_respect_client_write_attributes(
    server: Server, strict_pool: dict[str, Any]
) -> None:
    cid = make_client(
        server,
        strict_pool["Id"],
        ExplicitAuthFlows=USER_FLOWS,
        WriteAttributes=["name", "email"],
        ReadAttributes=["name", "email"],
    )["ClientId"]
    username = invited(server, strict_pool["Id"])
    first = challenge(server, cid, username)
    # Only what the client may read is shown.
    assert set(json.loads(first["ChallengeParameters"]["userAttributes"])) == {"name", "email"}
    fails(
        lambda: answer(
            server,
            cid,
            first["Session"],
            username,
            NEW_PASSWORD=NEW_PASSWORD,
            **{"userAttributes.given_name": "Ada"},
        ),
        "NotAuthorizedException",
    )
    done = answer(server, cid, first["Session"], username, NEW_PASSWORD=NEW_PASSWORD)
    assert done["AuthenticationResult"]["AccessToken"]


def test_admin_respond_to_auth_challenge(
    server: Server, strict_pool: dict[str, Any], strict_client: dict[str, Any]
) -> None:
    pool_id, cid = strict_pool["Id"], strict_client["ClientId"]
    username = invited(server, pool_id)
    first = server.admin().admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=cid,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": TEMPORARY},
    )
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert json.loads(first["ChallengeParameters"]["requiredAttributes"]) == []
    done = server.admin().admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=cid,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": NEW_PASSWORD},
    )
    assert done["AuthenticationResult"]["IdToken"]
    assert sign_in(server, cid, username, NEW_PASSWORD)["AccessToken"]


def test_admin_set_user_password_temporary_forces_a_new_password(
    server: Server, pool: dict[str, Any], client: dict[str, Any]
) -> None:
    username = make_user(server, pool["Id"])
    server.admin().admin_set_user_password(
        UserPoolId=pool["Id"], Username=username, Password=TEMPORARY, Permanent=False
    )
    first = challenge(server, client["ClientId"], username)
    done = answer(server, client["ClientId"], first["Session"], username, NEW_PASSWORD=NEW_PASSWORD)
    assert done["AuthenticationResult"]["AccessToken"]


def flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


def test_sessions_are_sealed(
    server: Server,
    strict_pool: dict[str, Any],
    strict_client: dict[str, Any],
    client: dict[str, Any],
    pool: dict[str, Any],
) -> None:
    cid = strict_client["ClientId"]
    username = invited(server, strict_pool["Id"])
    session = challenge(server, cid, username)["Session"]
    invalid = "Invalid session for the user."
    for bad in (
        flip(session, len(session) // 2),  # tampered ciphertext
        flip(session, len(session) - 2),  # tampered tag
        "v1.00000000." + "A" * 120,  # unknown key
        "v0." + session[3:],  # another format version
        "garbage-that-is-not-a-session-at-all",
    ):
        fails(
            lambda bad=bad: answer(server, cid, bad, username, NEW_PASSWORD=NEW_PASSWORD),
            "NotAuthorizedException",
            invalid,
        )
    # Bound to its client: another client (even of another pool) can't answer it.
    other = make_client(server, strict_pool["Id"], ExplicitAuthFlows=USER_FLOWS)["ClientId"]
    for wrong_client in (other, client["ClientId"]):
        fails(
            lambda wrong_client=wrong_client: answer(
                server, wrong_client, session, username, NEW_PASSWORD=NEW_PASSWORD
            ),
            "NotAuthorizedException",
            invalid,
        )
    # Bound to its user: naming somebody else doesn't work either.
    someone = invited(server, strict_pool["Id"])
    fails(
        lambda: answer(server, cid, session, someone, NEW_PASSWORD=NEW_PASSWORD),
        "NotAuthorizedException",
        invalid,
    )
    fails(
        lambda: server.public().respond_to_auth_challenge(
            ClientId=cid,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session,
            ChallengeResponses={"NEW_PASSWORD": NEW_PASSWORD},
        ),
        "InvalidParameterException",
        "Missing required parameter USERNAME",
    )
    # Untouched, it still works.
    assert answer(server, cid, session, username, NEW_PASSWORD=NEW_PASSWORD)["AuthenticationResult"]


def test_new_password_challenge_by_alias(server: Server) -> None:
    pool_id = make_pool(server, AliasAttributes=["email"])["Id"]
    cid = make_client(server, pool_id, ExplicitAuthFlows=USER_FLOWS)["ClientId"]
    username = f"aliased-{secrets.token_hex(3)}"
    email = f"{username}@example.com"
    server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword=TEMPORARY,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    first = challenge(server, cid, email)
    # Clients answer with the name they signed in with (Amplify does), or USER_ID_FOR_SRP.
    done = answer(server, cid, first["Session"], email, NEW_PASSWORD=NEW_PASSWORD)
    assert done["AuthenticationResult"]["AccessToken"]


def test_challenge_with_secret_client(server: Server, strict_pool: dict[str, Any]) -> None:
    made = make_client(server, strict_pool["Id"], ExplicitAuthFlows=USER_FLOWS, GenerateSecret=True)
    cid, secret = made["ClientId"], made["ClientSecret"]
    username = invited(server, strict_pool["Id"])
    first = password_auth(
        server, cid, username, TEMPORARY, SECRET_HASH=secret_hash(username, cid, secret)
    )
    fails(
        lambda: answer(server, cid, first["Session"], username, NEW_PASSWORD=NEW_PASSWORD),
        "NotAuthorizedException",
    )
    done = answer(
        server,
        cid,
        first["Session"],
        username,
        NEW_PASSWORD=NEW_PASSWORD,
        SECRET_HASH=secret_hash(username, cid, secret),
    )
    assert done["AuthenticationResult"]["AccessToken"]
