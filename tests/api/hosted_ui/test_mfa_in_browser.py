"""The MFA and passwordless pages in a real browser, in English and Japanese: codes by TOTP
(a wrong one first), SMS and email (from /admin/outbox), the choice among factors, TOTP set-up
from the QR page's key, and a USER_AUTH sign-in with an emailed code."""

from __future__ import annotations

import re
import secrets

import pyotp
import pytest
from playwright.sync_api import Page
from tests.support.browser import fill_sign_in
from tests.support.browser_pages import (
    fill_code,
    in_language,
    new_code,
    open_sign_in,
    shot,
    signed_in,
)
from tests.support.factories import PASSWORD, make_user
from tests.support.hosted import Hosted, make_hosted
from tests.support.live import Server
from tests.support.mfa import Totp, enroll_totp
from tests.support.webapp import WebApp

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def mfa_required(sqlite_server: Server, app: WebApp) -> Hosted:
    """A pool where MFA is ON with TOTP only: a user without a factor must set one up."""
    hosted = make_hosted(sqlite_server, app.url)
    sqlite_server.admin().set_user_pool_mfa_config(
        UserPoolId=hosted.pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    return hosted


@pytest.fixture(scope="module")
def passwordless(sqlite_server: Server, app: WebApp) -> Hosted:
    """A USER_AUTH pool: a password or a code by email as the first factor."""
    policy = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}
    return make_hosted(sqlite_server, app.url, pool={"Policies": policy})


def test_mfa_totp(page: Page, site: Hosted, lang: str) -> None:
    username = make_user(site.server, site.pool_id)
    totp = enroll_totp(site.server, site.pool_id, site.client_id, username)
    open_sign_in(page, site, lang)
    fill_sign_in(page, username, PASSWORD)
    page.wait_for_selector("input[autocomplete=one-time-code], input[name=code]")
    in_language(page, lang)
    shot(page, "mfa-totp", lang)
    valid = pyotp.TOTP(totp.secret).now()
    fill_code(page, f"{(int(valid) + 500_000) % 1_000_000:06d}")
    assert page.locator("#form-error").count() == 1
    shot(page, "mfa-totp-error", lang)
    fill_code(page, totp.code())
    signed_in(page, site)


def test_mfa_sms(page: Page, site: Hosted, lang: str) -> None:
    phone = f"+1555{secrets.randbelow(10**7):07d}"
    username = make_user(
        site.server,
        site.pool_id,
        attributes={"phone_number": phone, "phone_number_verified": "true"},
    )
    site.server.admin().admin_set_user_mfa_preference(
        UserPoolId=site.pool_id,
        Username=username,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    open_sign_in(page, site, lang)
    fill_sign_in(page, username, PASSWORD)
    page.wait_for_selector("input[autocomplete=one-time-code], input[name=code]")
    in_language(page, lang)
    shot(page, "mfa-sms", lang)
    fill_code(page, new_code(site.server, site.pool_id, phone))
    signed_in(page, site)


def test_mfa_email(page: Page, site: Hosted, lang: str) -> None:
    username = make_user(site.server, site.pool_id)
    site.server.admin().admin_set_user_mfa_preference(
        UserPoolId=site.pool_id,
        Username=username,
        EmailMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    open_sign_in(page, site, lang)
    fill_sign_in(page, username, PASSWORD)
    page.wait_for_selector("input[autocomplete=one-time-code], input[name=code]")
    in_language(page, lang)
    shot(page, "mfa-email", lang)
    fill_code(page, new_code(site.server, site.pool_id, f"{username}@example.com"))
    signed_in(page, site)


def test_choosing_among_mfa_factors(page: Page, site: Hosted, lang: str) -> None:
    phone = f"+1555{secrets.randbelow(10**7):07d}"
    username = make_user(
        site.server,
        site.pool_id,
        attributes={"phone_number": phone, "phone_number_verified": "true"},
    )
    totp = enroll_totp(site.server, site.pool_id, site.client_id, username, preferred=False)
    site.server.admin().admin_set_user_mfa_preference(
        UserPoolId=site.pool_id,
        Username=username,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    open_sign_in(page, site, lang)
    fill_sign_in(page, username, PASSWORD)
    page.locator("#mfa-select-form").wait_for()
    in_language(page, lang)
    shot(page, "mfa-select", lang)
    choices = page.locator("#mfa-select-form button[name=factor]")
    assert sorted(choices.evaluate_all("bs => bs.map(b => b.value)")) == [
        "SMS_MFA",
        "SOFTWARE_TOKEN_MFA",
    ]
    with page.expect_navigation():
        page.locator("#mfa-select-form button[value=SOFTWARE_TOKEN_MFA]").click()
    fill_code(page, totp.code())
    signed_in(page, site)


def test_sign_in_with_an_emailed_code(page: Page, passwordless: Hosted, lang: str) -> None:
    username = make_user(passwordless.server, passwordless.pool_id)
    open_sign_in(page, passwordless, lang)
    page.fill("#login-form input[name=username]", username)
    with page.expect_navigation():
        page.locator("#other-options-button").click()
    page.locator("#choose-form").wait_for()
    in_language(page, lang)
    shot(page, "login-choose", lang)
    with page.expect_navigation():
        page.locator("#factor-email-otp").click()
    page.locator("#mfa-form").wait_for()
    in_language(page, lang)
    shot(page, "sign-in-code", lang)
    fill_code(page, new_code(passwordless.server, passwordless.pool_id, f"{username}@example.com"))
    signed_in(page, passwordless)


def test_totp_set_up_with_a_qr_code(page: Page, mfa_required: Hosted, lang: str) -> None:
    username = make_user(mfa_required.server, mfa_required.pool_id)
    open_sign_in(page, mfa_required, lang)
    fill_sign_in(page, username, PASSWORD)
    qr = page.locator("img[src^='data:image'], svg").first
    qr.wait_for()
    in_language(page, lang)
    shot(page, "mfa-setup", lang)
    text = page.locator("main").inner_text()
    secret = max(re.findall(r"\b[A-Z2-7]{16,}\b", text.replace(" ", "")), key=len)
    fill_code(page, Totp(secret).code())
    signed_in(page, mfa_required)
    # The factor is the user's now: the next sign-in asks for a code.
    settings = mfa_required.server.admin().admin_get_user(
        UserPoolId=mfa_required.pool_id, Username=username
    )
    assert "SOFTWARE_TOKEN_MFA" in settings.get("UserMFASettingList", [])
    assert pyotp.TOTP(secret).now()
