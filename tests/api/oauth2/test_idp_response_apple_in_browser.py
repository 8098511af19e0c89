"""Sign in with Apple in a real browser (Playwright, Debian's Chromium), where the cross-site POST
is real: mamori on `localhost`, the Apple stand-in on `127.0.0.1` (another site), so Chromium
sends Apple's form_post to /oauth2/idpresponse without the SameSite=Lax federation cookie, and
mamori's 303 to the GET, a top-level navigation, with it. The login page's Apple button, the
stand-in's page and its Continue button, back to the app with mamori's code; the user is made
with the name Apple posts the first time and keeps it the second."""

from __future__ import annotations

import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import Browser, Request
from tests.api.oauth2.test_idp_response_apple import APPLE, p8
from tests.support.apple_stand_in import AppleStandIn, apple_stand_in
from tests.support.browser_pages import back_at, code_flow_query, relying_party, watched_page
from tests.support.factories import make_code_client, make_pool
from tests.support.live import Server, federation_env, run_server
from tests.support.webapp import WebApp

pytestmark = pytest.mark.browser


@dataclass
class Site:
    server: Server
    base: str  # the pool's domain by path prefix, on localhost
    pool_id: str
    client_id: str
    callback: str
    apple: AppleStandIn


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    key = ec.generate_private_key(ec.SECP256R1())
    app: WebApp
    with (
        relying_party(tmp_path_factory.mktemp("app")) as app,
        apple_stand_in("com.example.web", "TEAM123456", "KEY7654321", key.public_key()) as apple,
    ):
        assert urllib.parse.urlsplit(apple.url).hostname == "127.0.0.1"
        env = federation_env(apple.endpoints())
        with run_server(tmp_path_factory.mktemp("appleb"), "sqlite", extra_env=env) as server:
            admin = server.admin()
            pool_id = str(make_pool(server)["Id"])
            admin.create_user_pool_domain(Domain=f"ab-{secrets.token_hex(4)}", UserPoolId=pool_id)
            admin.create_identity_provider(
                UserPoolId=pool_id,
                ProviderName=APPLE,
                ProviderType=APPLE,
                ProviderDetails={
                    "client_id": apple.client_id,
                    "team_id": apple.team_id,
                    "key_id": apple.key_id,
                    "private_key": p8(key),
                    "authorize_scopes": "name email",
                },
                AttributeMapping={"email": "email", "name": "name", "given_name": "firstName"},
            )
            callback = f"{app.url}/callback"
            client_id = make_code_client(server, pool_id, callback, ["COGNITO", APPLE])
            base = server.url.replace("//127.0.0.1:", "//localhost:") + f"/{pool_id}"
            yield Site(server, base, pool_id, client_id, callback, apple)


def authorize(site: Site) -> str:
    query = code_flow_query(site.client_id, site.callback)
    return f"{site.base}/oauth2/authorize?{urllib.parse.urlencode(query)}"


def federation_cookie(request: Request) -> bool:
    return "mamori_federation=" in request.all_headers().get("cookie", "")


def test_apple_posts_cross_site_and_the_303_carries_the_binding(
    chromium: Browser, site: Site
) -> None:
    admin = site.server.admin()
    username = f"{APPLE}_000777.cafe.0001"
    answers: list[Request] = []

    def seen(request: Request) -> None:
        answers.append(request)

    for email in ("pat@example.com", "pat@privaterelay.appleid.com"):
        site.apple.sign_in_as("000777.cafe.0001", email=email, first_name="Pat", last_name="Lee")
        with watched_page(chromium, "en") as page:
            answers.clear()
            page.on("request", seen)
            page.goto(authorize(site))
            page.wait_for_url("**/login?**")
            page.locator(f'a.provider-button[data-provider="{APPLE}"]').click()
            page.wait_for_url(f"{site.apple.url}/auth/authorize?**")
            page.locator("#continue").click()
            back = back_at(page, site.callback)
            assert back["code"] and back["state"] == "browser-state"
            # Chromium's own account of the hop: the form_post came without the Lax cookie
            # (another site's POST), the GET it was sent on to with it.
            [posted, carried] = [r for r in answers if "/oauth2/idpresponse" in r.url]
            assert posted.method == "POST" and not federation_cookie(posted)
            assert carried.method == "GET" and "answer=" in carried.url
            assert federation_cookie(carried)
        user = admin.admin_get_user(UserPoolId=site.pool_id, Username=username)
        attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
        # The name came in the first answer's `user` JSON only; the email is the ID token's.
        assert attrs["name"] == "Pat Lee" and attrs["given_name"] == "Pat"
        assert attrs["email"] == email and user["UserStatus"] == "EXTERNAL_PROVIDER"
    users = admin.list_users(UserPoolId=site.pool_id)["Users"]
    assert [u["Username"] for u in users] == [username]
