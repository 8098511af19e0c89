"""Threat protection with the real amazon-cognito-identity-js (tests/node/cognito_identity_js.mjs)
against a live server: the app runs in a browser at an address of its own (the server trusts
127.0.0.1 as its proxy, the script sends X-Forwarded-For and the browser's User-Agent per step)
with AWS's advanced-security global in place, so the library sends UserContextData.EncodedData.
Each scenario checks what the library got back and what AdminListUserAuthEvents recorded."""

from __future__ import annotations

import base64
import json
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import error
from tests.support.db import rows
from tests.support.factories import PASSWORD, make_client, make_pool, make_user
from tests.support.geoip import write_city_database
from tests.support.live import Server, run_server
from tests.support.mfa import Totp, mfa_pool
from tests.support.node import calls, run_node

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js"),
]

HOME = "192.0.2.10"  # London
ABROAD = "198.51.100.7"  # Tokyo, seconds later: impossible travel
ELSEWHERE = "203.0.113.50"  # not in the database
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Safari/605.1.15"
)
BLOCKED = ("NotAuthorizedException", "Unable to login because of security reasons.")
REFUSED = ("InvalidPasswordException", "Provided password cannot be used for security reasons.")


@dataclass(frozen=True)
class EndUser:
    """Who runs the app: the address its requests come from, its browser, and the device name
    the advanced-security stand-in puts into EncodedData."""

    ip: str
    user_agent: str
    device: str

    def context(self) -> dict[str, str]:
        return {"ip": self.ip, "userAgent": self.user_agent, "device": self.device}


AT_HOME = EndUser(HOME, CHROME, "laptop")
ABROAD_ON_A_PHONE = EndUser(ABROAD, FIREFOX, "phone")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server with the GeoIP database that trusts 127.0.0.1 (the script) as its proxy."""
    tmp = tmp_path_factory.mktemp(f"identity-js-risk-{request.param}")
    env = {
        "MAMORI_GEOIP_DATABASE": str(write_city_database(tmp / "city.mmdb")),
        "MAMORI_TRUSTED_PROXIES": "127.0.0.1",
    }
    with run_server(tmp, request.param, extra_env=env) as server:
        yield server


def protected_pool(server: Server, mode: str, **risk: Any) -> tuple[str, str]:
    pool_id = make_pool(server, UserPoolAddOns={"AdvancedSecurityMode": mode})["Id"]
    if risk:
        server.admin().set_risk_configuration(UserPoolId=pool_id, **risk)
    return pool_id, make_client(server, pool_id)["ClientId"]


def takeover(low: str, medium: str, high: str) -> dict[str, Any]:
    return {
        "Actions": {
            f"{level}Action": {"Notify": False, "EventAction": action}
            for level, action in (("Low", low), ("Medium", medium), ("High", high))
        }
    }


def identity_js(
    server: Server, pool_id: str, client_id: str, steps: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    return run_node(
        "cognito_identity_js.mjs",
        {
            "endpoint": server.url,
            "userPoolId": pool_id,
            "clientId": client_id,
            "advancedSecurityData": True,
            "steps": steps,
        },
    )


def sign_in(
    username: str, at: EndUser, name: str, password: str = PASSWORD, **more: Any
) -> dict[str, Any]:
    """authenticateUser with the library's default flow (USER_SRP_AUTH)."""
    return {
        "op": "authenticateUser",
        "name": name,
        "username": username,
        "password": password,
        "context": at.context(),
        **more,
    }


def refused(step: dict[str, Any]) -> tuple[str, str]:
    assert not step["ok"], step
    return step["error"]["name"], step["error"]["message"]


def callbacks(step: dict[str, Any]) -> list[str]:
    assert step["ok"], step
    return list(step["result"]["callbacks"])


def events(server: Server, pool_id: str, username: str) -> list[dict[str, Any]]:
    out = server.admin().admin_list_user_auth_events(UserPoolId=pool_id, Username=username)
    return list(out["AuthEvents"])


def sign_ins(server: Server, pool_id: str, username: str) -> list[dict[str, Any]]:
    return [e for e in events(server, pool_id, username) if e["EventType"] == "SignIn"]


def risk_of(event: dict[str, Any]) -> tuple[str, str | None]:
    return event["EventRisk"]["RiskDecision"], event["EventRisk"].get("RiskLevel")


