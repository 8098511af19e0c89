"""Threat protection on the hosted pages in a real browser (Chromium): what a person sees when
a sign-in is escalated, challenged or refused, each checked against AdminListUserAuthEvents.
The server has a GeoIP database (tests/support/geoip.py: 192.0.2.0/24 London, 198.51.100.0/24
Tokyo) and trusts 127.0.0.1 as a proxy, so each browser context's X-Forwarded-For is the
address a sign-in comes from, and its User-Agent the device."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from tests.support.browser import fill_sign_in, new_page
from tests.support.browser_pages import fill_code, form_error, open_sign_in, signed_in, submit_form
from tests.support.factories import PASSWORD, make_user
from tests.support.geoip import write_city_database
from tests.support.hosted import Hosted, make_hosted
from tests.support.live import Server, run_server
from tests.support.mfa import Totp
from tests.support.webapp import WebApp

pytestmark = pytest.mark.browser

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
HOME = "192.0.2.10"  # London
ABROAD = "198.51.100.7"  # Tokyo, minutes after London: impossible travel
ATTACKER = "203.0.113.66"  # no place in the database
# The pages' words (api/hosted_ui/sign_in_messages.py): a risk refusal advises no reset.
RISK_BLOCKED = (
    "This sign-in was blocked because it looked unusual. Please try again from a device and "
    "network you usually use, or contact your administrator."
)
RISK_BLOCKED_JA = (
    "このサインインはいつもと異なるため、ブロックされました。"
    "普段お使いのデバイスとネットワークからもう一度お試しいただくか、管理者にお問い合わせください。"
)
COMPROMISED_BLOCKED = "This sign-in was blocked for security reasons. Please reset your password."
COMPROMISED_PASSWORD = "Provided password cannot be used for security reasons."
BREACHED = "password1"  # on the breached-password list mamori ships
LAX = {
    "MinimumLength": 6,
    "RequireUppercase": False,
    "RequireLowercase": False,
    "RequireNumbers": False,
    "RequireSymbols": False,
}


@pytest.fixture(scope="module")
def geo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("risk-browser")
    database = write_city_database(tmp / "city.mmdb")
    with run_server(
        tmp,
        "sqlite",
        extra_env={"MAMORI_GEOIP_DATABASE": str(database)},
        args=("--trusted-proxies", "127.0.0.1,::1"),
    ) as live:
        yield live


@contextmanager
def browser_at(chromium: Browser, ip: str, user_agent: str) -> Iterator[Page]:
    """A fresh browser (no cookies: no earlier sign-in carries over) on `ip`, as `user_agent`."""
    page = new_page(chromium, user_agent=user_agent, extra_http_headers={"X-Forwarded-For": ip})
    try:
        yield page
    finally:
        page.context.close()


def protected_site(server: Server, app: WebApp, mode: str, **pool: Any) -> Hosted:
    return make_hosted(
        server, app.url, pool={"UserPoolAddOns": {"AdvancedSecurityMode": mode}, **pool}
    )


def takeover(low: str, medium: str, high: str) -> dict[str, Any]:
    return {
        "Actions": {
            "LowAction": {"Notify": False, "EventAction": low},
            "MediumAction": {"Notify": False, "EventAction": medium},
            "HighAction": {"Notify": False, "EventAction": high},
        }
    }


def api_sign_in(site: Hosted, username: str, ip: str) -> dict[str, Any]:
    """The user's own sign-in through the app's backend (AdminInitiateAuth with ContextData),
    from `ip` in Chrome on Windows: the history the browser's sign-ins are compared with."""
    return dict(
        site.server.admin().admin_initiate_auth(
            UserPoolId=site.pool_id,
            ClientId=site.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
            ContextData={
                "IpAddress": ip,
                "ServerName": "app.example.com",
                "ServerPath": "/login",
                "HttpHeaders": [{"headerName": "User-Agent", "headerValue": CHROME}],
            },
        )
    )


def events(site: Hosted, username: str) -> list[dict[str, Any]]:
    """The user's auth events, newest first."""
    out = site.server.admin().admin_list_user_auth_events(
        UserPoolId=site.pool_id, Username=username
    )
    return list(out["AuthEvents"])


def risk_of(event: dict[str, Any]) -> tuple[str, str, str | None]:
    risk = event["EventRisk"]
    return event["EventResponse"], risk["RiskDecision"], risk.get("RiskLevel")


def steps(event: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["ChallengeName"], c["ChallengeResponse"]) for c in event["ChallengeResponses"]]


