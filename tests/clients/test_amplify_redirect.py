"""Amplify v6's hosted-UI sign-in in a real browser: `signInWithRedirect` and `signOut` from a
web app (bundled with esbuild) in Chromium against mamori serving TLS, since Amplify hard-codes
https:// for the OAuth domain. Playwright fills the hosted sign-in form."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from tests.support.browser import fill_sign_in, new_page
from tests.support.factories import PASSWORD, make_user
from tests.support.hosted import OAUTH_SCOPES, Hosted, make_hosted, tls_server
from tests.support.live import Server
from tests.support.tokens import unverified
from tests.support.webapp import WebApp, bundle, serve_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.node,
    pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (esbuild)"),
]


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    with tls_server(tmp_path_factory.mktemp("tls")) as served:
        yield served


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    script = bundle("amplify_redirect_page.mjs", tmp_path_factory.mktemp("app") / "app.js")
    with serve_app(script) as served:
        yield served


@pytest.fixture(scope="module")
def hosted(tls: tuple[Server, Path], app: WebApp) -> Hosted:
    server, ca = tls
    return make_hosted(server, app.url, ca=ca)


def configure(app: WebApp, hosted: Hosted, response_type: str = "code") -> None:
    """What the page's Amplify.configure gets (read at each page load)."""
    app.config.clear()
    app.config.update(
        userPoolId=hosted.pool_id,
        userPoolClientId=hosted.client_id,
        userPoolEndpoint=hosted.server.url,
        domain=hosted.host,  # Amplify prepends https://
        scopes=OAUTH_SCOPES,
        redirectSignIn=[hosted.redirect_uri],
        redirectSignOut=[hosted.logout_uri],
        responseType=response_type,
    )


@pytest.fixture()
def page(chromium: Browser) -> Iterator[Page]:
    page = new_page(chromium)
    try:
        yield page
    finally:
        page.context.close()


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.ready === true")


def auth_events(page: Page) -> list[dict[str, Any]]:
    return list(page.evaluate("window.authEvents"))


def test_sign_in_with_redirect_then_sign_out(page: Page, hosted: Hosted, app: WebApp) -> None:
    username = make_user(hosted.server, hosted.pool_id)
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))

    configure(app, hosted)
    open_app(page, app.url + "/")
    page.evaluate("() => { app.signIn(); }")
    page.wait_for_url(f"{hosted.by_host}/login?**")
    assert any(u.startswith(f"{hosted.by_host}/oauth2/authorize?") for u in seen), seen
    fill_sign_in(page, username, PASSWORD)

    page.wait_for_url(f"{hosted.redirect_uri}?**")
    page.wait_for_function("window.authEvents.some(e => e.event.startsWith('signInWithRedirect'))")
    assert "signInWithRedirect" in [e["event"] for e in auth_events(page)], auth_events(page)
    assert f"{hosted.by_host}/oauth2/token" in seen

    session = page.evaluate("app.session()")
    assert session["idToken"] and session["accessToken"], session
    claims = unverified(session["idToken"])
    assert claims["iss"] == hosted.issuer and claims["aud"] == hosted.client_id
    assert claims["cognito:username"] == username
    assert session["userSub"] == claims["sub"]
    user = page.evaluate("app.user()")
    assert user.get("username") == username, user
    # Over https the domain's cookies (the login session's among them) are Secure and HttpOnly.
    cookies = page.context.cookies(hosted.by_host)
    assert cookies and all(c["secure"] and c["httpOnly"] for c in cookies), cookies

    page.evaluate("() => { app.signOut(); }")
    page.wait_for_url(f"{hosted.logout_uri}**")
    assert any(
        u.startswith(f"{hosted.by_host}/logout?client_id={hosted.client_id}") for u in seen
    ), seen
    page.wait_for_function("window.ready === true")
    assert page.evaluate("app.session()")["idToken"] is None

    # /logout ended the hosted session too: signing in again shows the form.
    page.evaluate("() => { app.signIn(); }")
    page.wait_for_url(f"{hosted.by_host}/login?**")


def test_implicit_sign_in_with_redirect(page: Page, hosted: Hosted, app: WebApp) -> None:
    """responseType 'token': the tokens come back in the callback's fragment, no token call."""
    implicit = make_hosted(
        hosted.server, app.url, pool_id=hosted.pool_id, flows=("implicit",), ca=hosted.ca
    )
    assert implicit.prefix == hosted.prefix and implicit.client_id != hosted.client_id
    username = make_user(hosted.server, hosted.pool_id)
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))

    configure(app, implicit, "token")
    open_app(page, app.url + "/")
    page.evaluate("() => { app.signIn(); }")
    page.wait_for_url(f"{implicit.by_host}/login?**")
    fill_sign_in(page, username, PASSWORD)
    page.wait_for_function("window.authEvents.some(e => e.event.startsWith('signInWithRedirect'))")
    assert "signInWithRedirect" in [e["event"] for e in auth_events(page)], auth_events(page)
    assert not any("/oauth2/token" in u for u in seen), seen

    session = page.evaluate("app.session()")
    claims = unverified(session["accessToken"])
    assert claims["client_id"] == implicit.client_id and claims["username"] == username
    assert unverified(session["idToken"])["aud"] == implicit.client_id
