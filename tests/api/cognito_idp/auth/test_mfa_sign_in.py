"""MFA during sign-in: SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP, MFA_SETUP and SELECT_MFA_TYPE with
boto3, amazon-cognito-identity-js and Amplify; attempt limits and sealed, bound Sessions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import phone
from tests.support.factories import PASSWORD, make_client, make_user
from tests.support.live import Server
from tests.support.mfa import Totp, enroll_totp, mfa_pool
from tests.support.node import calls, needs_node, run_node
from tests.support.tokens import verify

WRONG_CODE = "Invalid code or auth state for the user."


def fails(call: Any, code: str, message: str | None = None) -> None:
    with pytest.raises(ClientError) as exc:
        call()
    err = exc.value.response["Error"]
    assert err["Code"] == code, err
    if message is not None:
        assert err["Message"] == message, err


def password_auth(server: Server, client_id: str, username: str) -> dict[str, Any]:
    return dict(
        server.public().initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
    )


def respond(
    server: Server, client_id: str, name: str, session: str, **responses: str
) -> dict[str, Any]:
    return dict(
        server.public().respond_to_auth_challenge(
            ClientId=client_id, ChallengeName=name, Session=session, ChallengeResponses=responses
        )
    )


@pytest.fixture(scope="module")
def sms_pool(server: Server) -> tuple[str, str]:
    """MFA required, SMS and TOTP offered."""
    return mfa_pool(server, "ON")


@pytest.fixture(scope="module")
def optional_pool(server: Server) -> tuple[str, str]:
    """MFA optional, every factor offered."""
    return mfa_pool(server, "OPTIONAL", email=True)


def sms_user(server: Server, pool_id: str) -> tuple[str, str]:
    number = phone()
    user = make_user(server, pool_id, attributes={"phone_number": number})
    return user, number


# --- SMS
def test_sms_mfa(server: Server, sms_pool: tuple[str, str]) -> None:
    pool_id, client_id = sms_pool
    user, number = sms_user(server, pool_id)
    first = password_auth(server, client_id, user)
    assert first["ChallengeName"] == "SMS_MFA"
    params = first["ChallengeParameters"]
    assert params["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    assert params["CODE_DELIVERY_DESTINATION"].endswith(number[-4:])
    assert number not in params["CODE_DELIVERY_DESTINATION"]
    code = server.latest_code(pool_id, number)
    assert server.outbox(pool_id, number)[-1]["body"] == f"Your code is {code}"
    wrong = "000000" if code != "000000" else "111111"
    fails(
        lambda: respond(
            server, client_id, "SMS_MFA", first["Session"], USERNAME=user, SMS_MFA_CODE=wrong
        ),
        "CodeMismatchException",
        WRONG_CODE,
    )
    done = respond(server, client_id, "SMS_MFA", first["Session"], USERNAME=user, SMS_MFA_CODE=code)
    claims = verify(server, pool_id, done["AuthenticationResult"]["AccessToken"])
    assert claims["username"] == user
    # The code is spent: the same Session and code do not sign in twice.
    fails(
        lambda: respond(
            server, client_id, "SMS_MFA", first["Session"], USERNAME=user, SMS_MFA_CODE=code
        ),
        "NotAuthorizedException",
        "Invalid session for the user.",
    )


def test_three_wrong_codes_end_the_session(server: Server, sms_pool: tuple[str, str]) -> None:
    pool_id, client_id = sms_pool
    user, number = sms_user(server, pool_id)
    first = password_auth(server, client_id, user)
    code = server.latest_code(pool_id, number)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        fails(
            lambda: respond(
                server, client_id, "SMS_MFA", first["Session"], USERNAME=user, SMS_MFA_CODE=wrong
            ),
            "CodeMismatchException",
            WRONG_CODE,
        )
    fails(
        lambda: respond(
            server, client_id, "SMS_MFA", first["Session"], USERNAME=user, SMS_MFA_CODE=code
        ),
        "NotAuthorizedException",
        "Invalid session for the user.",
    )
    # A new sign-in sends a new code and works.
    again = password_auth(server, client_id, user)
    fresh = server.latest_code(pool_id, number)
    done = respond(
        server, client_id, "SMS_MFA", again["Session"], USERNAME=user, SMS_MFA_CODE=fresh
    )
    assert "AccessToken" in done["AuthenticationResult"]


def test_admin_flow_with_sms_mfa(server: Server, sms_pool: tuple[str, str]) -> None:
    pool_id, _ = sms_pool
    admin_client = make_client(server, pool_id)["ClientId"]
    user, number = sms_user(server, pool_id)
    admin = server.admin()
    first = admin.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=admin_client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
    )
    assert first["ChallengeName"] == "SMS_MFA"
    done = admin.admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=admin_client,
        ChallengeName="SMS_MFA",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": user, "SMS_MFA_CODE": server.latest_code(pool_id, number)},
    )
    assert done["AuthenticationResult"]["IdToken"]


def test_sessions_are_bound_to_their_challenge_and_client(
    server: Server, sms_pool: tuple[str, str]
) -> None:
    pool_id, client_id = sms_pool
    user, number = sms_user(server, pool_id)
    first = password_auth(server, client_id, user)
    code = server.latest_code(pool_id, number)
    session = first["Session"]
    other = make_client(server, pool_id)["ClientId"]
    invalid = "Invalid session for the user."
    fails(
        lambda: respond(
            server,
            client_id,
            "SOFTWARE_TOKEN_MFA",
            session,
            USERNAME=user,
            SOFTWARE_TOKEN_MFA_CODE=code,
        ),
        "NotAuthorizedException",
        invalid,
    )
    fails(
        lambda: respond(server, other, "SMS_MFA", session, USERNAME=user, SMS_MFA_CODE=code),
        "NotAuthorizedException",
        invalid,
    )
    fails(
        lambda: respond(
            server, client_id, "SMS_MFA", session[:-6] + "AAAAAA", USERNAME=user, SMS_MFA_CODE=code
        ),
        "NotAuthorizedException",
        invalid,
    )
    someone = make_user(server, pool_id)
    fails(
        lambda: respond(server, client_id, "SMS_MFA", session, USERNAME=someone, SMS_MFA_CODE=code),
        "NotAuthorizedException",
        invalid,
    )
    fails(
        lambda: respond(server, client_id, "SMS_MFA", session, USERNAME=user),
        "InvalidParameterException",
        "Missing required parameter SMS_MFA_CODE",
    )
    fails(
        lambda: respond(server, client_id, "CUSTOM_CHALLENGE", session, USERNAME=user),
        "NotAuthorizedException",
        invalid,
    )
    # None of that spent the Session.
    done = respond(server, client_id, "SMS_MFA", session, USERNAME=user, SMS_MFA_CODE=code)
    assert done["AuthenticationResult"]["AccessToken"]


# --- TOTP
def test_software_token_mfa(server: Server, optional_pool: tuple[str, str]) -> None:
    pool_id, client_id = optional_pool
    user = make_user(server, pool_id)
    totp = enroll_totp(server, pool_id, client_id, user)
    first = password_auth(server, client_id, user)
    assert first["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert first["ChallengeParameters"].get("FRIENDLY_DEVICE_NAME") == "app"
    code = totp.code()
    done = respond(
        server,
        client_id,
        "SOFTWARE_TOKEN_MFA",
        first["Session"],
        USERNAME=user,
        SOFTWARE_TOKEN_MFA_CODE=code,
    )
    assert done["AuthenticationResult"]["AccessToken"]
    # A code works once: the next sign-in can't reuse it.
    again = password_auth(server, client_id, user)
    fails(
        lambda: respond(
            server,
            client_id,
            "SOFTWARE_TOKEN_MFA",
            again["Session"],
            USERNAME=user,
            SOFTWARE_TOKEN_MFA_CODE=code,
        ),
        "CodeMismatchException",
        WRONG_CODE,
    )


@needs_node
def test_cognito_identity_js_totp_sends_both_codes(
    server: Server, optional_pool: tuple[str, str]
) -> None:
    """amazon-cognito-identity-js answers SOFTWARE_TOKEN_MFA with SMS_MFA_CODE as well."""
    pool_id, client_id = optional_pool
    user = make_user(server, pool_id)
    totp = enroll_totp(server, pool_id, client_id, user)
    steps = run_node(
        "cognito_identity_js.mjs",
        {
            "endpoint": server.url,
            "userPoolId": pool_id,
            "clientId": client_id,
            "steps": [
                {
                    "op": "authenticateUser",
                    "username": user,
                    "password": PASSWORD,
                    "mfaCode": totp.code(),
                }
            ],
        },
    )
    step = steps["authenticateUser"]
    assert step["result"]["callbacks"] == ["totpRequired", "onSuccess"]
    assert calls(step) == [
        ("InitiateAuth", "USER_SRP_AUTH"),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER"),
        ("RespondToAuthChallenge", "SOFTWARE_TOKEN_MFA"),
    ]


# --- EMAIL_OTP
def test_email_otp_mfa(server: Server, optional_pool: tuple[str, str]) -> None:
    pool_id, client_id = optional_pool
    user = make_user(server, pool_id)
    server.admin().admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username=user, EmailMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    first = password_auth(server, client_id, user)
    assert first["ChallengeName"] == "EMAIL_OTP"
    assert first["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    email = f"{user}@example.com"
    message = server.outbox(pool_id, email)[-1]
    assert message["subject"] == "Sign-in code"
    done = respond(
        server,
        client_id,
        "EMAIL_OTP",
        first["Session"],
        USERNAME=user,
        EMAIL_OTP_CODE=message["code"],
    )
    assert done["AuthenticationResult"]["AccessToken"]


def test_optional_mfa_without_factors_signs_in(
    server: Server, optional_pool: tuple[str, str]
) -> None:
    pool_id, client_id = optional_pool
    user = make_user(server, pool_id, attributes={"phone_number": phone()})
    assert "AuthenticationResult" in password_auth(server, client_id, user)


# --- SELECT_MFA_TYPE
def test_select_mfa_type(server: Server, optional_pool: tuple[str, str]) -> None:
    pool_id, client_id = optional_pool
    number = phone()
    user = make_user(server, pool_id, attributes={"phone_number": number})
    enroll_totp(server, pool_id, client_id, user, preferred=False)
    server.admin().admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username=user, SMSMfaSettings={"Enabled": True, "PreferredMfa": False}
    )
    first = password_auth(server, client_id, user)
    assert first["ChallengeName"] == "SELECT_MFA_TYPE"
    choices = json.loads(first["ChallengeParameters"]["MFAS_CAN_CHOOSE"])
    assert choices == ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]
    fails(
        lambda: respond(
            server,
            client_id,
            "SELECT_MFA_TYPE",
            first["Session"],
            USERNAME=user,
            ANSWER="EMAIL_OTP",
        ),
        "InvalidParameterException",
    )
    chosen = respond(
        server, client_id, "SELECT_MFA_TYPE", first["Session"], USERNAME=user, ANSWER="SMS_MFA"
    )
    assert chosen["ChallengeName"] == "SMS_MFA"
    code = server.latest_code(pool_id, number)
    done = respond(
        server, client_id, "SMS_MFA", chosen["Session"], USERNAME=user, SMS_MFA_CODE=code
    )
    assert done["AuthenticationResult"]["AccessToken"]


def test_a_select_mfa_type_session_answers_once(
    server: Server, optional_pool: tuple[str, str]
) -> None:
    """Issue 9 item 2: each answer to one SELECT_MFA_TYPE Session sent another SMS."""
    pool_id, client_id = optional_pool
    number = phone()
    user = make_user(server, pool_id, attributes={"phone_number": number})
    enroll_totp(server, pool_id, client_id, user, preferred=False)
    server.admin().admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username=user, SMSMfaSettings={"Enabled": True, "PreferredMfa": False}
    )
    first = password_auth(server, client_id, user)
    assert first["ChallengeName"] == "SELECT_MFA_TYPE"
    chosen = respond(
        server, client_id, "SELECT_MFA_TYPE", first["Session"], USERNAME=user, ANSWER="SMS_MFA"
    )
    assert chosen["ChallengeName"] == "SMS_MFA"
    for answer in ("SMS_MFA", "SOFTWARE_TOKEN_MFA"):
        fails(
            lambda answer=answer: respond(  # type: ignore[misc]
                server, client_id, "SELECT_MFA_TYPE", first["Session"], USERNAME=user, ANSWER=answer
            ),
            "NotAuthorizedException",
            "Invalid session for the user.",
        )
    assert len(server.outbox(pool_id, number)) == 1


def test_an_answered_mfa_session_is_spent(server: Server, sms_pool: tuple[str, str]) -> None:
    pool_id, client_id = sms_pool
    user, number = sms_user(server, pool_id)
    first = password_auth(server, client_id, user)
    code = server.latest_code(pool_id, number)
    done = respond(server, client_id, "SMS_MFA", first["Session"], USERNAME=user, SMS_MFA_CODE=code)
    assert "AccessToken" in done["AuthenticationResult"]
    fails(
        lambda: respond(
            server, client_id, "SMS_MFA", first["Session"], USERNAME=user, SMS_MFA_CODE=code
        ),
        "NotAuthorizedException",
        "Invalid session for the user.",
    )


@needs_node
def test_cognito_identity_js_selects_a_type(server: Server, optional_pool: tuple[str, str]) -> None:
    pool_id, client_id = optional_pool
    user = make_user(server, pool_id, attributes={"phone_number": phone()})
    totp = enroll_totp(server, pool_id, client_id, user, preferred=False)
    server.admin().admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username=user, SMSMfaSettings={"Enabled": True, "PreferredMfa": False}
    )
    steps = run_node(
        "cognito_identity_js.mjs",
        {
            "endpoint": server.url,
            "userPoolId": pool_id,
            "clientId": client_id,
            "steps": [
                {
                    "op": "authenticateUser",
                    "username": user,
                    "password": PASSWORD,
                    "mfaType": "SOFTWARE_TOKEN_MFA",
                    "mfaCode": totp.code(),
                }
            ],
        },
    )
    assert steps["authenticateUser"]["result"]["callbacks"] == [
        "selectMFAType",
        "totpRequired",
        "onSuccess",
    ]


# --- MFA_SETUP
@pytest.fixture(scope="module")
def totp_only_pool(server: Server) -> tuple[str, str]:
    """MFA required, TOTP the only factor: users without a token must set one up."""
    return mfa_pool(server, "ON", sms=False)


def test_mfa_setup_with_boto3(server: Server, totp_only_pool: tuple[str, str]) -> None:
    pool_id, client_id = totp_only_pool
    public = server.public()
    user = make_user(server, pool_id)
    first = password_auth(server, client_id, user)
    assert first["ChallengeName"] == "MFA_SETUP"
    assert json.loads(first["ChallengeParameters"]["MFAS_CAN_SETUP"]) == ["SOFTWARE_TOKEN_MFA"]
    # Answering before a token is verified in this Session sets nothing up.
    fails(
        lambda: respond(server, client_id, "MFA_SETUP", first["Session"], USERNAME=user),
        "MFAMethodNotFoundException",
    )
    associated = public.associate_software_token(Session=first["Session"])
    assert associated["Session"] != first["Session"]
    totp = Totp(associated["SecretCode"])
    with pytest.raises(ClientError) as exc:
        public.verify_software_token(Session=associated["Session"], UserCode="000000")
    assert exc.value.response["Error"]["Code"] in {
        "EnableSoftwareTokenMFAException",
        "CodeMismatchException",
    }
    verified = public.verify_software_token(
        Session=associated["Session"], UserCode=totp.code(), FriendlyDeviceName="phone"
    )
    assert verified["Status"] == "SUCCESS"
    fails(
        lambda: respond(server, client_id, "MFA_SETUP", associated["Session"], USERNAME=user),
        "MFAMethodNotFoundException",
    )
    done = respond(server, client_id, "MFA_SETUP", verified["Session"], USERNAME=user)
    assert done["AuthenticationResult"]["AccessToken"]
    got = server.admin().admin_get_user(UserPoolId=pool_id, Username=user)
    assert got["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    # From now on the token is asked for.
    again = password_auth(server, client_id, user)
    assert again["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = respond(
        server,
        client_id,
        "SOFTWARE_TOKEN_MFA",
        again["Session"],
        USERNAME=user,
        SOFTWARE_TOKEN_MFA_CODE=totp.code(),
    )
    assert done["AuthenticationResult"]["AccessToken"]


def test_setup_sessions_are_for_setup_only(server: Server, sms_pool: tuple[str, str]) -> None:
    pool_id, client_id = sms_pool
    user, _ = sms_user(server, pool_id)
    sms_session = password_auth(server, client_id, user)["Session"]
    public = server.public()
    for call in (
        lambda: public.associate_software_token(Session=sms_session),
        lambda: public.verify_software_token(Session=sms_session, UserCode="123456"),
        lambda: public.associate_software_token(Session="x" * 40),
    ):
        fails(call, "NotAuthorizedException")


@needs_node
def test_cognito_identity_js_sets_up_totp(server: Server, totp_only_pool: tuple[str, str]) -> None:
    pool_id, client_id = totp_only_pool
    user = make_user(server, pool_id)
    steps = run_node(
        "cognito_identity_js.mjs",
        {
            "endpoint": server.url,
            "userPoolId": pool_id,
            "clientId": client_id,
            "steps": [{"op": "authenticateUser", "username": user, "password": PASSWORD}],
        },
    )
    step = steps["authenticateUser"]
    assert step["result"]["callbacks"] == ["mfaSetup", "onSuccess"]
    assert [c[0] for c in calls(step)][-3:] == [
        "AssociateSoftwareToken",
        "VerifySoftwareToken",
        "RespondToAuthChallenge",
    ]


@needs_node
def test_amplify_sets_up_totp_then_uses_it(server: Server, totp_only_pool: tuple[str, str]) -> None:
    pool_id, client_id = totp_only_pool
    user = make_user(server, pool_id)
    base = {"endpoint": server.url, "userPoolId": pool_id, "clientId": client_id}
    steps = run_node(
        "amplify.mjs",
        {
            **base,
            "steps": [
                {
                    "op": "signIn",
                    "username": user,
                    "password": PASSWORD,
                    "authFlowType": "USER_SRP_AUTH",
                },
                {"op": "confirmSignIn", "totpFromSetup": True},
            ],
        },
    )
    assert steps["signIn"]["result"]["nextStep"]["signInStep"] == "CONTINUE_SIGN_IN_WITH_TOTP_SETUP"
    assert steps["confirmSignIn"]["result"]["isSignedIn"] is True


@needs_node
def test_amplify_confirms_an_sms_code(
    server: Server, sms_pool: tuple[str, str], tmp_path: Path
) -> None:
    pool_id, client_id = sms_pool
    user, number = sms_user(server, pool_id)
    steps = run_node(
        "amplify.mjs",
        {
            "endpoint": server.url,
            "userPoolId": pool_id,
            "clientId": client_id,
            "steps": [
                {
                    "op": "signIn",
                    "username": user,
                    "password": PASSWORD,
                    "authFlowType": "USER_SRP_AUTH",
                },
                {"op": "confirmSignIn", "codeFromFile": str(tmp_path / "code")},
                {"op": "fetchAuthSession"},
            ],
        },
        on_wait=lambda _event: server.latest_code(pool_id, number),
    )
    assert steps["signIn"]["result"]["nextStep"]["signInStep"] == "CONFIRM_SIGN_IN_WITH_SMS_CODE"
    assert steps["confirmSignIn"]["result"]["isSignedIn"] is True
    claims = verify(server, pool_id, steps["fetchAuthSession"]["result"]["accessToken"])
    assert claims["username"] == user
