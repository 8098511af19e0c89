"""Signing in through an OpenID Connect provider in a real browser (Playwright, Debian's
Chromium): the login page's provider link, the provider (panva's oidc-provider standing in),
/oauth2/idpresponse and back to the app with mamori's code; the federated user is made once
and refreshed at the next sign-in through the same link."""

from __future__ import annotations

import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser
from tests.support.browser_pages import back_at, code_flow_query, relying_party, watched_page
from tests.support.factories import make_code_client, make_oidc_provider, make_pool
from tests.support.live import Server
from tests.support.oidc_stand_in import StandIn, client, oidc_stand_in
from tests.support.webapp import WebApp

pytestmark = pytest.mark.browser


@dataclass
class Site:
    server: Server
    pool_id: str
    client_id: str
    callback: str
    provider: StandIn


@pytest.fixture(scope="module")
def site(sqlite_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    server, admin = sqlite_server, sqlite_server.admin()
    pool_id = str(make_pool(server)["Id"])
    admin.create_user_pool_domain(Domain=f"fedb-{secrets.token_hex(4)}", UserPoolId=pool_id)
    secret = secrets.token_urlsafe(24)
    redirect = f"{server.url}/{pool_id}/oauth2/idpresponse"
    app: WebApp
    with (
        relying_party(tmp_path_factory.mktemp("app")) as app,
        oidc_stand_in(tmp_path_factory.mktemp("oidc"), [client("rp", secret, [redirect])]) as idp,
    ):
        make_oidc_provider(server, pool_id, "Corp", "rp", secret, idp.issuer)
        callback = f"{app.url}/callback"
        client_id = make_code_client(server, pool_id, callback, ["COGNITO", "Corp"])
        yield Site(server, pool_id, client_id, callback, idp)


def authorize(site: Site) -> str:
    query = code_flow_query(site.client_id, site.callback)
    return f"{site.server.url}/{site.pool_id}/oauth2/authorize?{urllib.parse.urlencode(query)}"


def test_the_provider_button_signs_in_then_refreshes_the_user(
    chromium: Browser, site: Site
) -> None:
    admin = site.server.admin()
    for name in ("Carol", "Carol Q"):
        site.provider.sign_in_as("carol-7", email="carol@corp.example", name=name)
        with watched_page(chromium, "en") as page:
            page.goto(authorize(site))
            page.wait_for_url("**/login?**")
            button = page.locator('a.provider-button[data-provider="Corp"]')
            assert button.inner_text() == "Sign in with Corp"
            button.click()
            back = back_at(page, site.callback)
            assert back["code"] and back["state"] == "browser-state"
        user = admin.admin_get_user(UserPoolId=site.pool_id, Username="Corp_carol-7")
        attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
        assert user["UserStatus"] == "EXTERNAL_PROVIDER" and attrs["name"] == name
    users = admin.list_users(UserPoolId=site.pool_id)["Users"]
    assert [u["Username"] for u in users] == ["Corp_carol-7"]
