"""Threat protection at sign-in with boto3 against a live server that has a GeoIP database
(tests/support/geoip.py: written with mmdb-writer, read by MaxMind's reader as in production):
the auth event's City, Country and Timezone; the risk exceptions; the assessment recorded in
the event; and the AccountTakeover actions in ENFORCED mode. Addresses: the connection's
(127.0.0.1) for InitiateAuth, AdminInitiateAuth's ContextData.IpAddress for the others."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP
from tests.support.cognito import error
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.geoip import write_city_database
from tests.support.live import Server, run_server
from tests.support.mfa import Totp, mfa_pool


@pytest.fixture(scope="module")
def geo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("risk")
    database = write_city_database(tmp / "city.mmdb")
    with run_server(tmp, "sqlite", extra_env={"MAMORI_GEOIP_DATABASE": str(database)}) as live:
        yield live


def protected_pool(server: Server, mode: str = "AUDIT", **risk: Any) -> tuple[str, str]:
    pool_id = make_pool(server, UserPoolAddOns={"AdvancedSecurityMode": mode})["Id"]
    if risk:
        server.admin().set_risk_configuration(UserPoolId=pool_id, **risk)
    return pool_id, make_client(server, pool_id)["ClientId"]


def events(server: Server, pool_id: str, username: str) -> list[dict[str, Any]]:
    out = server.admin().admin_list_user_auth_events(UserPoolId=pool_id, Username=username)
    return list(out["AuthEvents"])


def test_an_event_names_the_city_country_and_time_zone_of_its_address(
    geo_server: Server,
) -> None:
    pool_id, client_id = protected_pool(geo_server)
    username = make_user(geo_server, pool_id)
    sign_in(geo_server, client_id, username)
    (event,) = events(geo_server, pool_id, username)
    context = event["EventContextData"]
    assert context["IpAddress"] == "127.0.0.1"
    assert (context["City"], context["Country"], context["Timezone"]) == (
        "Loopville",
        "GB",
        "Europe/London",
    )


# --- risk at sign-in: exceptions, assessment, actions
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Safari/605.1.15"
)
HOME = "192.0.2.10"  # London
ABROAD = "198.51.100.7"  # Tokyo, seconds later: impossible travel
ELSEWHERE = "203.0.113.50"  # not in the database
BLOCKED = ("NotAuthorizedException", "Unable to login because of security reasons.")


def takeover(low: str, medium: str, high: str, notify: bool = False) -> dict[str, Any]:
    return {
        "Actions": {
            "LowAction": {"Notify": notify, "EventAction": low},
            "MediumAction": {"Notify": notify, "EventAction": medium},
            "HighAction": {"Notify": notify, "EventAction": high},
        }
    }


def admin_sign_in(
    server: Server,
    pool_id: str,
    client_id: str,
    username: str,
    ip: str,
    user_agent: str = CHROME,
    password: str = PASSWORD,
) -> dict[str, Any]:
    """ADMIN_USER_PASSWORD_AUTH for an end user at `ip` (ContextData: what the app's backend
    tells of its user)."""
    return dict(
        server.admin().admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
            ContextData={
                "IpAddress": ip,
                "ServerName": "app.example.com",
                "ServerPath": "/login",
                "HttpHeaders": [{"headerName": "User-Agent", "headerValue": user_agent}],
            },
        )
    )


def risk_of(event: dict[str, Any]) -> tuple[str, str | None]:
    return event["EventRisk"]["RiskDecision"], event["EventRisk"].get("RiskLevel")


def test_a_blocked_range_is_refused_before_the_password(geo_server: Server) -> None:
    pool_id, client_id = protected_pool(
        geo_server,
        "ENFORCED",
        RiskExceptionConfiguration={"BlockedIPRangeList": ["203.0.113.0/24"]},
    )
    username = make_user(geo_server, pool_id)
    for password in (PASSWORD, "Wr0ng-Password!"):
        with pytest.raises(ClientError) as refused:
            admin_sign_in(geo_server, pool_id, client_id, username, ELSEWHERE, password=password)
        assert error(refused) == BLOCKED
    assert "AuthenticationResult" in admin_sign_in(geo_server, pool_id, client_id, username, HOME)
    passed, *refusals = events(geo_server, pool_id, username)
    assert risk_of(passed) == ("NoRisk", None)
    for event in refusals:
        assert event["EventResponse"] == "Fail"
        assert risk_of(event) == ("Block", "High")
        assert event["ChallengeResponses"] == []  # the password was never looked at


def test_a_skipped_range_is_never_scored(geo_server: Server) -> None:
    pool_id, client_id = protected_pool(
        geo_server,
        "ENFORCED",
        AccountTakeoverRiskConfiguration=takeover("BLOCK", "BLOCK", "BLOCK"),
        RiskExceptionConfiguration={"SkippedIPRangeList": ["198.51.100.0/24"]},
    )
    username = make_user(geo_server, pool_id)
    admin_sign_in(geo_server, pool_id, client_id, username, HOME)
    # Tokyo seconds after London on another browser: High, but in a skipped range.
    result = admin_sign_in(geo_server, pool_id, client_id, username, ABROAD, FIREFOX)
    assert "AuthenticationResult" in result
    with pytest.raises(ClientError) as refused:  # a new browser elsewhere is scored: Low
        admin_sign_in(geo_server, pool_id, client_id, username, ELSEWHERE, SAFARI)
    assert error(refused) == BLOCKED
    blocked, skipped, home = events(geo_server, pool_id, username)
    assert risk_of(home) == ("NoRisk", None)
    assert risk_of(skipped) == ("NoRisk", None)
    assert skipped["EventResponse"] == "Pass"
    assert skipped["EventContextData"]["City"] == "Tokyo"
    assert risk_of(blocked) == ("Block", "Low")


def test_audit_only_records(geo_server: Server) -> None:
    pool_id, client_id = protected_pool(
        geo_server, "AUDIT", AccountTakeoverRiskConfiguration=takeover("BLOCK", "BLOCK", "BLOCK")
    )
    username = make_user(geo_server, pool_id)
    admin_sign_in(geo_server, pool_id, client_id, username, HOME)
    result = admin_sign_in(geo_server, pool_id, client_id, username, ABROAD, FIREFOX)
    assert "AuthenticationResult" in result
    abroad, home = events(geo_server, pool_id, username)
    assert risk_of(home) == ("NoRisk", None)
    assert risk_of(abroad) == ("AccountTakeover", "High")
    assert abroad["EventResponse"] == "Pass"


def totp_pool(server: Server, action: str) -> tuple[str, str]:
    """ENFORCED, MFA OPTIONAL with software tokens only, `action` at every level."""
    pool_id, client_id = mfa_pool(
        server, "OPTIONAL", sms=False, UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"}
    )
    server.admin().set_risk_configuration(
        UserPoolId=pool_id, AccountTakeoverRiskConfiguration=takeover(action, action, action)
    )
    return pool_id, client_id


def register_totp(server: Server, access_token: str) -> Totp:
    """A verified software token that the user has not turned on (Cognito's advice for
    adaptive authentication: MFA only where the risk calls for it)."""
    public = server.public()
    secret = public.associate_software_token(AccessToken=access_token)["SecretCode"]
    totp = Totp(secret)
    public.verify_software_token(AccessToken=access_token, UserCode=totp.code())
    return totp


def test_mfa_if_configured_asks_a_known_user_on_a_new_device_abroad(geo_server: Server) -> None:
    pool_id, client_id = totp_pool(geo_server, "MFA_IF_CONFIGURED")
    with_token, without = make_user(geo_server, pool_id), make_user(geo_server, pool_id)
    home = admin_sign_in(geo_server, pool_id, client_id, with_token, HOME)
    totp = register_totp(geo_server, home["AuthenticationResult"]["AccessToken"])
    challenged = admin_sign_in(geo_server, pool_id, client_id, with_token, ABROAD, FIREFOX)
    assert challenged["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    answered = geo_server.admin().admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=challenged["Session"],
        ChallengeResponses={"USERNAME": with_token, "SOFTWARE_TOKEN_MFA_CODE": totp.code()},
    )
    assert "AuthenticationResult" in answered
    abroad = events(geo_server, pool_id, with_token)[0]
    assert risk_of(abroad) == ("AccountTakeover", "High")
    assert abroad["EventResponse"] == "Pass"
    assert [c["ChallengeName"] for c in abroad["ChallengeResponses"]] == ["Password", "Mfa"]
    # No MFA the user could answer: MFA_IF_CONFIGURED lets the sign-in through.
    admin_sign_in(geo_server, pool_id, client_id, without, HOME)
    result = admin_sign_in(geo_server, pool_id, client_id, without, ABROAD, FIREFOX)
    assert "AuthenticationResult" in result


def test_mfa_required_refuses_a_user_without_mfa_and_tells_it(geo_server: Server) -> None:
    pool_id, client_id = totp_pool(geo_server, "MFA_REQUIRED")
    configuration = takeover("MFA_REQUIRED", "MFA_REQUIRED", "MFA_REQUIRED", notify=True)
    configuration["NotifyConfiguration"] = {
        "SourceArn": "arn:aws:ses:eu-west-1:123456789012:identity/example.com",
        "BlockEmail": {"Subject": "Blocked: {username} in {city}", "TextBody": "{ip-address}"},
    }
    geo_server.admin().set_risk_configuration(
        UserPoolId=pool_id, AccountTakeoverRiskConfiguration=configuration
    )
    username = make_user(geo_server, pool_id)
    admin_sign_in(geo_server, pool_id, client_id, username, HOME)
    assert geo_server.outbox(pool_id, f"{username}@example.com") == []  # NoRisk: no notice
    with pytest.raises(ClientError) as refused:
        admin_sign_in(geo_server, pool_id, client_id, username, ABROAD, FIREFOX)
    assert error(refused) == BLOCKED
    refusal = events(geo_server, pool_id, username)[0]
    assert (refusal["EventResponse"], risk_of(refusal)) == ("Fail", ("Block", "High"))
    (notice,) = geo_server.outbox(pool_id, f"{username}@example.com")
    assert notice["subject"] == f"Blocked: {username} in Tokyo"


def test_a_credential_stuffing_run_is_escalated_then_blocked(geo_server: Server) -> None:
    pool_id, client_id = protected_pool(
        geo_server,
        "ENFORCED",
        AccountTakeoverRiskConfiguration=takeover("NO_ACTION", "NO_ACTION", "BLOCK"),
    )
    victims = [make_user(geo_server, pool_id) for _ in range(10)]
    for n, username in enumerate(victims):
        admin_sign_in(geo_server, pool_id, client_id, username, f"192.0.2.{20 + n}")
    # One address tries every victim's leaked password: a new device and network for each
    # (Low), then Medium from the 4th username, High (refused) from the 10th.
    attacker = "203.0.113.66"
    for username in victims[:9]:
        admin_sign_in(geo_server, pool_id, client_id, username, attacker, FIREFOX)
    with pytest.raises(ClientError) as refused:
        admin_sign_in(geo_server, pool_id, client_id, victims[9], attacker, FIREFOX)
    assert error(refused) == BLOCKED
    levels = [risk_of(events(geo_server, pool_id, u)[0]) for u in victims]
    assert levels == [("AccountTakeover", "Low")] * 3 + [("AccountTakeover", "Medium")] * 6 + [
        ("Block", "High")
    ]


def srp(server: Server, pool_id: str, client_id: str, username: str) -> AWSSRP:
    return AWSSRP(
        username=username,
        password=PASSWORD,
        pool_id=pool_id,
        client_id=client_id,
        client=server.public(),
    )


def test_srp_sign_ins_are_assessed_and_refused_alike(geo_server: Server) -> None:
    pool_id, client_id = protected_pool(geo_server, "AUDIT")
    username = make_user(geo_server, pool_id)
    admin_sign_in(geo_server, pool_id, client_id, username, HOME)
    # From 127.0.0.1 (Loopville, GB: a known country) with boto3's User-Agent: a new device,
    # address and network, Low; AUDIT records it and lets it through.
    assert (
        "AccessToken"
        in srp(geo_server, pool_id, client_id, username).authenticate_user()["AuthenticationResult"]
    )
    assert risk_of(events(geo_server, pool_id, username)[0]) == ("AccountTakeover", "Low")
    blocked_pool, blocked_client = protected_pool(
        geo_server,
        "ENFORCED",
        RiskExceptionConfiguration={"BlockedIPRangeList": ["127.0.0.0/8"]},
    )
    other = make_user(geo_server, blocked_pool)
    with pytest.raises(ClientError) as refused:
        srp(geo_server, blocked_pool, blocked_client, other).authenticate_user()
    assert error(refused) == BLOCKED


def test_valid_feedback_lets_the_next_sign_in_from_that_device_pass(geo_server: Server) -> None:
    """A sign-in blocked as a takeover that the user says was theirs (AdminUpdateAuthEventFeedback
    Valid, what the notification's one-click link records): the next one from the same device
    and network is scored lower and goes through."""
    pool_id, client_id = protected_pool(
        geo_server,
        "ENFORCED",
        AccountTakeoverRiskConfiguration=takeover("NO_ACTION", "NO_ACTION", "BLOCK"),
    )
    username = make_user(geo_server, pool_id)
    admin_sign_in(geo_server, pool_id, client_id, username, HOME)
    for _ in range(2):  # blocked each time until the user says otherwise
        with pytest.raises(ClientError) as refused:
            admin_sign_in(geo_server, pool_id, client_id, username, ABROAD, FIREFOX)
        assert error(refused)[0] == "NotAuthorizedException"
    blocked = events(geo_server, pool_id, username)[0]
    assert risk_of(blocked) == ("Block", "High")
    geo_server.admin().admin_update_auth_event_feedback(
        UserPoolId=pool_id, Username=username, EventId=blocked["EventId"], FeedbackValue="Valid"
    )
    result = admin_sign_in(geo_server, pool_id, client_id, username, ABROAD, FIREFOX)
    assert "AuthenticationResult" in result
    passed = events(geo_server, pool_id, username)[0]
    assert passed["EventResponse"] == "Pass"
    assert risk_of(passed)[1] in (None, "Low", "Medium")
