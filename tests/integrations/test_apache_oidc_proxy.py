"""Load-balancer authentication as the ALB's `authenticate-oidc` action does it, played by
Apache httpd with mod_auth_openidc (AuthType openid-connect) in front of an app that echoes
the headers it gets, with mamori as the OpenID provider: in Chromium, an anonymous browser is
sent through mamori's hosted login, comes back signed in, and the app receives the user's
claims in headers; logout through mod_auth_openidc ends its session and mamori's."""

from __future__ import annotations

import json
import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from tests.support.apache import Apache, apache_missing, apache_root, head, readable, run_apache
from tests.support.browser import fill_sign_in, new_page
from tests.support.echo_app import EchoApp, serve_echo
from tests.support.factories import PASSWORD, make_user
from tests.support.hosted import Hosted, make_hosted, tls_server
from tests.support.live import free_port
from tests.support.tokens import unverified

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(apache_missing() is not None, reason=apache_missing() or ""),
]

SESSION_COOKIE = "mod_auth_openidc_session"
MAMORI_COOKIE = "mamori_session"


def proxy_config(
    issuer: str,
    domain: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    logout_uri: str,
    backend: str,
    passphrase: str,
) -> str:
    """The config docs/integrations.md shows, as it is tested: `issuer`, the pool's issuer;
    `domain`, the pool's domain (any form); a confidential code client whose callback is
    `redirect_uri` and sign-out URL `logout_uri`; `backend`, the app."""
    logout = urllib.parse.urlencode({"client_id": client_id, "logout_uri": logout_uri})
    return f"""
OIDCProviderMetadataURL {issuer}/.well-known/openid-configuration
# Cognito's /logout takes client_id and logout_uri (one of the client's sign-out URLs);
# mod_auth_openidc adds id_token_hint and post_logout_redirect_uri, which mamori ignores.
OIDCProviderEndSessionEndpoint {domain}/logout?{logout}
OIDCClientID {client_id}
OIDCClientSecret {client_secret}
OIDCProviderTokenEndpointAuth client_secret_basic
OIDCScope "openid email profile"
OIDCPKCEMethod S256
OIDCRedirectURI {redirect_uri}
OIDCCryptoPassphrase {passphrase}
OIDCCookieSameSite On
OIDCSessionInactivityTimeout 3600
OIDCPassClaimsAs both
OIDCPassIDTokenAs claims
OIDCRemoteUserClaim sub

<Location "/app/">
    AuthType openid-connect
    Require valid-user
    # What an ALB sends (x-amzn-oidc-data, ALB's own signed JWT, has no equivalent here);
    # `set` replaces whatever the browser sent under these names.
    RequestHeader set X-Amzn-Oidc-Identity "%{{OIDC_CLAIM_sub}}e"
    RequestHeader set X-Amzn-Oidc-Accesstoken "%{{OIDC_access_token}}e"
    ProxyPass "{backend}/app/"
</Location>

# Only members of the pool's admins group (the ID token's cognito:groups).
<Location "/app/admin/">
    AuthType openid-connect
    AuthzSendForbiddenOnFailure On
    Require claim cognito:groups:admins
    ProxyPass "{backend}/app/admin/"
</Location>

# The redirect URI is mod_auth_openidc's own: the callback, and logout at ?logout=<url>.
<Location "/callback">
    AuthType openid-connect
    Require valid-user
</Location>

<Location "/signed-out">
    ProxyPass "{backend}/signed-out"
</Location>
"""


