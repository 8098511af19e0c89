"""Threat protection on the hosted sign-in page (over HTTP against the live server): the page
runs the API's sign-in machine, so it refuses and asks for MFA as the API does: an address in
a blocked range is refused whatever the password, and MFA_IF_CONFIGURED asks a user with a
registered authenticator app for its code on a device its history doesn't know."""

from __future__ import annotations

import re

import httpx
from tests.support.factories import PASSWORD, make_user, sign_in
from tests.support.hosted_pages import Hosted, hosted_client, page_url, submit
from tests.support.live import Server
from tests.support.mfa import Totp

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
# Threat protection's own wording, not the breached password's (no reset to advise).
BLOCKED = (
    "This sign-in was blocked because it looked unusual. Please try again from a device and "
    "network you usually use, or contact your administrator."
)


def log_in(http: httpx.Client, hosted: Hosted, username: str, password: str) -> httpx.Response:
    page = http.get(page_url(hosted, "/login"))
    assert page.status_code == 200, page.text[:2000]
    return submit(http, page, "login-form", username=username, password=password, action="password")


def error_of(page: httpx.Response) -> str:
    found = re.search(r'<div id="form-error"[^>]*role="alert">(.*?)</div>', page.text, re.S)
    assert found, page.text[:3000]
    return found.group(1).strip()


def test_a_blocked_range_is_refused_on_the_page(sqlite_server: Server) -> None:
    hosted = hosted_client(
        sqlite_server, pool={"UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"}}
    )
    sqlite_server.admin().set_risk_configuration(
        UserPoolId=hosted.pool_id,
        RiskExceptionConfiguration={"BlockedIPRangeList": ["127.0.0.0/8"]},
    )
    username = make_user(sqlite_server, hosted.pool_id)
    with hosted.http() as http:
        # Before the password, whatever the username: nothing told of the user or password.
        for name, password in (
            (username, PASSWORD),
            (username, "Wr0ng-Password!"),
            ("nobody", PASSWORD),
        ):
            refused = log_in(http, hosted, name, password)
            assert refused.status_code == 400
            assert error_of(refused) == BLOCKED


def test_mfa_if_configured_asks_for_the_code_on_a_new_device(sqlite_server: Server) -> None:
    hosted = hosted_client(
        sqlite_server, pool={"UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"}}
    )
    admin = sqlite_server.admin()
    admin.set_user_pool_mfa_config(
        UserPoolId=hosted.pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    action = {"Notify": False, "EventAction": "MFA_IF_CONFIGURED"}
    admin.set_risk_configuration(
        UserPoolId=hosted.pool_id,
        AccountTakeoverRiskConfiguration={
            "Actions": {"LowAction": action, "MediumAction": action, "HighAction": action}
        },
    )
    username = make_user(sqlite_server, hosted.pool_id)
    # Signed in once through the API (boto3: "Other, Other"), a token registered, not turned on.
    token = sign_in(sqlite_server, hosted.client_id, username)["AccessToken"]
    public = sqlite_server.public()
    totp = Totp(public.associate_software_token(AccessToken=token)["SecretCode"])
    public.verify_software_token(AccessToken=token, UserCode=totp.code())
    with hosted.http(headers={"User-Agent": FIREFOX}) as http:
        page = log_in(http, hosted, username, PASSWORD)  # a new device: Low
        assert page.status_code == 200 and 'id="mfa-form"' in page.text, page.text[:3000]
        done = submit(http, page, "mfa-form", code=totp.code())
        assert done.status_code == 303, done.text[:2000]
    (event, _) = admin.admin_list_user_auth_events(UserPoolId=hosted.pool_id, Username=username)[
        "AuthEvents"
    ]
    assert event["EventRisk"]["RiskLevel"] == "Low"
    assert [c["ChallengeName"] for c in event["ChallengeResponses"]] == ["Password", "Mfa"]
