"""The hosted pages in a browser: helpers shared by tests/api/hosted_ui/test_*_in_browser.py
(a watched page per language, the relying party's pages, the pools, the steps a person takes
and the screenshots they leave with MAMORI_SCREENSHOTS=1)."""

from __future__ import annotations

import re
import secrets
import struct
import time
import urllib.parse
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from tests.support.browser import new_page, screenshot
from tests.support.hosted import Hosted, make_hosted
from tests.support.live import Server
from tests.support.webapp import WebApp, serve_app

LANGUAGES = ["en", "ja"]
NEW_PASSWORD = "N3w-Passw0rd!x"
WRONG = "Wr0ng-Password!"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@contextmanager
def watched_page(browser: Browser, lang: str) -> Iterator[Page]:
    """A page in `lang` (its browser's language too) whose problems fail the test: anything the
    browser refuses (a CSP violation, a script error) or a part of a page that fails to load (a
    stylesheet, an image). Pages answer errors with 4xx by design, and browsers ask every site
    for a favicon."""
    locale = "ja-JP" if lang == "ja" else "en-US"
    page = new_page(browser, locale=locale, viewport={"width": 480, "height": 720})
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def loaded(response: Response) -> None:
        kind, path = response.request.resource_type, urllib.parse.urlsplit(response.url).path
        if response.status >= 400 and kind != "document" and path != "/favicon.ico":
            problems.append(f"{response.status} {kind} {response.url}")

    page.on("console", console)
    page.on("response", loaded)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        yield page
    finally:
        page.context.close()
    assert not problems, problems


@contextmanager
def relying_party(directory: Path) -> Iterator[WebApp]:
    """The app's own pages (its callback and sign-out URLs)."""
    script = directory / "app.js"
    script.write_text("window.ready = true;\n")
    with serve_app(script) as served:
        yield served


def mfa_site(server: Server, app_url: str) -> Hosted:
    """A pool with MFA optional (TOTP, SMS, email), email required at sign-up, a public app
    client with the code flow, and a domain."""
    hosted = make_hosted(
        server,
        app_url,
        pool={
            "Schema": [
                {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}
            ],
        },
    )
    server.admin().set_user_pool_mfa_config(
        UserPoolId=hosted.pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        SmsMfaConfiguration={"SmsAuthenticationMessage": "Your code is {####}"},
        EmailMfaConfiguration={"Message": "Your code is {####}", "Subject": "Sign-in code"},
    )
    return hosted


def authorize_url(hosted: Hosted, lang: str, *, by: str = "host", **extra: str) -> str:
    base = hosted.by_host if by == "host" else hosted.by_path
    query = {
        "response_type": "code",
        "client_id": hosted.client_id,
        "redirect_uri": hosted.redirect_uri,
        "scope": "openid email profile",
        "state": secrets.token_urlsafe(8),
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        **extra,
    }
    if lang != "en":
        query["lang"] = lang
    return f"{base}/oauth2/authorize?{urllib.parse.urlencode(query)}"


def code_flow_query(client_id: str, callback: str) -> dict[str, str]:
    """/oauth2/authorize's query for an app's in-browser sign-in: the code flow, the standard
    scopes, the state "browser-state" and RFC 7636's example S256 challenge."""
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": callback,
        "scope": "openid email profile",
        "state": "browser-state",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }


def back_at(page: Page, callback: str) -> dict[str, str]:
    """Wait for the app's `callback` (failing with the page's text when it never comes); its
    query parameters."""
    try:
        page.wait_for_url(f"{callback}?**")
    except PlaywrightTimeout:
        pytest.fail(f"not back at the app: {page.url}\n{page.locator('body').inner_text()}")
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query))


def shot(page: Page, name: str, lang: str) -> None:
    screenshot(page, f"{name}.{lang}")


def in_language(page: Page, lang: str) -> None:
    """The page is in `lang` (<html lang> and, for Japanese, its heading), and as a screen
    reader meets it: one main landmark, one h1, a label for every field a person fills."""
    assert page.locator("html").get_attribute("lang") == lang
    heading = page.locator("#page-title").inner_text()
    assert bool(JAPANESE.search(heading)) == (lang == "ja"), heading
    assert page.locator("main").count() == 1 and page.locator("h1").count() == 1
    unlabelled = page.locator("input:not([type=hidden]), select, textarea").evaluate_all(
        "fields => fields.filter(f => !f.labels || f.labels.length === 0).map(f => f.name)"
    )
    assert not unlabelled, f"fields without a label: {unlabelled}"


def open_sign_in(page: Page, hosted: Hosted, lang: str, **extra: str) -> None:
    page.goto(authorize_url(hosted, lang, **extra))
    page.wait_for_url("**/login?**")
    in_language(page, lang)


def signed_in(page: Page, hosted: Hosted) -> dict[str, str]:
    """Wait for the app's callback; its query parameters (a code, the state)."""
    page.wait_for_url(f"{hosted.redirect_uri}?**")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query))
    assert params.get("code") and params.get("state"), page.url
    return params


def form_error(page: Page) -> str:
    return page.locator("#form-error").inner_text()


def submit_form(page: Page, form: str) -> None:
    """Submit `form` (a selector) with its primary button, as a person would; wait for the
    page that answers."""
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").first.click()


def fill_code(page: Page, code: str) -> None:
    field = page.locator("input[autocomplete=one-time-code], input[name=code]").first
    field.fill(code)
    with page.expect_navigation():
        field.press("Enter")


def outcome_then_sign_in(page: Page) -> None:
    """From a step's outcome page (#outcome) or the sign-in page, on to the sign-in page."""
    if "/login?" not in page.url:
        assert page.locator("#outcome").count() == 1, page.content()[:2000]
        with page.expect_navigation():
            page.locator("#sign-in-link").click()
    page.wait_for_url("**/login?**")


def new_code(server: Server, pool_id: str, to: str, after: int = 0) -> str:
    """The code of the first message to `to` past the `after` first ones (waits for it)."""
    deadline = time.monotonic() + 10
    while True:
        messages = [m for m in server.outbox(pool_id, to) if m["code"]]
        if len(messages) > after:
            return str(messages[-1]["code"])
        assert time.monotonic() < deadline, f"no code sent to {to}"
        time.sleep(0.1)


def sent(server: Server, pool_id: str, to: str) -> int:
    return len([m for m in server.outbox(pool_id, to) if m["code"]])


def png(width: int, height: int) -> bytes:
    """A PNG logo: a band from teal to blue."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"".join(bytes((0, 128 - 96 * x // width, 128 + 96 * x // width)) for x in range(width))
    rows = b"".join(b"\x00" + row for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