@dataclass
class Site:
    hosted: Hosted
    apache: Apache
    echo: EchoApp
    app: str  # http://localhost:<apache port>

    def seen(self, page: Page) -> dict[str, Any]:
        """What the app echoed on the page shown (Chromium shows the JSON as text)."""
        text = page.locator("body").inner_text()
        try:
            return dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise AssertionError(
                f"not the app: {page.url}\n{text[:2000]}\n{self.apache.log()}"
            ) from exc


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("apache-oidc")
    with tls_server(tmp) as (server, ca), serve_echo() as echo, apache_root() as root:
        port = free_port()
        app = f"http://localhost:{port}"
        # Its callback: <app>/callback (OIDCRedirectURI); its sign-out URL: <app>/signed-out.
        hosted = make_hosted(server, app, secret=True, scopes=["openid", "email", "profile"], ca=ca)
        server.admin().create_group(UserPoolId=hosted.pool_id, GroupName="admins")
        assert hosted.client_secret is not None
        # mod_auth_openidc takes only https URLs: mamori serves TLS from a test CA.
        trust = f"OIDCCABundlePath {readable(root, ca)}\n"
        config = (
            head(root, (port,))
            + trust
            + proxy_config(
                issuer=hosted.issuer,
                domain=hosted.by_path,
                client_id=hosted.client_id,
                client_secret=hosted.client_secret,
                redirect_uri=hosted.redirect_uri,
                logout_uri=hosted.logout_uri,
                backend=echo.url,
                passphrase=secrets.token_urlsafe(32),
            )
        )
        with run_apache(root, (port,), config) as apache:
            yield Site(hosted, apache, echo, app)


def test_sign_in_claims_and_logout_of_both(chromium: Browser, site: Site) -> None:
    hosted = site.hosted
    username = make_user(hosted.server, hosted.pool_id, attributes={"name": "Ada Admin"})
    admin = hosted.server.admin()
    admin.admin_add_user_to_group(UserPoolId=hosted.pool_id, Username=username, GroupName="admins")
    sub = next(
        a["Value"]
        for a in admin.admin_get_user(UserPoolId=hosted.pool_id, Username=username)[
            "UserAttributes"
        ]
        if a["Name"] == "sub"
    )
    page = new_page(chromium)
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))
    try:
        # Anonymous: sent to mamori's hosted login (by path prefix, on mamori's host).
        page.goto(f"{site.app}/app/orders?page=1")
        page.wait_for_url(f"{hosted.by_path}/login?**")
        assert any(u.startswith(f"{hosted.by_path}/oauth2/authorize?") for u in visited)

        # Signed in: back at the page first asked for, the claims in headers.
        fill_sign_in(page, username, PASSWORD)
        page.wait_for_url(f"{site.app}/app/orders?page=1")
        seen = site.seen(page)
        assert seen["path"] == "/app/orders?page=1"
        headers = seen["headers"]
        assert headers["oidc_claim_sub"] == sub
        assert headers["oidc_claim_email"] == f"{username}@example.com"
        # mod_auth_openidc turns a claim name's characters a header can't carry into "-".
        assert headers["oidc_claim_cognito-username"] == username
        assert headers["oidc_claim_cognito-groups"] == "admins"
        assert headers["oidc_claim_name"] == "Ada Admin"
        assert headers["oidc_claim_token_use"] == "id"
        assert headers["oidc_claim_iss"] == hosted.issuer
        assert headers["oidc_claim_aud"] == hosted.client_id
        assert headers["x-amzn-oidc-identity"] == sub
        access = unverified(headers["x-amzn-oidc-accesstoken"])
        assert access["client_id"] == hosted.client_id and access["sub"] == sub
        assert headers["oidc_access_token"] == headers["x-amzn-oidc-accesstoken"]

        # The proxy's session carries the next request without a trip to mamori.
        before = len(visited)
        page.goto(f"{site.app}/app/profile")
        assert site.seen(page)["headers"]["oidc_claim_sub"] == sub
        assert not any(u.startswith(hosted.by_path) for u in visited[before:])

        # A member of admins reaches the admins' pages.
        page.goto(f"{site.app}/app/admin/report")
        assert site.seen(page)["path"] == "/app/admin/report"

        # Positive control for mamori's own session: without the proxy's cookie, the browser
        # goes to mamori and comes straight back, no password asked.
        _drop_cookie(page, SESSION_COOKIE)
        before = len(visited)
        page.goto(f"{site.app}/app/again")
        page.wait_for_url(f"{site.app}/app/again")
        assert site.seen(page)["headers"]["oidc_claim_sub"] == sub
        assert any(u.startswith(f"{hosted.by_path}/oauth2/authorize?") for u in visited[before:])
        assert not any(u.startswith(f"{hosted.by_path}/login") for u in visited[before:])
        assert _cookie(page, MAMORI_COOKIE) is not None

        # Logout: mod_auth_openidc's logout URL -> mamori's /logout -> the app's sign-out page.
        signed_out = hosted.logout_uri
        before = len(visited)
        page.goto(f"{hosted.redirect_uri}?logout={urllib.parse.quote(signed_out, safe='')}")
        page.wait_for_url(signed_out)
        went = visited[before:]
        assert any(u.startswith(f"{hosted.by_path}/logout?") for u in went), went
        assert site.seen(page)["path"] == "/signed-out"
        assert _cookie(page, MAMORI_COOKIE) is None
        assert _cookie(page, SESSION_COOKIE) is None

        # Both sessions are over: the app sends the browser to mamori, which asks again.
        page.goto(f"{site.app}/app/orders")
        page.wait_for_url(f"{hosted.by_path}/login?**")
        assert page.locator("input[type=password]").count() == 1
        fill_sign_in(page, username, PASSWORD)
        page.wait_for_url(f"{site.app}/app/orders")
        assert site.seen(page)["headers"]["oidc_claim_sub"] == sub
    finally:
        page.context.close()