def outcome(event: dict[str, Any]) -> tuple[str, str, str | None, list[str]]:
    """(EventResponse, RiskDecision, RiskLevel, the challenge steps)."""
    steps = [f"{c['ChallengeName']}={c['ChallengeResponse']}" for c in event["ChallengeResponses"]]
    return (event["EventResponse"], *risk_of(event), steps)


# --- account takeover
def test_a_credential_stuffing_run_is_escalated_then_blocked(live: Server) -> None:
    pool_id, client_id = protected_pool(
        live,
        "ENFORCED",
        AccountTakeoverRiskConfiguration=takeover("NO_ACTION", "NO_ACTION", "BLOCK"),
    )
    victims = [make_user(live, pool_id) for _ in range(10)]
    homes = [EndUser(f"192.0.2.{20 + n}", CHROME, f"laptop-{n}") for n in range(10)]
    attacker = EndUser("203.0.113.66", FIREFOX, "attacker")
    steps = [
        sign_in(v, home, f"home-{n}")
        for n, (v, home) in enumerate(zip(victims, homes, strict=True))
    ]
    # One address tries each victim's leaked (right) password, then a victim at home.
    steps += [sign_in(v, attacker, f"stuffed-{n}", expectError=True) for n, v in enumerate(victims)]
    steps.append(sign_in(victims[9], homes[9], "victim-at-home"))
    ran = identity_js(live, pool_id, client_id, steps)

    for n in range(10):
        assert callbacks(ran[f"home-{n}"]) == ["onSuccess"]
    for n in range(9):
        assert callbacks(ran[f"stuffed-{n}"]) == ["onSuccess"]
    assert refused(ran["stuffed-9"]) == BLOCKED
    assert calls(ran["stuffed-9"]) == [
        ("InitiateAuth", "USER_SRP_AUTH"),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER"),
    ]
    assert callbacks(ran["victim-at-home"]) == ["onSuccess"]

    # The run's events: a new device and network for each victim (Low), more usernames from
    # one address (Medium from the 4th), High and refused at the 10th.
    stuffed = [sign_ins(live, pool_id, v)[-2 if n == 9 else 0] for n, v in enumerate(victims)]
    low, medium = ("Pass", "AccountTakeover", "Low"), ("Pass", "AccountTakeover", "Medium")
    assert [outcome(e)[:3] for e in stuffed] == [low] * 3 + [medium] * 6 + [
        ("Fail", "Block", "High")
    ]
    assert {e["EventContextData"]["IpAddress"] for e in stuffed} == {attacker.ip}
    assert stuffed[9]["ChallengeResponses"] == [
        {"ChallengeName": "Password", "ChallengeResponse": "Success"}
    ]  # the right password, refused all the same
    at_home = sign_ins(live, pool_id, victims[9])[0]
    assert outcome(at_home) == ("Pass", "NoRisk", None, ["Password=Success"])
    assert at_home["EventContextData"]["IpAddress"] == homes[9].ip


def totp_pool(server: Server, low: str, medium: str, high: str) -> tuple[str, str]:
    """ENFORCED, MFA OPTIONAL with software tokens only (risk decides who is asked)."""
    pool_id, client_id = mfa_pool(
        server, "OPTIONAL", sms=False, UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"}
    )
    server.admin().set_risk_configuration(
        UserPoolId=pool_id, AccountTakeoverRiskConfiguration=takeover(low, medium, high)
    )
    return pool_id, client_id


def register_totp(server: Server, access_token: str) -> Totp:
    """A verified software token the user has not turned on: MFA only where risk calls for it."""
    public = server.public()
    totp = Totp(public.associate_software_token(AccessToken=access_token)["SecretCode"])
    public.verify_software_token(AccessToken=access_token, UserCode=totp.code())
    return totp


