"""Threat protection at a passwordless sign-in (USER_AUTH's EMAIL_OTP), with boto3 against a
live server that has a GeoIP database: the address checked before a code is sent, a wrong code
counted as a failed sign-in, a right one recorded and assessed as a password is, and ENFORCED's
action carried out (BLOCK and MFA_REQUIRED refuse; MFA_IF_CONFIGURED asks nothing more, the code
standing for the MFA). Addresses: AdminInitiateAuth's and AdminRespondToAuthChallenge's
ContextData.IpAddress, and for SMS_OTP chosen at SELECT_CHALLENGE through the public API the
connection's (127.0.0.1); codes are read from the outbox."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.api.cognito_idp.test_risk_at_sign_in import (
    ABROAD,
    BLOCKED,
    CHROME,
    ELSEWHERE,
    FIREFOX,
    HOME,
    SAFARI,
    admin_sign_in,
    events,
    risk_of,
    takeover,
)
from tests.support.cognito import error
from tests.support.factories import make_client, make_pool, make_user
from tests.support.geoip import write_city_database
from tests.support.live import Server, run_server
from tests.support.mfa import Totp, mfa_pool

FLOWS = ["ALLOW_USER_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
PASSWORDLESS = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}
FIRST_FACTOR_OK = [{"ChallengeName": "Password", "ChallengeResponse": "Success"}]
FIRST_FACTOR_FAILED = [{"ChallengeName": "Password", "ChallengeResponse": "Failure"}]


@pytest.fixture(scope="module")
def geo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("risk-passwordless")
    database = write_city_database(tmp / "city.mmdb")
    with run_server(tmp, "sqlite", extra_env={"MAMORI_GEOIP_DATABASE": str(database)}) as live:
        yield live


def passwordless_pool(server: Server, mode: str, **risk: Any) -> tuple[str, str]:
    pool_id = make_pool(
        server, Policies=PASSWORDLESS, UserPoolAddOns={"AdvancedSecurityMode": mode}
    )["Id"]
    if risk:
        server.admin().set_risk_configuration(UserPoolId=pool_id, **risk)
    return pool_id, make_client(server, pool_id, ExplicitAuthFlows=FLOWS)["ClientId"]


def context(ip: str, user_agent: str) -> dict[str, Any]:
    return {
        "IpAddress": ip,
        "ServerName": "app.example.com",
        "ServerPath": "/login",
        "HttpHeaders": [{"headerName": "User-Agent", "headerValue": user_agent}],
    }


def ask_code(
    server: Server, pool_id: str, client_id: str, username: str, ip: str, user_agent: str
) -> str:
    """USER_AUTH with PREFERRED_CHALLENGE EMAIL_OTP from `ip`: the challenge's Session."""
    out = server.admin().admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": username, "PREFERRED_CHALLENGE": "EMAIL_OTP"},
        ContextData=context(ip, user_agent),
    )
    assert out["ChallengeName"] == "EMAIL_OTP"
    return str(out["Session"])


def answer_code(
    server: Server,
    ids: tuple[str, str],
    username: str,
    session: str,
    code: str,
    ip: str,
    user_agent: str,
) -> dict[str, Any]:
    pool_id, client_id = ids
    return dict(
        server.admin().admin_respond_to_auth_challenge(
            UserPoolId=pool_id,
            ClientId=client_id,
            ChallengeName="EMAIL_OTP",
            Session=session,
            ChallengeResponses={"USERNAME": username, "EMAIL_OTP_CODE": code},
            ContextData=context(ip, user_agent),
        )
    )


def code_sign_in(
    server: Server, ids: tuple[str, str], username: str, ip: str, user_agent: str
) -> dict[str, Any]:
    """A whole EMAIL_OTP sign-in from `ip`: the code asked for, read and answered."""
    session = ask_code(server, *ids, username, ip, user_agent)
    code = server.latest_code(ids[0], f"{username}@example.com")
    return answer_code(server, ids, username, session, code, ip, user_agent)


