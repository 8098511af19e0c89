"""The sign-in page in a real browser (Playwright, Debian's Chromium), in English and Japanese:
signing in, a wrong password, an unknown user, the lockout, prompt=none, the session cookie's
single sign-on, prompt=login and /logout (by Host and by path prefix), the error page, a
client's branding. Screenshots with MAMORI_SCREENSHOTS=1 (scripts/hosted-ui-screenshots.sh)."""

from __future__ import annotations

import secrets
import urllib.parse
from typing import Any

import pytest
from playwright.sync_api import Page
from tests.support.browser import fill_sign_in
from tests.support.browser_pages import (
    JAPANESE,
    WRONG,
    authorize_url,
    form_error,
    in_language,
    open_sign_in,
    png,
    shot,
    signed_in,
)
from tests.support.factories import PASSWORD, make_user
from tests.support.hosted import Hosted, make_hosted
from tests.support.live import Server
from tests.support.webapp import WebApp

pytestmark = pytest.mark.browser


def test_sign_in(page: Page, site: Hosted, lang: str) -> None:
    username = make_user(site.server, site.pool_id)
    open_sign_in(page, site, lang)
    shot(page, "login", lang)
    # Keyboard users start in the first field.
    assert page.evaluate("document.activeElement.name") == "username"
    fill_sign_in(page, username, PASSWORD)
    signed_in(page, site)


def test_sign_in_with_the_keyboard_only(page: Page, site: Hosted, lang: str) -> None:
    """Focus order: username, password, the sign-in button, then the links."""
    username = make_user(site.server, site.pool_id)
    open_sign_in(page, site, lang)
    focused = "document.activeElement.id"
    assert page.evaluate(focused) == "username"
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert page.evaluate(focused) == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert page.evaluate(focused) == "sign-in-button"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "A"
    page.keyboard.press("Shift+Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    signed_in(page, site)


def test_prompt_none_without_a_session(page: Page, site: Hosted, lang: str) -> None:
    page.goto(authorize_url(site, lang, prompt="none", state="s-1"))
    page.wait_for_url(f"{site.redirect_uri}?**")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query))
    assert params.get("error") == "login_required" and params.get("state") == "s-1"
    assert "code" not in params


def test_wrong_password_then_right(page: Page, site: Hosted, lang: str) -> None:
    username = make_user(site.server, site.pool_id)
    open_sign_in(page, site, lang)
    fill_sign_in(page, username, WRONG)
    assert page.locator("#form-error").count() == 1
    in_language(page, lang)
    if lang == "en":
        assert "Incorrect username or password" in form_error(page)
    else:
        assert JAPANESE.search(form_error(page))
    # The error is announced and tied to the fields.
    assert page.locator("#form-error").get_attribute("role") == "alert"
    shot(page, "login-error", lang)
    fill_sign_in(page, username, PASSWORD)
    signed_in(page, site)


def test_unknown_user_reads_like_a_wrong_password(page: Page, site: Hosted, lang: str) -> None:
    known = make_user(site.server, site.pool_id)
    open_sign_in(page, site, lang)
    fill_sign_in(page, known, WRONG)
    wrong_password = form_error(page)
    fill_sign_in(page, f"nobody-{secrets.token_hex(4)}", WRONG)
    assert form_error(page) == wrong_password


def test_lockout_after_five_failures(page: Page, site: Hosted, lang: str) -> None:
    username = make_user(site.server, site.pool_id)
    open_sign_in(page, site, lang)
    for _ in range(5):
        fill_sign_in(page, username, WRONG)
    first = form_error(page)
    # Locked: even the right password is not tried (the first lock lasts a second).
    fill_sign_in(page, username, PASSWORD)
    assert form_error(page) != first
    if lang == "en":
        assert "Password attempts exceeded" in form_error(page)
    shot(page, "login-locked", lang)
    assert "/login" in page.url


@pytest.mark.parametrize("by", ["host", "path"])
def test_single_sign_on_prompt_login_and_logout(
    page: Page, site: Hosted, lang: str, by: str
) -> None:
    username = make_user(site.server, site.pool_id)
    page.goto(authorize_url(site, lang, by=by))
    page.wait_for_url("**/login?**")
    fill_sign_in(page, username, PASSWORD)
    signed_in(page, site)

    # A second authorize with the session cookie skips the form.
    page.goto(authorize_url(site, lang, by=by))
    signed_in(page, site)
    cookies = [c for c in page.context.cookies() if c["httpOnly"]]
    assert cookies, page.context.cookies()
    assert all(c["sameSite"] == "Lax" for c in cookies)

    # prompt=login shows the form again, although the session is there.
    page.goto(authorize_url(site, lang, by=by, prompt="login"))
    page.wait_for_url("**/login?**")
    in_language(page, lang)
    fill_sign_in(page, username, PASSWORD)
    signed_in(page, site)

    # /logout ends the session and goes to the app's sign-out URL.
    base = site.by_host if by == "host" else site.by_path
    query = urllib.parse.urlencode({"client_id": site.client_id, "logout_uri": site.logout_uri})
    page.goto(f"{base}/logout?{query}")
    page.wait_for_url(f"{site.logout_uri}**")
    page.goto(authorize_url(site, lang, by=by))
    page.wait_for_url("**/login?**")