def test_mfa_if_configured_asks_a_known_user_on_a_new_device_abroad(live: Server) -> None:
    pool_id, client_id = totp_pool(live, "NO_ACTION", "MFA_IF_CONFIGURED", "MFA_IF_CONFIGURED")
    with_token, without = make_user(live, pool_id), make_user(live, pool_id)
    home = identity_js(
        live,
        pool_id,
        client_id,
        [sign_in(with_token, AT_HOME, "home"), sign_in(without, AT_HOME, "other-home")],
    )
    totp = register_totp(live, home["home"]["result"]["session"]["accessToken"])
    abroad = identity_js(
        live,
        pool_id,
        client_id,
        [
            sign_in(with_token, ABROAD_ON_A_PHONE, "abroad", mfaCode=totp.code()),
            sign_in(without, ABROAD_ON_A_PHONE, "other-abroad"),
        ],
    )
    assert callbacks(abroad["abroad"]) == ["totpRequired", "onSuccess"]
    assert calls(abroad["abroad"])[-1] == ("RespondToAuthChallenge", "SOFTWARE_TOKEN_MFA")
    asked = sign_ins(live, pool_id, with_token)
    assert [outcome(e) for e in asked] == [
        ("Pass", "AccountTakeover", "High", ["Password=Success", "Mfa=Success"]),
        ("Pass", "NoRisk", None, ["Password=Success"]),
    ]
    assert asked[0]["EventContextData"]["City"] == "Tokyo"
    # No MFA the user could answer: MFA_IF_CONFIGURED lets the sign-in through unasked.
    assert callbacks(abroad["other-abroad"]) == ["onSuccess"]
    assert outcome(sign_ins(live, pool_id, without)[0]) == (
        "Pass",
        "AccountTakeover",
        "High",
        ["Password=Success"],
    )


def test_mfa_required_refuses_then_valid_feedback_lets_that_device_in(live: Server) -> None:
    """MFA_REQUIRED for a user without MFA refuses the new device abroad, every time, until the
    user says it was them (AdminUpdateAuthEventFeedback Valid, what the notification's link
    records): the next sign-in from that device and network is scored lower and goes through."""
    pool_id, client_id = totp_pool(live, "NO_ACTION", "MFA_REQUIRED", "MFA_REQUIRED")
    username = make_user(live, pool_id)
    before = identity_js(
        live,
        pool_id,
        client_id,
        [
            sign_in(username, AT_HOME, "home"),
            sign_in(username, ABROAD_ON_A_PHONE, "abroad", expectError=True),
            sign_in(username, ABROAD_ON_A_PHONE, "abroad-again", expectError=True),
        ],
    )
    assert callbacks(before["home"]) == ["onSuccess"]
    assert refused(before["abroad"]) == BLOCKED
    assert refused(before["abroad-again"]) == BLOCKED
    again, first, home = sign_ins(live, pool_id, username)
    assert outcome(first) == outcome(again) == ("Fail", "Block", "High", ["Password=Success"])
    assert outcome(home) == ("Pass", "NoRisk", None, ["Password=Success"])

    live.admin().admin_update_auth_event_feedback(
        UserPoolId=pool_id, Username=username, EventId=again["EventId"], FeedbackValue="Valid"
    )
    after = identity_js(
        live, pool_id, client_id, [sign_in(username, ABROAD_ON_A_PHONE, "abroad-after")]
    )
    assert callbacks(after["abroad-after"]) == ["onSuccess"]
    passed = sign_ins(live, pool_id, username)[0]
    # Still seconds after London (impossible travel: feedback never forgets it), but the
    # device and network are no longer new: Low, whose action is NO_ACTION.
    assert outcome(passed) == ("Pass", "AccountTakeover", "Low", ["Password=Success"])
    assert passed["EventContextData"]["IpAddress"] == ABROAD


# --- compromised credentials
BREACHED = "password1"  # in the list mamori ships
SAFE = "unlisted-passphrase-42"
OTHER_SAFE = "another-unlisted-phrase-7"
LAX = {
    "PasswordPolicy": {
        "MinimumLength": 6,
        "RequireUppercase": False,
        "RequireLowercase": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
    }
}