def test_a_passwordless_sign_in_is_recorded_and_assessed(geo_server: Server) -> None:
    ids = passwordless_pool(geo_server, "AUDIT")
    username = make_user(geo_server, ids[0])
    assert "AuthenticationResult" in code_sign_in(geo_server, ids, username, HOME, CHROME)
    # Tokyo seconds after London on another browser: High; AUDIT records it, lets it through.
    assert "AuthenticationResult" in code_sign_in(geo_server, ids, username, ABROAD, FIREFOX)
    abroad, home = events(geo_server, ids[0], username)
    assert (home["EventResponse"], risk_of(home)) == ("Pass", ("NoRisk", None))
    assert (abroad["EventResponse"], risk_of(abroad)) == ("Pass", ("AccountTakeover", "High"))
    # The first factor's step, under Cognito's only name for one.
    assert abroad["ChallengeResponses"] == FIRST_FACTOR_OK
    assert abroad["EventContextData"]["City"] == "Tokyo"


def test_a_blocked_range_gets_no_code(geo_server: Server) -> None:
    ids = passwordless_pool(
        geo_server,
        "ENFORCED",
        RiskExceptionConfiguration={"BlockedIPRangeList": ["203.0.113.0/24"]},
    )
    username = make_user(geo_server, ids[0])
    email = f"{username}@example.com"
    with pytest.raises(ClientError) as refused:
        ask_code(geo_server, *ids, username, ELSEWHERE, CHROME)
    assert error(refused) == BLOCKED
    assert geo_server.outbox(ids[0], email) == []
    # A code asked for from elsewhere is not taken from the blocked range either.
    session = ask_code(geo_server, *ids, username, HOME, CHROME)
    code = geo_server.latest_code(ids[0], email)
    with pytest.raises(ClientError) as refused:
        answer_code(geo_server, ids, username, session, code, ELSEWHERE, CHROME)
    assert error(refused) == BLOCKED
    refusals = events(geo_server, ids[0], username)
    assert len(refusals) == 2
    for event in refusals:
        assert (event["EventResponse"], risk_of(event)) == ("Fail", ("Block", "High"))
        assert event["ChallengeResponses"] == []


def test_a_wrong_code_is_a_failed_sign_in(geo_server: Server) -> None:
    ids = passwordless_pool(geo_server, "AUDIT")
    username = make_user(geo_server, ids[0])
    session = ask_code(geo_server, *ids, username, HOME, CHROME)
    code = geo_server.latest_code(ids[0], f"{username}@example.com")
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ClientError) as refused:
        answer_code(geo_server, ids, username, session, wrong, HOME, CHROME)
    assert error(refused)[0] == "CodeMismatchException"
    assert "AuthenticationResult" in answer_code(
        geo_server, ids, username, session, code, HOME, CHROME
    )
    passed, failed = events(geo_server, ids[0], username)
    assert (failed["EventResponse"], failed["ChallengeResponses"]) == ("Fail", FIRST_FACTOR_FAILED)
    assert (passed["EventResponse"], passed["ChallengeResponses"]) == ("Pass", FIRST_FACTOR_OK)


def test_enforced_block_refuses_after_the_code(geo_server: Server) -> None:
    ids = passwordless_pool(
        geo_server,
        "ENFORCED",
        AccountTakeoverRiskConfiguration=takeover("NO_ACTION", "NO_ACTION", "BLOCK"),
    )
    username = make_user(geo_server, ids[0])
    code_sign_in(geo_server, ids, username, HOME, CHROME)
    with pytest.raises(ClientError) as refused:
        code_sign_in(geo_server, ids, username, ABROAD, FIREFOX)
    assert error(refused) == BLOCKED
    refusal = events(geo_server, ids[0], username)[0]
    assert (refusal["EventResponse"], risk_of(refusal)) == ("Fail", ("Block", "High"))
    assert refusal["ChallengeResponses"] == FIRST_FACTOR_OK


def register_totp(server: Server, access_token: str) -> None:
    public = server.public()
    secret = public.associate_software_token(AccessToken=access_token)["SecretCode"]
    public.verify_software_token(AccessToken=access_token, UserCode=Totp(secret).code())


