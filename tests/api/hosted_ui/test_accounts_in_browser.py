"""The account pages in a real browser, in English and Japanese: new password required (two
different passwords first), sign-up with the emailed confirmation code (a wrong code and a new
code first), forgot and reset password (a refused password first)."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page
from tests.support.browser import fill_sign_in
from tests.support.browser_pages import (
    NEW_PASSWORD,
    in_language,
    new_code,
    open_sign_in,
    outcome_then_sign_in,
    sent,
    shot,
    signed_in,
    submit_form,
)
from tests.support.factories import PASSWORD, make_user
from tests.support.hosted import Hosted

pytestmark = pytest.mark.browser


def test_new_password_required(page: Page, site: Hosted, lang: str) -> None:
    username = f"invited-{secrets.token_hex(4)}"
    site.server.admin().admin_create_user(
        UserPoolId=site.pool_id,
        Username=username,
        TemporaryPassword="Temp-Passw0rd!",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    open_sign_in(page, site, lang)
    fill_sign_in(page, username, "Temp-Passw0rd!")
    form = page.locator("form:has(input[autocomplete=new-password])").first
    form.wait_for()
    in_language(page, lang)
    shot(page, "new-password", lang)
    # Two different passwords: the page says so and keeps the challenge.
    first, second = form.locator("input[type=password]").all()
    first.fill(NEW_PASSWORD)
    second.fill(NEW_PASSWORD + "x")
    with page.expect_navigation():
        form.locator("button[type=submit]").first.click()
    assert page.locator("#form-error, .field-error").count() >= 1
    in_language(page, lang)
    form = page.locator("form:has(input[autocomplete=new-password])").first
    for field in form.locator("input[type=password]").all():
        field.fill(NEW_PASSWORD)
    form.locator("button[type=submit]").first.click()
    signed_in(page, site)
    user = site.server.admin().admin_get_user(UserPoolId=site.pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"


def test_sign_up_with_confirmation(page: Page, site: Hosted, lang: str) -> None:
    username = f"new-{secrets.token_hex(4)}"
    email = f"{username}@example.com"
    open_sign_in(page, site, lang)
    page.locator("a[href*='/signup']").first.click()
    page.wait_for_url("**/signup?**")
    in_language(page, lang)
    shot(page, "signup", lang)
    page.fill("#signup-form input[name=username]", username)
    page.fill("#signup-form input[name=email]", email)
    page.fill("#signup-form input[name=password]", NEW_PASSWORD)
    submit_form(page, "#signup-form")

    page.wait_for_url("**/confirmUser?**")
    in_language(page, lang)
    shot(page, "confirm-signup", lang)
    first = new_code(site.server, site.pool_id, email)
    # A wrong code: said on the page, the account stays unconfirmed.
    page.fill("#confirm-form input[name=code]", f"{(int(first) + 1) % 1_000_000:06d}")
    submit_form(page, "#confirm-form")
    assert page.locator("#form-error, .field-error").count() >= 1
    in_language(page, lang)
    # "Send a new code": the page says so, and the newest code confirms.
    with page.expect_navigation():
        page.locator("#resend-button").click()
    assert page.locator("#form-notice").count() == 1
    code = new_code(site.server, site.pool_id, email, after=1)
    assert sent(site.server, site.pool_id, email) == 2 and code
    page.fill("#confirm-form input[name=code]", code)
    submit_form(page, "#confirm-form")
    # Confirmed: the app's callback (signed in at once) or an outcome page, then sign-in.
    if "/callback?" not in page.url:
        shot(page, "signup-done", lang)
        outcome_then_sign_in(page)
        fill_sign_in(page, username, NEW_PASSWORD)
    signed_in(page, site)
    user = site.server.admin().admin_get_user(UserPoolId=site.pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"


def test_forgot_and_reset_password(page: Page, site: Hosted, lang: str) -> None:
    username = make_user(site.server, site.pool_id)
    email = f"{username}@example.com"
    open_sign_in(page, site, lang)
    page.locator("a[href*='/forgotPassword']").first.click()
    page.wait_for_url("**/forgotPassword?**")
    in_language(page, lang)
    shot(page, "forgot-password", lang)
    page.fill("#forgot-form input[name=username]", username)
    before = sent(site.server, site.pool_id, email)
    submit_form(page, "#forgot-form")

    page.wait_for_url("**/confirmForgotPassword?**")
    in_language(page, lang)
    code = new_code(site.server, site.pool_id, email, after=before)
    # A password the policy refuses first: the page says why, in the visitor's language.
    page.fill("#reset-form input[name=code]", code)
    page.fill("#reset-form input[name=password]", "short")
    page.fill("#reset-form input[name=confirm_password]", "short")
    submit_form(page, "#reset-form")
    assert page.locator("#form-error, .field-error").count() >= 1
    shot(page, "reset-password-error", lang)
    page.fill("#reset-form input[name=code]", code)
    page.fill("#reset-form input[name=password]", NEW_PASSWORD)
    page.fill("#reset-form input[name=confirm_password]", NEW_PASSWORD)
    shot(page, "reset-password", lang)
    submit_form(page, "#reset-form")

    if "/callback?" not in page.url:
        shot(page, "reset-password-done", lang)
        outcome_then_sign_in(page)
        fill_sign_in(page, username, PASSWORD)
        assert page.locator("#form-error").count() == 1
        fill_sign_in(page, username, NEW_PASSWORD)
    signed_in(page, site)