def test_a_breached_password_is_refused_at_sign_up_sign_in_and_change(live: Server) -> None:
    # A policy that lets common passwords through, so only threat protection refuses them.
    enforced = {"AdvancedSecurityMode": "ENFORCED"}
    pool_id = make_pool(live, Policies=LAX, UserPoolAddOns=enforced)["Id"]
    client_id = make_client(live, pool_id)["ClientId"]
    leaked = make_user(live, pool_id, password=BREACHED)  # before the check is configured
    careful = make_user(live, pool_id, password=SAFE)
    live.admin().set_risk_configuration(
        UserPoolId=pool_id,
        CompromisedCredentialsRiskConfiguration={"Actions": {"EventAction": "BLOCK"}},
    )
    newcomer, other = f"new-{secrets.token_hex(4)}", f"new-{secrets.token_hex(4)}"

    def sign_up(username: str, password: str, name: str, **more: Any) -> dict[str, Any]:
        email = {"email": f"{username}@example.com"}
        return {
            "op": "signUp",
            "name": name,
            "username": username,
            "password": password,
            "attributes": email,
            "context": AT_HOME.context(),
            **more,
        }

    ran = identity_js(
        live,
        pool_id,
        client_id,
        [
            sign_up(newcomer, BREACHED, "sign-up-breached", expectError=True),
            sign_up(other, SAFE, "sign-up-safe"),
            # SRP never shows the server the password: not checked (Cognito's too).
            sign_in(leaked, AT_HOME, "srp-breached", password=BREACHED),
            sign_in(
                leaked,
                AT_HOME,
                "sign-in-breached",
                password=BREACHED,
                authenticationFlowType="USER_PASSWORD_AUTH",
                expectError=True,
            ),
            sign_in(careful, AT_HOME, "sign-in-safe", password=SAFE),
            {
                "op": "changePassword",
                "name": "change-to-breached",
                "oldPassword": SAFE,
                "newPassword": BREACHED,
                "expectError": True,
            },
            {
                "op": "changePassword",
                "name": "change-to-safe",
                "oldPassword": SAFE,
                "newPassword": OTHER_SAFE,
            },
        ],
    )
    admin = live.admin()
    assert refused(ran["sign-up-breached"]) == REFUSED
    with pytest.raises(ClientError) as nobody:
        admin.admin_get_user(UserPoolId=pool_id, Username=newcomer)
    assert error(nobody)[0] == "UserNotFoundException"
    assert ran["sign-up-safe"]["result"]["userConfirmed"] is False
    (signed_up,) = events(live, pool_id, other)
    assert signed_up["EventType"] == "SignUp"
    assert signed_up["EventRisk"]["CompromisedCredentialsDetected"] is False

    # A breached password is refused once proven, and must be replaced (Cognito's reset).
    assert callbacks(ran["srp-breached"]) == ["onSuccess"]
    assert refused(ran["sign-in-breached"]) == BLOCKED
    assert calls(ran["sign-in-breached"]) == [("InitiateAuth", "USER_PASSWORD_AUTH")]
    blocked, srp = sign_ins(live, pool_id, leaked)
    assert outcome(srp)[:2] == ("Pass", "NoRisk")
    assert srp["EventRisk"]["CompromisedCredentialsDetected"] is False
    assert outcome(blocked)[:2] == ("Fail", "Block")
    assert blocked["EventRisk"]["CompromisedCredentialsDetected"] is True
    assert admin.admin_get_user(UserPoolId=pool_id, Username=leaked)["UserStatus"] == (
        "RESET_REQUIRED"
    )

    assert callbacks(ran["sign-in-safe"]) == ["onSuccess"]
    assert refused(ran["change-to-breached"]) == REFUSED
    assert ran["change-to-safe"]["ok"]
    # The refused change is a failed one, with what was found; the password stayed SAFE.
    changed, refusal = [
        e for e in events(live, pool_id, careful) if e["EventType"] == "PasswordChange"
    ]
    assert (refusal["EventResponse"], refusal["EventRisk"]) == (
        "Fail",
        {"RiskDecision": "Block", "CompromisedCredentialsDetected": True},
    )
    assert (changed["EventResponse"], changed["EventRisk"]) == (
        "Pass",
        {"RiskDecision": "NoRisk", "CompromisedCredentialsDetected": False},
    )


# --- risk exceptions and AUDIT
def test_a_blocked_range_is_refused_whatever_the_password(live: Server) -> None:
    pool_id, client_id = protected_pool(
        live, "ENFORCED", RiskExceptionConfiguration={"BlockedIPRangeList": ["203.0.113.0/24"]}
    )
    username = make_user(live, pool_id)
    outsider = EndUser(ELSEWHERE, SAFARI, "outsider")
    ran = identity_js(
        live,
        pool_id,
        client_id,
        [
            sign_in(username, outsider, "right", expectError=True),
            sign_in(username, outsider, "wrong", password="Wr0ng-Password!", expectError=True),
            sign_in(username, AT_HOME, "home"),
        ],
    )
    assert refused(ran["right"]) == refused(ran["wrong"]) == BLOCKED
    assert callbacks(ran["home"]) == ["onSuccess"]
    home, *blocked = sign_ins(live, pool_id, username)
    assert outcome(home) == ("Pass", "NoRisk", None, ["Password=Success"])
    # Refused before the password was looked at: no challenge step, right or wrong.
    assert [outcome(e) for e in blocked] == [("Fail", "Block", "High", [])] * 2