@pytest.mark.parametrize(
    ("action", "passes"), [("MFA_IF_CONFIGURED", True), ("MFA_REQUIRED", False)]
)
def test_mfa_actions_take_the_code_as_a_sign_in_without_mfa(
    geo_server: Server, action: str, passes: bool
) -> None:
    """A user with a software token it could answer: a password sign-in from Tokyo is asked
    for it; a passwordless one is taken as one that can answer no MFA."""
    ids = mfa_pool(
        geo_server,
        "OPTIONAL",
        sms=False,
        client={"ExplicitAuthFlows": FLOWS},
        Policies=PASSWORDLESS,
        UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"},
    )
    geo_server.admin().set_risk_configuration(
        UserPoolId=ids[0], AccountTakeoverRiskConfiguration=takeover(action, action, action)
    )
    username = make_user(geo_server, ids[0])
    home = code_sign_in(geo_server, ids, username, HOME, CHROME)
    register_totp(geo_server, home["AuthenticationResult"]["AccessToken"])
    password = admin_sign_in(geo_server, *ids, username, ABROAD, FIREFOX)
    assert password["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    if passes:
        assert "AuthenticationResult" in code_sign_in(geo_server, ids, username, ABROAD, SAFARI)
        latest = events(geo_server, ids[0], username)[0]
        assert latest["EventResponse"] == "Pass"
        assert risk_of(latest)[0] == "AccountTakeover"
        return
    with pytest.raises(ClientError) as refused:
        code_sign_in(geo_server, ids, username, ABROAD, SAFARI)
    assert error(refused) == BLOCKED
    latest = events(geo_server, ids[0], username)[0]
    assert (latest["EventResponse"], risk_of(latest)[0]) == ("Fail", "Block")


def sms_person(server: Server, pool_id: str) -> tuple[str, str]:
    number = "+1555" + "".join(secrets.choice("0123456789") for _ in range(7))
    attributes = {"phone_number": number, "phone_number_verified": "true"}
    return make_user(server, pool_id, attributes=attributes), number


def select_sms(server: Server, client_id: str, username: str) -> dict[str, Any]:
    """InitiateAuth USER_AUTH (from 127.0.0.1, Loopville) answered with SMS_OTP."""
    public = server.public()
    select = public.initiate_auth(
        ClientId=client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": username}
    )
    assert "SMS_OTP" in select["AvailableChallenges"]
    return dict(
        public.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SELECT_CHALLENGE",
            Session=select["Session"],
            ChallengeResponses={"USERNAME": username, "ANSWER": "SMS_OTP"},
        )
    )


def test_an_sms_code_chosen_through_the_public_api_alike(geo_server: Server) -> None:
    factors = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "SMS_OTP"]}}
    pool_id = make_pool(
        geo_server, Policies=factors, UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"}
    )["Id"]
    client_id = make_client(geo_server, pool_id, ExplicitAuthFlows=FLOWS)["ClientId"]
    username, number = sms_person(geo_server, pool_id)
    sms = select_sms(geo_server, client_id, username)
    done = geo_server.public().respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SMS_OTP",
        Session=sms["Session"],
        ChallengeResponses={
            "USERNAME": username,
            "SMS_OTP_CODE": geo_server.latest_code(pool_id, number),
        },
    )
    assert "AuthenticationResult" in done
    (event,) = events(geo_server, pool_id, username)
    assert (event["EventResponse"], risk_of(event)) == ("Pass", ("NoRisk", None))
    assert event["EventContextData"]["City"] == "Loopville"
    # The same choice from a blocked range (ENFORCED): refused, and no text message sent.
    geo_server.admin().update_user_pool(
        UserPoolId=pool_id, Policies=factors, UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"}
    )
    geo_server.admin().set_risk_configuration(
        UserPoolId=pool_id, RiskExceptionConfiguration={"BlockedIPRangeList": ["127.0.0.0/8"]}
    )
    sent = len(geo_server.outbox(pool_id, number))
    with pytest.raises(ClientError) as refused:
        select_sms(geo_server, client_id, username)
    assert error(refused) == BLOCKED
    assert len(geo_server.outbox(pool_id, number)) == sent