def test_single_sign_on_on_a_custom_domain(
    page: Page, sqlite_server: Server, app: WebApp, lang: str
) -> None:
    """A custom domain (browsers resolve *.localhost to loopback) serves the same pages."""
    custom = make_hosted(
        sqlite_server, app.url, custom_domain=f"login-{secrets.token_hex(3)}.shop.localhost"
    )
    username = make_user(custom.server, custom.pool_id)
    open_sign_in(page, custom, lang)
    assert page.url.startswith(f"http://{custom.host}/login?")
    fill_sign_in(page, username, PASSWORD)
    signed_in(page, custom)
    page.goto(authorize_url(custom, lang))
    signed_in(page, custom)


def test_an_unknown_client_gets_the_error_page(page: Page, site: Hosted, lang: str) -> None:
    query: dict[str, Any] = {
        "response_type": "code",
        "client_id": "nobody0000000000000000000",
        "redirect_uri": site.redirect_uri,
    }
    if lang != "en":
        query["lang"] = lang
    response = page.goto(f"{site.by_host}/oauth2/authorize?{urllib.parse.urlencode(query)}")
    assert response is not None and response.status == 400
    assert page.url.startswith(site.by_host)  # never a redirect to an unchecked URL
    shot(page, "error", lang)


def branded_client(site: Hosted, app: WebApp) -> Hosted:
    """Another client of the site's pool, with SetUICustomization's CSS and a 120x40 logo."""
    branded = make_hosted(site.server, app.url, pool_id=site.pool_id)
    site.server.admin().set_ui_customization(
        UserPoolId=site.pool_id,
        ClientId=branded.client_id,
        CSS=".submitButton-customizable { background-color: #d4351c; }",
        ImageFile=png(120, 40),
    )
    return branded


def test_a_clients_logo_in_the_browser(page: Page, site: Hosted, app: WebApp, lang: str) -> None:
    branded = branded_client(site, app)
    username = make_user(site.server, site.pool_id)
    open_sign_in(page, branded, lang)
    assert page.locator("#logo").evaluate("i => i.complete && i.naturalWidth") == 120
    shot(page, "login-branded", lang)
    fill_sign_in(page, username, PASSWORD)
    signed_in(page, branded)


# One rule for each `-customizable` class the sign-in page carries, each setting a property
# mamori.css sets too (`button.primary` and `input[type="text"]` outrank a class by specificity).
EVERY_CLASS_CSS = """
.background-customizable { background-color: #f6f0ff; }
.banner-customizable { background-color: #202020; padding: 4px; }
.logo-customizable { max-height: 30px; }
.label-customizable { font-weight: 300; }
.inputField-customizable { background-color: #fff8e1; color: #3d2b00; height: 50px; }
.submitButton-customizable { background-color: #d4351c; color: #000000; font-weight: 400; }
.errorMessage-customizable { color: #5a0000; background: #ffe0e0; padding: 3px; }
"""


def test_a_clients_css_in_the_browser(page: Page, site: Hosted, app: WebApp, lang: str) -> None:
    """The customizable classes' CSS as Chromium applies it under the pages' CSP: every class
    wins over mamori.css's defaults."""
    branded = make_hosted(site.server, app.url, pool_id=site.pool_id)
    site.server.admin().set_ui_customization(
        UserPoolId=site.pool_id,
        ClientId=branded.client_id,
        CSS=EVERY_CLASS_CSS,
        ImageFile=png(120, 40),
    )
    open_sign_in(page, branded, lang)
    fill_sign_in(page, make_user(site.server, site.pool_id), WRONG)  # for the error message

    def style(selector: str, *names: str) -> list[str]:
        found = page.locator(selector).first
        return [found.evaluate(f"e => getComputedStyle(e).{n}") for n in names]

    assert style("body", "backgroundColor") == ["rgb(246, 240, 255)"]
    assert style(".banner-customizable", "backgroundColor", "paddingTop") == [
        "rgb(32, 32, 32)",
        "4px",
    ]
    assert style("#logo", "maxHeight") == ["30px"]
    assert style("label[for=username]", "fontWeight") == ["300"]
    assert style("#username", "backgroundColor", "color", "height") == [
        "rgb(255, 248, 225)", "rgb(61, 43, 0)", "50px"
    ]  # fmt: skip
    assert style("#sign-in-button", "backgroundColor", "color", "fontWeight") == [
        "rgb(212, 53, 28)", "rgb(0, 0, 0)", "400"
    ]  # fmt: skip
    assert style("#form-error", "color", "backgroundColor", "paddingTop") == [
        "rgb(90, 0, 0)", "rgb(255, 224, 224)", "3px"
    ]  # fmt: skip
