"""The enterprise scenario end to end: an administrator invites a user, who signs in with the
temporary password from the invitation, chooses a new one, answers an SMS code read from the
outbox (or sets up and uses an authenticator app), and gets tokens an API can verify. With
boto3, and with amazon-cognito-identity-js driving its own callbacks."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest
from pycognito.aws_srp import AWSSRP
from tests.support.cognito import attrs
from tests.support.live import Server
from tests.support.mfa import Totp, mfa_pool
from tests.support.node import calls, needs_node, run_node
from tests.support.tokens import verify

INVITE = "Welcome {username}: your temporary password is {####} ."
NEW_PASSWORD = "Ent3rprise-Passw0rd!"


def enterprise_pool(server: Server, *, sms: bool) -> tuple[str, str]:
    """Admin-created users only, invitations by email, MFA required (SMS or TOTP)."""
    return mfa_pool(
        server,
        "ON",
        sms=sms,
        totp=not sms,
        AdminCreateUserConfig={
            "AllowAdminCreateUserOnly": True,
            "InviteMessageTemplate": {"EmailMessage": INVITE, "EmailSubject": "Your account"},
        },
        client={
            "ExplicitAuthFlows": [
                "ALLOW_USER_SRP_AUTH",
                "ALLOW_USER_PASSWORD_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
            ]
        },
    )


def invite(server: Server, pool_id: str, phone: str | None = None) -> tuple[str, str]:
    """An invited employee: (username, the temporary password from the invitation email)."""
    username = f"emp-{secrets.token_hex(3)}"
    email = f"{username}@corp.example"
    extra = {"phone_number": phone} if phone else {}
    server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=attrs(email=email, email_verified="true", **extra),
        DesiredDeliveryMediums=["EMAIL"],
    )
    [message] = server.outbox(pool_id, email)
    assert message["subject"] == "Your account"
    found = re.fullmatch(r"Welcome (\S+): your temporary password is (\S+) \.", message["body"])
    assert found and found[1] == username
    return username, found[2]


def respond(
    server: Server, client_id: str, name: str, session: str, **responses: str
) -> dict[str, Any]:
    return dict(
        server.public().respond_to_auth_challenge(
            ClientId=client_id, ChallengeName=name, Session=session, ChallengeResponses=responses
        )
    )


def srp_first_step(
    server: Server, pool_id: str, client_id: str, username: str, password: str
) -> dict[str, Any]:
    """USER_SRP_AUTH and PASSWORD_VERIFIER (pycognito's math): the next challenge."""
    aws = AWSSRP(username, password, pool_id, client_id, client=server.public())
    params = aws.get_auth_params()
    out = server.public().initiate_auth(
        ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params
    )
    return dict(
        server.public().respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=aws.process_challenge(out["ChallengeParameters"], params),
        )
    )


def check_tokens(
    server: Server, pool_id: str, client_id: str, result: dict[str, Any], user: str
) -> None:
    claims = verify(server, pool_id, result["IdToken"], audience=client_id)
    assert claims["cognito:username"] == user and claims["email"].endswith("@corp.example")
    access = verify(server, pool_id, result["AccessToken"])
    assert access["token_use"] == "access" and access["username"] == user
    me = server.public().get_user(AccessToken=result["AccessToken"])
    assert me["Username"] == user
    refreshed = server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
    )
    assert refreshed["AuthenticationResult"]["AccessToken"]