def test_a_browser_cannot_send_its_own_claim_headers(chromium: Browser, site: Site) -> None:
    """Headers named like the proxy's (OIDC_CLAIM_*, x-amzn-oidc-*) sent by the browser are
    replaced or dropped; the app sees only what the proxy vouches for. A user outside the
    admins group is refused the admins' pages."""
    hosted = site.hosted
    username = make_user(hosted.server, hosted.pool_id)
    page = new_page(
        chromium,
        extra_http_headers={
            "OIDC_CLAIM_email": "mallory@example.com",
            "X-Amzn-Oidc-Identity": "mallory",
        },
    )
    try:
        page.goto(f"{site.app}/app/mine")
        page.wait_for_url(f"{hosted.by_path}/login?**")
        fill_sign_in(page, username, PASSWORD)
        page.wait_for_url(f"{site.app}/app/mine")
        headers = site.seen(page)["headers"]
        assert headers["oidc_claim_email"] == f"{username}@example.com"
        assert headers["x-amzn-oidc-identity"] == headers["oidc_claim_sub"] != "mallory"
        # Not in admins: signed in, but the admins' pages are refused before the app.
        marker = f"/app/admin/{secrets.token_hex(4)}"
        response = page.goto(f"{site.app}{marker}")
        assert response is not None and response.status == 403
        assert not any(p.startswith(marker) for p in site.echo.seen)
    finally:
        page.context.close()


def _cookie(page: Page, name: str) -> dict[str, Any] | None:
    return next((dict(c) for c in page.context.cookies() if c["name"] == name), None)


def _drop_cookie(page: Page, name: str) -> None:
    assert _cookie(page, name) is not None, page.context.cookies()
    page.context.clear_cookies(name=name)


# The example values docs/integrations.md shows the config with.
DOC_VALUES = {
    "issuer": "https://id.example.com/us-east-1_Ab12Cd34E",
    "domain": "https://shop.auth.example.com",
    "client_id": "3webapp456789abcdefghijklm",
    "client_secret": "the-app-clients-secret",
    "redirect_uri": "https://app.example.com/callback",
    "logout_uri": "https://app.example.com/signed-out",
    "backend": "http://127.0.0.1:3000",
    "passphrase": "a-long-random-secret-of-your-own",
}


def test_the_documented_config_is_the_tested_one() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "integrations.md").read_text()
    assert proxy_config(**DOC_VALUES).strip() in doc