def test_a_skipped_range_is_never_scored(live: Server) -> None:
    pool_id, client_id = protected_pool(
        live,
        "ENFORCED",
        AccountTakeoverRiskConfiguration=takeover("BLOCK", "BLOCK", "BLOCK"),
        RiskExceptionConfiguration={"SkippedIPRangeList": ["198.51.100.0/24"]},
    )
    username = make_user(live, pool_id)
    ran = identity_js(
        live,
        pool_id,
        client_id,
        [
            sign_in(username, AT_HOME, "home"),
            # Tokyo seconds after London on another device: High, were it scored.
            sign_in(username, ABROAD_ON_A_PHONE, "skipped"),
            # A new browser elsewhere is scored (Low) and BLOCK is the action at every level.
            sign_in(username, EndUser(ELSEWHERE, SAFARI, "tablet"), "scored", expectError=True),
        ],
    )
    assert callbacks(ran["skipped"]) == ["onSuccess"]
    assert refused(ran["scored"]) == BLOCKED
    scored, skipped, home = sign_ins(live, pool_id, username)
    assert outcome(home) == outcome(skipped) == ("Pass", "NoRisk", None, ["Password=Success"])
    assert skipped["EventContextData"]["City"] == "Tokyo"
    assert outcome(scored) == ("Fail", "Block", "Low", ["Password=Success"])


def test_audit_only_records(live: Server) -> None:
    pool_id, client_id = protected_pool(
        live, "AUDIT", AccountTakeoverRiskConfiguration=takeover("BLOCK", "BLOCK", "BLOCK")
    )
    username = make_user(live, pool_id)
    ran = identity_js(
        live,
        pool_id,
        client_id,
        [sign_in(username, AT_HOME, "home"), sign_in(username, ABROAD_ON_A_PHONE, "abroad")],
    )
    assert callbacks(ran["abroad"]) == ["onSuccess"]
    abroad, home = sign_ins(live, pool_id, username)
    assert outcome(home) == ("Pass", "NoRisk", None, ["Password=Success"])
    assert outcome(abroad) == ("Pass", "AccountTakeover", "High", ["Password=Success"])


# --- the context the library sent
def test_the_event_keeps_the_librarys_encoded_data_and_the_end_users_context(
    live: Server,
) -> None:
    """AWS's advanced-security script (here its stand-in) gives the library EncodedData for
    (username, pool, client); the library sends it on every sign-in request. The event keeps it
    as given, opaque and never shown: AuthEventType has no member for it, so the database is
    where it can be seen. What the API does show is the end user's address, browser and place."""
    pool_id, client_id = protected_pool(live, "AUDIT")
    username = make_user(live, pool_id)
    anonymous = EndUser(ABROAD, FIREFOX, "")  # getData gives nothing: UserContextData {}
    ran = identity_js(
        live,
        pool_id,
        client_id,
        [sign_in(username, AT_HOME, "with-data"), sign_in(username, anonymous, "without-data")],
    )
    sent = [
        c
        for c in ran["with-data"]["calls"]
        if c["op"] in ("InitiateAuth", "RespondToAuthChallenge")
    ]
    assert [c.get("challenge", c.get("flow")) for c in sent] == [
        "USER_SRP_AUTH",
        "PASSWORD_VERIFIER",
    ]
    blobs = {c["userContextData"]["EncodedData"] for c in sent}
    (blob,) = blobs
    assert json.loads(base64.b64decode(blob)) == {
        "version": "mamori-harness-1",
        "device": "laptop",
        "username": username,
        "userPoolId": pool_id,
        "clientId": client_id,
    }
    assert {c["ip"] for c in sent} == {HOME}
    assert all(
        c["userContextData"] == {} for c in ran["without-data"]["calls"] if "userContextData" in c
    )

    without, with_data = sign_ins(live, pool_id, username)
    assert with_data["EventContextData"] == {
        "IpAddress": HOME,
        "DeviceName": "Chrome 120, Windows 10",
        "Timezone": "Europe/London",
        "City": "London",
        "Country": "GB",
    }
    assert without["EventContextData"]["IpAddress"] == ABROAD
    assert "EncodedData" not in json.dumps(with_data, default=str)
    kept = rows(
        live.database_url,
        "SELECT id, encoded_data FROM auth_events WHERE pool_id = :p",
        p=pool_id,
    )
    assert {r["id"]: r["encoded_data"] for r in kept} == {
        with_data["EventId"]: blob,
        without["EventId"]: None,
    }