def test_invited_user_new_password_then_sms(server: Server) -> None:
    pool_id, client_id = enterprise_pool(server, sms=True)
    phone = "+15557650001"
    username, temporary = invite(server, pool_id, phone)
    # A self-service sign-up is refused in this pool.
    with pytest.raises(server.public().exceptions.NotAuthorizedException):
        server.public().sign_up(ClientId=client_id, Username="walk-in", Password=NEW_PASSWORD)

    first = srp_first_step(server, pool_id, client_id, username, temporary)
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    second = respond(
        server,
        client_id,
        "NEW_PASSWORD_REQUIRED",
        first["Session"],
        USERNAME=username,
        NEW_PASSWORD=NEW_PASSWORD,
    )
    assert second["ChallengeName"] == "SMS_MFA"
    code = server.latest_code(pool_id, phone)
    done = respond(
        server, client_id, "SMS_MFA", second["Session"], USERNAME=username, SMS_MFA_CODE=code
    )
    check_tokens(server, pool_id, client_id, done["AuthenticationResult"], username)
    user = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"

    # The next morning: the new password and a new SMS code; the temporary one is gone.
    with pytest.raises(server.public().exceptions.NotAuthorizedException):
        srp_first_step(server, pool_id, client_id, username, temporary)
    again = srp_first_step(server, pool_id, client_id, username, NEW_PASSWORD)
    assert again["ChallengeName"] == "SMS_MFA"
    fresh = server.latest_code(pool_id, phone)
    assert fresh  # a new code for a new sign-in
    done = respond(
        server, client_id, "SMS_MFA", again["Session"], USERNAME=username, SMS_MFA_CODE=fresh
    )
    check_tokens(server, pool_id, client_id, done["AuthenticationResult"], username)


def test_invited_user_new_password_then_authenticator_app(server: Server) -> None:
    pool_id, client_id = enterprise_pool(server, sms=False)
    username, temporary = invite(server, pool_id)
    public = server.public()
    first = public.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": temporary},
    )
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    setup = respond(
        server,
        client_id,
        "NEW_PASSWORD_REQUIRED",
        first["Session"],
        USERNAME=username,
        NEW_PASSWORD=NEW_PASSWORD,
    )
    assert setup["ChallengeName"] == "MFA_SETUP"
    associated = public.associate_software_token(Session=setup["Session"])
    app = Totp(associated["SecretCode"])
    verified = public.verify_software_token(
        Session=associated["Session"], UserCode=app.code(), FriendlyDeviceName="work phone"
    )
    done = respond(server, client_id, "MFA_SETUP", verified["Session"], USERNAME=username)
    check_tokens(server, pool_id, client_id, done["AuthenticationResult"], username)

    again = srp_first_step(server, pool_id, client_id, username, NEW_PASSWORD)
    assert again["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert again["ChallengeParameters"]["FRIENDLY_DEVICE_NAME"] == "work phone"
    done = respond(
        server,
        client_id,
        "SOFTWARE_TOKEN_MFA",
        again["Session"],
        USERNAME=username,
        SOFTWARE_TOKEN_MFA_CODE=app.code(),
    )
    check_tokens(server, pool_id, client_id, done["AuthenticationResult"], username)


@needs_node
def test_invited_user_with_cognito_identity_js(server: Server, tmp_path: Path) -> None:
    pool_id, client_id = enterprise_pool(server, sms=True)
    phone = "+15557650002"
    username, temporary = invite(server, pool_id, phone)
    steps = run_node(
        "cognito_identity_js.mjs",
        {
            "endpoint": server.url,
            "userPoolId": pool_id,
            "clientId": client_id,
            "steps": [
                {
                    "op": "authenticateUser",
                    "username": username,
                    "password": temporary,
                    "newPassword": NEW_PASSWORD,
                    "codeFromFile": str(tmp_path / "code"),
                },
                {"op": "getUserAttributes"},
            ],
        },
        on_wait=lambda _event: server.latest_code(pool_id, phone),
    )
    step = steps["authenticateUser"]
    assert step["result"]["callbacks"] == ["newPasswordRequired", "mfaRequired", "onSuccess"]
    assert calls(step) == [
        ("InitiateAuth", "USER_SRP_AUTH"),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER"),
        ("RespondToAuthChallenge", "NEW_PASSWORD_REQUIRED"),
        ("RespondToAuthChallenge", "SMS_MFA"),
    ]
    session = step["result"]["session"]
    check_tokens(
        server,
        pool_id,
        client_id,
        {
            "IdToken": session["idToken"],
            "AccessToken": session["accessToken"],
            "RefreshToken": session["refreshToken"],
        },
        username,
    )
    assert steps["getUserAttributes"]["result"]["phone_number"] == phone
