"""A real browser for tests: Playwright for Python driving Debian's Chromium (never a downloaded
browser). A pytest plugin (tests/conftest.py loads it): `chromium` once per test module,
`browser_page` a fresh context and page per test; `screenshot` saves docs/hosted-ui/ images
only when MAMORI_SCREENSHOTS=1, so a test run never rewrites tracked files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-gpu",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "hosted-ui"
# Every wait in a page is for a local server: fail in seconds, not Playwright's 30.
TIMEOUT_MS = 10_000


def browser_missing() -> str | None:
    """Why the browser tests can't run here, or None."""
    if not CHROMIUM.exists():
        return f"needs Debian's chromium at {CHROMIUM} (make browser / scripts/ensure-browser.sh)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs playwright (pip install -e '.[dev]')"
    return None


# Module scope, not session: sync Playwright keeps its event loop marked running in this thread
# while it is started, so asyncio.run() in a later test module would fail.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Browser, **context_options: Any) -> Page:
    """A page in a context of its own (cookies and storage start empty); self-signed test
    certificates are accepted. Close it with `page.context.close()`."""
    options: dict[str, Any] = {"ignore_https_errors": True, "locale": "en-US"}
    options.update(context_options)
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


@pytest.fixture()
def browser_page(chromium: Browser) -> Iterator[Page]:
    page = new_page(chromium)
    try:
        yield page
    finally:
        page.context.close()


def screenshots_wanted() -> bool:
    return os.environ.get("MAMORI_SCREENSHOTS") == "1"


def screenshot(page: Page, name: str) -> None:
    """docs/hosted-ui/<name>.png of the whole page, when MAMORI_SCREENSHOTS=1 (scripts/
    hosted-ui-screenshots.sh); otherwise nothing."""
    if not screenshots_wanted():
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, animations="disabled")


def fill_sign_in(page: Page, username: str, password: str) -> None:
    """Fill the hosted sign-in form (its fields found by autocomplete or type, as a password
    manager finds them), submit it with Enter and wait for the page that answers."""
    form = page.locator("form:has(input[type=password])").first
    form.locator(
        "input[autocomplete~=username], input[name=username], input[type=email]"
    ).first.fill(username)
    password_field = form.locator("input[type=password]").first
    password_field.fill(password)
    with page.expect_navigation():
        password_field.press("Enter")