def refused(page: Page) -> str:
    """The sign-in page again, with its error."""
    assert "/login" in page.url and page.locator("#login-form").count() == 1, page.url
    return form_error(page).strip()


def test_a_credential_stuffing_run_is_escalated_then_blocked(
    chromium: Browser, geo_server: Server, app: WebApp
) -> None:
    site = protected_site(geo_server, app, "ENFORCED")
    geo_server.admin().set_risk_configuration(
        UserPoolId=site.pool_id,
        AccountTakeoverRiskConfiguration=takeover("NO_ACTION", "NO_ACTION", "BLOCK"),
    )
    victims = [make_user(geo_server, site.pool_id) for _ in range(10)]
    for n, username in enumerate(victims):
        api_sign_in(site, username, f"192.0.2.{20 + n}")
    # One address tries every victim's leaked password in Firefox: each a new device and
    # network for its victim (Low), Medium from the 4th username tried there, High from the
    # 10th: refused on the page.
    for username in victims[:9]:
        with browser_at(chromium, ATTACKER, FIREFOX) as page:
            open_sign_in(page, site, "en")
            fill_sign_in(page, username, PASSWORD)
            signed_in(page, site)
    with browser_at(chromium, ATTACKER, FIREFOX) as page:
        open_sign_in(page, site, "en")
        fill_sign_in(page, victims[9], PASSWORD)
        assert refused(page) == RISK_BLOCKED
    latest = [events(site, username)[0] for username in victims]
    assert [risk_of(e) for e in latest] == [("Pass", "AccountTakeover", "Low")] * 3 + [
        ("Pass", "AccountTakeover", "Medium")
    ] * 6 + [("Fail", "Block", "High")]
    for event in latest:
        assert event["EventContextData"]["IpAddress"] == ATTACKER
        assert event["EventContextData"]["DeviceName"].startswith("Firefox")
    assert steps(latest[-1]) == [("Password", "Success")]


