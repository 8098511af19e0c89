"""Choice-based sign-in (USER_AUTH): PREFERRED_CHALLENGE and SELECT_CHALLENGE for PASSWORD,
PASSWORD_SRP, EMAIL_OTP and SMS_OTP, as the pool's SignInPolicy and the client allow; boto3,
pycognito's SRP math and Amplify v6."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP, long_to_hex
from tests.support.factories import PASSWORD, make_client, make_pool, make_user
from tests.support.live import Server
from tests.support.mfa import enroll_totp
from tests.support.node import calls, needs_node, run_node
from tests.support.tokens import verify

FLOWS = ["ALLOW_USER_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
EVERY_FACTOR = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "SMS_OTP"]}}


def fails(call: Any, code: str, message: str | None = None) -> None:
    with pytest.raises(ClientError) as exc:
        call()
    err = exc.value.response["Error"]
    assert err["Code"] == code, err
    if message is not None:
        assert err["Message"] == message, err


@pytest.fixture(scope="module")
def pool_id(server: Server) -> str:
    return str(make_pool(server, Policies=EVERY_FACTOR)["Id"])


@pytest.fixture(scope="module")
def client_id(server: Server, pool_id: str) -> str:
    return str(make_client(server, pool_id, ExplicitAuthFlows=FLOWS)["ClientId"])


def person(server: Server, pool_id: str, phone: bool = True) -> tuple[str, str, str]:
    """(username, email, phone number) of a user with verified addresses."""
    number = "+1555" + "".join(secrets.choice("0123456789") for _ in range(7))
    extra = {"phone_number": number, "phone_number_verified": "true"} if phone else {}
    user = make_user(server, pool_id, attributes=extra)
    return user, f"{user}@example.com", number


def user_auth(server: Server, client_id: str, **params: str) -> dict[str, Any]:
    return dict(
        server.public().initiate_auth(
            ClientId=client_id, AuthFlow="USER_AUTH", AuthParameters=params
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


def test_the_pool_shows_its_sign_in_policy(server: Server, pool_id: str) -> None:
    described = server.admin().describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["Policies"]["SignInPolicy"] == EVERY_FACTOR["SignInPolicy"]
    plain = make_pool(server)
    assert plain["Policies"]["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD"]}


def test_select_challenge_lists_what_the_user_can_use(
    server: Server, pool_id: str, client_id: str
) -> None:
    user, _, _ = person(server, pool_id)
    out = user_auth(server, client_id, USERNAME=user)
    assert out["ChallengeName"] == "SELECT_CHALLENGE"
    assert out["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"]
    assert out["Session"]
    no_phone, _, _ = person(server, pool_id, phone=False)
    out = user_auth(server, client_id, USERNAME=no_phone)
    assert out["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]


def test_preferred_password(server: Server, pool_id: str, client_id: str) -> None:
    user, _, _ = person(server, pool_id)
    out = user_auth(
        server, client_id, USERNAME=user, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD
    )
    assert verify(server, pool_id, out["AuthenticationResult"]["AccessToken"])["username"] == user
    fails(
        lambda: user_auth(
            server, client_id, USERNAME=user, PREFERRED_CHALLENGE="PASSWORD", PASSWORD="Wr0ng-pass!"
        ),
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    fails(
        lambda: user_auth(server, client_id, USERNAME=user, PREFERRED_CHALLENGE="PASSWORD"),
        "InvalidParameterException",
        "Missing required parameter PASSWORD",
    )
    fails(
        lambda: user_auth(server, client_id, USERNAME=user, PREFERRED_CHALLENGE="TELEPATHY"),
        "InvalidParameterException",
    )


def test_preferred_password_srp(server: Server, pool_id: str, client_id: str) -> None:
    user, _, _ = person(server, pool_id)
    aws = AWSSRP(user, PASSWORD, pool_id, client_id, client=server.public())
    params = {"USERNAME": user, "SRP_A": long_to_hex(aws.large_a_value)}
    out = user_auth(server, client_id, PREFERRED_CHALLENGE="PASSWORD_SRP", **params)
    assert out["ChallengeName"] == "PASSWORD_VERIFIER"
    done = server.public().respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=aws.process_challenge(out["ChallengeParameters"], params),
    )
    assert done["AuthenticationResult"]["AccessToken"]


def test_preferred_email_code(server: Server, pool_id: str, client_id: str) -> None:
    user, email, _ = person(server, pool_id)
    out = user_auth(server, client_id, USERNAME=user, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert out["ChallengeName"] == "EMAIL_OTP"
    assert out["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    code = server.latest_code(pool_id, email)
    wrong = "000000" if code != "000000" else "111111"
    fails(
        lambda: respond(
            server, client_id, "EMAIL_OTP", out["Session"], USERNAME=user, EMAIL_OTP_CODE=wrong
        ),
        "CodeMismatchException",
    )
    done = respond(
        server, client_id, "EMAIL_OTP", out["Session"], USERNAME=user, EMAIL_OTP_CODE=code
    )
    assert done["AuthenticationResult"]["AccessToken"]


def test_selecting_an_sms_code(server: Server, pool_id: str, client_id: str) -> None:
    user, _, number = person(server, pool_id)
    select = user_auth(server, client_id, USERNAME=user)
    fails(
        lambda: respond(
            server,
            client_id,
            "SELECT_CHALLENGE",
            select["Session"],
            USERNAME=user,
            ANSWER="WEB_AUTHN",
        ),
        "InvalidParameterException",
    )
    sms = respond(
        server, client_id, "SELECT_CHALLENGE", select["Session"], USERNAME=user, ANSWER="SMS_OTP"
    )
    assert sms["ChallengeName"] == "SMS_OTP"
    assert sms["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    code = server.latest_code(pool_id, number)
    done = respond(server, client_id, "SMS_OTP", sms["Session"], USERNAME=user, SMS_OTP_CODE=code)
    assert done["AuthenticationResult"]["AccessToken"]


def test_a_select_challenge_session_answers_once(
    server: Server, pool_id: str, client_id: str
) -> None:
    """Issue 9 item 2: answering one SELECT_CHALLENGE Session with SMS_OTP again sent an SMS
    each time; now the second answer is refused and nothing more is sent."""
    user, _, number = person(server, pool_id)
    select = user_auth(server, client_id, USERNAME=user)
    session = select["Session"]
    sms = respond(server, client_id, "SELECT_CHALLENGE", session, USERNAME=user, ANSWER="SMS_OTP")
    assert sms["ChallengeName"] == "SMS_OTP"
    for answer in ("SMS_OTP", "EMAIL_OTP", "PASSWORD_SRP"):
        fails(
            lambda answer=answer: respond(  # type: ignore[misc]
                server,
                client_id,
                "SELECT_CHALLENGE",
                session,
                USERNAME=user,
                ANSWER=answer,
                SRP_A="ab" * 16,
            ),
            "NotAuthorizedException",
            "Invalid session for the user.",
        )
    assert len(server.outbox(pool_id, number)) == 1
    # The one code sent still signs in, once.
    code = server.latest_code(pool_id, number)
    done = respond(server, client_id, "SMS_OTP", sms["Session"], USERNAME=user, SMS_OTP_CODE=code)
    assert done["AuthenticationResult"]["AccessToken"]
    fails(
        lambda: respond(
            server, client_id, "SMS_OTP", sms["Session"], USERNAME=user, SMS_OTP_CODE=code
        ),
        "NotAuthorizedException",
        "Invalid session for the user.",
    )


def test_a_wrong_password_leaves_the_select_challenge_session_usable(
    server: Server, pool_id: str, client_id: str
) -> None:
    user, _, _ = person(server, pool_id)
    session = user_auth(server, client_id, USERNAME=user)["Session"]

    def answer(password: str) -> dict[str, Any]:
        return respond(
            server,
            client_id,
            "SELECT_CHALLENGE",
            session,
            USERNAME=user,
            ANSWER="PASSWORD",
            PASSWORD=password,
        )

    fails(
        lambda: answer("Wr0ng-pass!"), "NotAuthorizedException", "Incorrect username or password."
    )
    assert answer(PASSWORD)["AuthenticationResult"]["AccessToken"]
    fails(lambda: answer(PASSWORD), "NotAuthorizedException", "Invalid session for the user.")


def test_selecting_a_password(server: Server, pool_id: str, client_id: str) -> None:
    user, _, _ = person(server, pool_id)
    select = user_auth(server, client_id, USERNAME=user)
    done = respond(
        server,
        client_id,
        "SELECT_CHALLENGE",
        select["Session"],
        USERNAME=user,
        ANSWER="PASSWORD",
        PASSWORD=PASSWORD,
    )
    assert done["AuthenticationResult"]["AccessToken"]
    select = user_auth(server, client_id, USERNAME=user)
    aws = AWSSRP(user, PASSWORD, pool_id, client_id, client=server.public())
    srp_a = long_to_hex(aws.large_a_value)
    verifier = respond(
        server,
        client_id,
        "SELECT_CHALLENGE",
        select["Session"],
        USERNAME=user,
        ANSWER="PASSWORD_SRP",
        SRP_A=srp_a,
    )
    assert verifier["ChallengeName"] == "PASSWORD_VERIFIER"
    done = dict(
        server.public().respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=aws.process_challenge(
                verifier["ChallengeParameters"], {"USERNAME": user}
            ),
        )
    )
    assert done["AuthenticationResult"]["AccessToken"]


def test_a_one_time_code_is_a_whole_sign_in(server: Server) -> None:
    """MFA optional and the user has a token: an email code alone still signs in."""
    pool_id = make_pool(server, Policies=EVERY_FACTOR)["Id"]
    server.admin().set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    client_id = make_client(server, pool_id, ExplicitAuthFlows=FLOWS)["ClientId"]
    user, email, _ = person(server, pool_id)
    enroll_totp(server, pool_id, client_id, user)
    out = user_auth(server, client_id, USERNAME=user, PREFERRED_CHALLENGE="EMAIL_OTP")
    code = server.latest_code(pool_id, email)
    done = respond(
        server, client_id, "EMAIL_OTP", out["Session"], USERNAME=user, EMAIL_OTP_CODE=code
    )
    assert done["AuthenticationResult"]["AccessToken"]
    # With a password, the token is asked for.
    out = user_auth(
        server, client_id, USERNAME=user, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD
    )
    assert out["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_only_what_the_policy_allows(server: Server) -> None:
    pool_id = make_pool(server)["Id"]  # SignInPolicy: PASSWORD only
    client_id = make_client(server, pool_id, ExplicitAuthFlows=FLOWS)["ClientId"]
    user, _, _ = person(server, pool_id)
    out = user_auth(server, client_id, USERNAME=user, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert out["ChallengeName"] == "SELECT_CHALLENGE"
    assert out["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]
    fails(
        lambda: respond(
            server, client_id, "SELECT_CHALLENGE", out["Session"], USERNAME=user, ANSWER="EMAIL_OTP"
        ),
        "InvalidParameterException",
    )


def test_the_client_must_allow_user_auth(server: Server, pool_id: str) -> None:
    other = make_client(server, pool_id, ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"])["ClientId"]
    fails(
        lambda: user_auth(server, other, USERNAME="anyone"),
        "InvalidParameterException",
        "USER_AUTH flow not enabled for this client",
    )


def test_unknown_users(server: Server, pool_id: str, client_id: str) -> None:
    fails(
        lambda: user_auth(server, client_id, USERNAME="nobody-here"),
        "UserNotFoundException",
    )
    hiding = make_client(
        server, pool_id, ExplicitAuthFlows=FLOWS, PreventUserExistenceErrors="ENABLED"
    )["ClientId"]
    out = user_auth(server, hiding, USERNAME="nobody-here")
    assert out["ChallengeName"] == "SELECT_CHALLENGE"
    fails(
        lambda: respond(
            server,
            hiding,
            "SELECT_CHALLENGE",
            out["Session"],
            USERNAME="nobody-here",
            ANSWER="PASSWORD",
            PASSWORD=PASSWORD,
        ),
        "NotAuthorizedException",
        "Incorrect username or password.",
    )


def test_unknown_users_are_named_as_known_ones_would_be(server: Server) -> None:
    """Issue 9 item 6: SELECT_CHALLENGE's USERNAME was the name as typed for an unknown user
    but the stored one for a known user (`ALICE` -> `alice`, `BOB` -> `BOB`)."""
    pool_id = make_pool(
        server, Policies=EVERY_FACTOR, UsernameConfiguration={"CaseSensitive": False}
    )["Id"]
    hiding = make_client(
        server, pool_id, ExplicitAuthFlows=FLOWS, PreventUserExistenceErrors="ENABLED"
    )["ClientId"]
    known, _, _ = person(server, pool_id)
    ghost = f"ghost-{secrets.token_hex(4)}"
    real = user_auth(server, hiding, USERNAME=known.upper())
    decoy = user_auth(server, hiding, USERNAME=ghost.upper())
    assert real["ChallengeParameters"]["USERNAME"] == known
    assert decoy["ChallengeParameters"]["USERNAME"] == ghost
    # Answered with the USERNAME given back: a wrong password, as for a known user.
    for out, name in ((real, known), (decoy, ghost)):
        fails(
            lambda out=out, name=name: respond(  # type: ignore[misc]
                server,
                hiding,
                "SELECT_CHALLENGE",
                out["Session"],
                USERNAME=name,
                ANSWER="PASSWORD",
                PASSWORD="Wr0ng-pass!",
            ),
            "NotAuthorizedException",
            "Incorrect username or password.",
        )


@needs_node
def test_amplify_passwordless_sign_in(
    server: Server, pool_id: str, client_id: str, tmp_path: Path
) -> None:
    user, email, _ = person(server, pool_id)
    steps = run_node(
        "amplify.mjs",
        {
            "endpoint": server.url,
            "userPoolId": pool_id,
            "clientId": client_id,
            "steps": [
                {"op": "signIn", "username": user, "authFlowType": "USER_AUTH"},
                {"name": "choose", "op": "confirmSignIn", "challengeResponse": "EMAIL_OTP"},
                {"name": "code", "op": "confirmSignIn", "codeFromFile": str(tmp_path / "code")},
                {"op": "fetchAuthSession"},
            ],
        },
        on_wait=lambda _event: server.latest_code(pool_id, email),
    )
    first = steps["signIn"]["result"]["nextStep"]
    assert first["signInStep"] == "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION"
    assert first["availableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"]
    assert steps["choose"]["result"]["nextStep"]["signInStep"] == "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"
    assert steps["code"]["result"]["isSignedIn"] is True
    assert calls(steps["code"]) == [("RespondToAuthChallenge", "EMAIL_OTP")]
    claims = verify(server, pool_id, steps["fetchAuthSession"]["result"]["accessToken"])
    assert claims["username"] == user


@needs_node
def test_amplify_preferred_password_srp(server: Server, pool_id: str, client_id: str) -> None:
    user, _, _ = person(server, pool_id)
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
                    "authFlowType": "USER_AUTH",
                    "options": {"preferredChallenge": "PASSWORD_SRP"},
                }
            ],
        },
    )
    assert steps["signIn"]["result"]["isSignedIn"] is True
    assert calls(steps["signIn"]) == [
        ("InitiateAuth", "USER_AUTH"),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER"),
    ]