def test_a_new_device_in_a_new_country_is_asked_for_mfa(
    chromium: Browser, geo_server: Server, app: WebApp
) -> None:
    """MFA_IF_CONFIGURED: a user with an authenticator app registered (not turned on) signs in
    at home without a code, and from Tokyo in another browser minutes later with one."""
    site = protected_site(geo_server, app, "ENFORCED")
    admin = geo_server.admin()
    admin.set_user_pool_mfa_config(
        UserPoolId=site.pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    action = "MFA_IF_CONFIGURED"
    admin.set_risk_configuration(
        UserPoolId=site.pool_id, AccountTakeoverRiskConfiguration=takeover(action, action, action)
    )
    username = make_user(geo_server, site.pool_id)
    token = api_sign_in(site, username, HOME)["AuthenticationResult"]["AccessToken"]
    public = geo_server.public()
    totp = Totp(public.associate_software_token(AccessToken=token)["SecretCode"])
    public.verify_software_token(AccessToken=token, UserCode=totp.code())
    with browser_at(chromium, HOME, CHROME) as page:  # a known device at home: no code asked
        open_sign_in(page, site, "en")
        fill_sign_in(page, username, PASSWORD)
        signed_in(page, site)
    with browser_at(chromium, ABROAD, FIREFOX) as page:
        open_sign_in(page, site, "en")
        fill_sign_in(page, username, PASSWORD)
        page.locator("#mfa-form").wait_for()
        fill_code(page, totp.code())
        signed_in(page, site)
    abroad, home, _ = events(site, username)
    assert risk_of(home) == ("Pass", "NoRisk", None)
    assert steps(home) == [("Password", "Success")]
    assert risk_of(abroad) == ("Pass", "AccountTakeover", "High")
    assert steps(abroad) == [("Password", "Success"), ("Mfa", "Success")]
    context = abroad["EventContextData"]
    assert (context["IpAddress"], context["City"], context["Country"]) == (ABROAD, "Tokyo", "JP")


def test_mfa_required_without_mfa_is_refused(
    chromium: Browser, geo_server: Server, app: WebApp
) -> None:
    site = protected_site(geo_server, app, "ENFORCED")
    admin = geo_server.admin()
    admin.set_user_pool_mfa_config(
        UserPoolId=site.pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    action = "MFA_REQUIRED"
    admin.set_risk_configuration(
        UserPoolId=site.pool_id, AccountTakeoverRiskConfiguration=takeover(action, action, action)
    )
    username = make_user(geo_server, site.pool_id)  # no authenticator app: no MFA to ask
    api_sign_in(site, username, HOME)
    with browser_at(chromium, ABROAD, FIREFOX) as page:
        open_sign_in(page, site, "en")
        fill_sign_in(page, username, PASSWORD)
        assert refused(page) == RISK_BLOCKED
        open_sign_in(page, site, "ja")  # and in the page's language
        fill_sign_in(page, username, PASSWORD)
        assert refused(page) == RISK_BLOCKED_JA
    *refusals, home = events(site, username)
    assert risk_of(home) == ("Pass", "NoRisk", None)
    assert len(refusals) == 2
    for refusal in refusals:
        assert risk_of(refusal) == ("Fail", "Block", "High")
        assert steps(refusal) == [("Password", "Success")]
    # The user is not sent to reset a password that is not the problem.
    user = admin.admin_get_user(UserPoolId=site.pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"


def test_a_breached_password_is_refused_at_sign_up_and_sign_in(
    chromium: Browser, geo_server: Server, app: WebApp
) -> None:
    site = protected_site(geo_server, app, "ENFORCED", Policies={"PasswordPolicy": LAX})
    geo_server.admin().set_risk_configuration(
        UserPoolId=site.pool_id,
        CompromisedCredentialsRiskConfiguration={
            # Not PASSWORD_CHANGE, so that the administrator can give a user the breached one.
            "EventFilter": ["SIGN_UP", "SIGN_IN"],
            "Actions": {"EventAction": "BLOCK"},
        },
    )
    newcomer = f"new-{secrets.token_hex(4)}"
    with browser_at(chromium, HOME, CHROME) as page:
        open_sign_in(page, site, "en")
        page.locator("a[href*='/signup']").first.click()
        page.wait_for_url("**/signup?**")
        page.fill("#signup-form input[name=username]", newcomer)
        email = page.locator("#signup-form input[name=email]")
        if email.count():
            email.fill(f"{newcomer}@example.com")
        page.fill("#signup-form input[name=password]", BREACHED)
        submit_form(page, "#signup-form")
        assert "/signup" in page.url
        assert COMPROMISED_PASSWORD in page.locator("#signup-form").inner_text()
        # Another password: signed up (the confirmation page), the event not flagged.
        page.fill("#signup-form input[name=password]", "Unlisted-Horse-Battery-9")
        if email.count():
            email.fill(f"{newcomer}@example.com")
        submit_form(page, "#signup-form")
        page.wait_for_url("**/confirmUser?**")
    (signed_up,) = events(site, newcomer)  # the refused sign-up made no user, so no event
    assert signed_up["EventType"] == "SignUp"
    assert signed_up["EventRisk"].get("CompromisedCredentialsDetected") is False

    username = make_user(geo_server, site.pool_id, password=BREACHED)
    with browser_at(chromium, HOME, CHROME) as page:
        open_sign_in(page, site, "en")
        fill_sign_in(page, username, "not-the-password")
        assert refused(page) == "Incorrect username or password."  # never told it is listed
        fill_sign_in(page, username, BREACHED)
        assert refused(page) == COMPROMISED_BLOCKED
    blocked, wrong = events(site, username)
    assert steps(wrong) == [("Password", "Failure")]
    assert risk_of(blocked)[:2] == ("Fail", "Block")
    assert blocked["EventRisk"]["CompromisedCredentialsDetected"] is True
    user = geo_server.admin().admin_get_user(UserPoolId=site.pool_id, Username=username)
    assert user["UserStatus"] == "RESET_REQUIRED"


def test_audit_only_records(chromium: Browser, geo_server: Server, app: WebApp) -> None:
    site = protected_site(geo_server, app, "AUDIT")
    geo_server.admin().set_risk_configuration(
        UserPoolId=site.pool_id,
        AccountTakeoverRiskConfiguration=takeover("BLOCK", "BLOCK", "BLOCK"),
    )
    username = make_user(geo_server, site.pool_id)
    api_sign_in(site, username, HOME)
    with browser_at(chromium, ABROAD, FIREFOX) as page:  # High, and BLOCK configured for it
        open_sign_in(page, site, "en")
        fill_sign_in(page, username, PASSWORD)
        signed_in(page, site)
    abroad, home = events(site, username)
    assert risk_of(home) == ("Pass", "NoRisk", None)
    assert risk_of(abroad) == ("Pass", "AccountTakeover", "High")
    assert steps(abroad) == [("Password", "Success")]
    assert abroad["EventContextData"]["City"] == "Tokyo"
