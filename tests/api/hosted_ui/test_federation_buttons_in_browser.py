"""The login page's federation in a real browser (Playwright, Debian's Chromium), end to end:
the Facebook and Login with Amazon buttons (tests/support/social_stand_in.py, named by
MAMORI_FEDERATION_ENDPOINTS) signing in and, the next time, refreshing the user's mapped
attributes; the corporate email form routing to an OIDC provider by its IdpIdentifier (panva's
oidc-provider, tests/support/oidc_stand_in.py); a provider identity linked to a password user
(AdminLinkProviderForUser) signing in as that user; and the buttons-only page of a client
without COGNITO. One mamori serve, one pool and its stand-ins for the module."""

from __future__ import annotations

import base64
import json
import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from tests.support.browser_pages import back_at, in_language, relying_party, watched_page
from tests.support.factories import make_code_client, make_oidc_provider, make_pool, make_user
from tests.support.live import Server, federation_env, run_server
from tests.support.oauth import redeem_code
from tests.support.oidc_stand_in import StandIn, client, oidc_stand_in
from tests.support.social_stand_in import SocialStandIn, social_stand_in

pytestmark = pytest.mark.browser

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
SCOPES = ["openid", "email", "profile"]


@dataclass
class Site:
    server: Server
    pool_id: str
    client_id: str  # COGNITO and the three providers
    buttons_client_id: str  # Facebook and Corp only: the buttons-only page
    callback: str
    facebook: SocialStandIn
    amazon: SocialStandIn
    corp: StandIn

    @property
    def base(self) -> str:
        return f"{self.server.url}/{self.pool_id}"

    def authorize(self, client_id: str | None = None, lang: str = "en") -> str:
        query = {
            "response_type": "code",
            "client_id": client_id or self.client_id,
            "redirect_uri": self.callback,
            "scope": " ".join(SCOPES),
            "state": secrets.token_urlsafe(8),
            "code_challenge": CHALLENGE,
            "code_challenge_method": "S256",
        }
        if lang != "en":
            query["lang"] = lang
        return f"{self.base}/oauth2/authorize?{urllib.parse.urlencode(query)}"

    def attributes(self, username: str) -> dict[str, str]:
        user = self.server.admin().admin_get_user(UserPoolId=self.pool_id, Username=username)
        return {a["Name"]: a["Value"] for a in user["UserAttributes"]}

    def usernames(self) -> set[str]:
        users = self.server.admin().list_users(UserPoolId=self.pool_id)["Users"]
        return {u["Username"] for u in users}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("federation-buttons")
    with (
        social_stand_in("facebook", "fb-app-7", secrets.token_urlsafe(16)) as facebook,
        social_stand_in(
            "amazon", "amzn1.application-oa2-client.7", secrets.token_urlsafe(16)
        ) as amazon,
        relying_party(tmp) as app,
    ):
        env = federation_env({**facebook.endpoints(), **amazon.endpoints()})
        with run_server(tmp, "sqlite", extra_env=env) as server:
            admin = server.admin()
            pool_id = str(make_pool(server)["Id"])
            admin.create_user_pool_domain(Domain=f"fbtn-{secrets.token_hex(4)}", UserPoolId=pool_id)
            secret = secrets.token_urlsafe(24)
            idp_response = f"{server.url}/{pool_id}/oauth2/idpresponse"
            with oidc_stand_in(tmp, [client("rp", secret, [idp_response])]) as corp:
                admin.create_identity_provider(
                    UserPoolId=pool_id,
                    ProviderName="Facebook",
                    ProviderType="Facebook",
                    ProviderDetails={
                        "client_id": facebook.client_id,
                        "client_secret": facebook.client_secret,
                        "authorize_scopes": "public_profile,email",
                    },
                    AttributeMapping={"email": "email", "name": "name"},
                )
                admin.create_identity_provider(
                    UserPoolId=pool_id,
                    ProviderName="LoginWithAmazon",
                    ProviderType="LoginWithAmazon",
                    ProviderDetails={
                        "client_id": amazon.client_id,
                        "client_secret": amazon.client_secret,
                        "authorize_scopes": "profile postal_code",
                    },
                    AttributeMapping={"email": "email", "name": "name", "address": "postal_code"},
                )
                make_oidc_provider(
                    server,
                    pool_id,
                    "Corp",
                    "rp",
                    secret,
                    corp.issuer,
                    IdpIdentifiers=["corp.example"],
                )
                callback = f"{app.url}/callback"

                def app_client(*providers: str) -> str:
                    return make_code_client(server, pool_id, callback, providers, scopes=SCOPES)

                yield Site(
                    server,
                    pool_id,
                    app_client("COGNITO", "Facebook", "LoginWithAmazon", "Corp"),
                    app_client("Facebook", "Corp"),
                    callback,
                    facebook,
                    amazon,
                    corp,
                )


def back_at_the_app(page: Page, site: Site) -> str:
    """Wait for the app's callback; the code it got."""
    params = back_at(page, site.callback)
    assert params.get("code") and params.get("state"), page.url
    return params["code"]


def through_the_button(chromium: Browser, site: Site, provider: str) -> str:
    """A fresh browser: the login page, the provider's button, back at the app; the code."""
    with watched_page(chromium, "en") as page:
        page.goto(site.authorize())
        page.wait_for_url("**/login?**")
        button = page.locator(f'a.provider-button[data-provider="{provider}"]')
        # Cognito's buttons name Amazon and Apple, not their providers' type names.
        label = {"LoginWithAmazon": "Amazon"}.get(provider, provider)
        assert button.inner_text() == f"Sign in with {label}"
        button.click()
        return back_at_the_app(page, site)


def id_token_claims(site: Site, code: str, client_id: str | None = None) -> dict[str, Any]:
    """The code redeemed at mamori's token endpoint (PKCE); the ID token's claims."""
    answer = redeem_code(site.base, client_id or site.client_id, code, site.callback, VERIFIER, 15)
    payload = answer["id_token"].split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_facebook_and_amazon_buttons_sign_in_then_refresh_the_user(
    chromium: Browser, site: Site
) -> None:
    for name in ("Fay", "Fay Renamed"):
        site.facebook.sign_in_as(id="10158", email="fay@example.com", name=name)
        through_the_button(chromium, site, "Facebook")
        assert site.attributes("Facebook_10158")["name"] == name
    amazon_user = "amzn1.account.AH5Z6BUTTONS"
    subs = set()
    for name, city in (("Ama", "98101"), ("Ama Moved", "10001")):
        site.amazon.sign_in_as(
            user_id=amazon_user, email="ama@example.com", name=name, postal_code=city
        )
        claims = id_token_claims(site, through_the_button(chromium, site, "LoginWithAmazon"))
        assert claims["name"] == name
        subs.add(claims["sub"])
        attrs = site.attributes(f"LoginWithAmazon_{amazon_user}")
        assert attrs["name"] == name and attrs["address"] == city
    assert len(subs) == 1  # one user, refreshed
    # The code went to the provider's token URL with the app secret; the profile was read.
    assert site.facebook.token_requests[-1]["client_secret"] == site.facebook.client_secret
    assert site.amazon.profile_requests[-1] == f"{site.amazon.url}/user/profile"


def test_a_corporate_email_goes_to_its_provider(chromium: Browser, site: Site) -> None:
    site.corp.sign_in_as("dana-1", email="dana@corp.example", name="Dana")
    with watched_page(chromium, "en") as page:
        page.goto(site.authorize())
        page.wait_for_url("**/login?**")
        # An address no provider signs in: the page says so.
        page.locator("#corporate-email").fill("dana@other.example")
        with page.expect_navigation():
            page.locator("#corporate-button").click()
        error = page.locator("#corporate-email-error")
        assert error.inner_text() == (
            "No identity provider signs in this email address. Check it, or sign in below."
        )
        assert page.locator("#corporate-email").get_attribute("aria-invalid") == "true"
        page.locator("#corporate-email").fill("Dana@Corp.Example")
        page.locator("#corporate-button").click()
        back_at_the_app(page, site)
    assert site.attributes("Corp_dana-1")["name"] == "Dana"


def test_a_linked_identity_signs_in_as_the_password_user(chromium: Browser, site: Site) -> None:
    admin = site.server.admin()
    alice = make_user(site.server, site.pool_id, f"alice-{secrets.token_hex(3)}")
    admin.admin_link_provider_for_user(
        UserPoolId=site.pool_id,
        DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": alice},
        SourceUser={
            "ProviderName": "Corp",
            "ProviderAttributeName": "Cognito_Subject",
            "ProviderAttributeValue": "alice-corp",
        },
    )
    site.corp.sign_in_as("alice-corp", email=f"{alice}@example.com", name="Alice Corp")
    claims = id_token_claims(site, through_the_button(chromium, site, "Corp"))
    assert claims["sub"] == site.attributes(alice)["sub"]
    assert claims["cognito:username"] == alice
    assert [i["userId"] for i in claims["identities"]] == ["alice-corp"]
    assert "Corp_alice-corp" not in site.usernames()


def test_the_buttons_only_page_of_a_client_without_cognito(chromium: Browser, site: Site) -> None:
    site.facebook.sign_in_as(id="30303", email="bo@example.com", name="Bo")
    with watched_page(chromium, "ja") as page:
        page.goto(site.authorize(site.buttons_client_id, lang="ja"))
        page.wait_for_url("**/login?**")
        in_language(page, "ja")
        buttons = page.locator("a.provider-button")
        assert buttons.evaluate_all("as => as.map(a => a.dataset.provider)") == [
            "Facebook",
            "Corp",
        ]
        assert page.locator("#corporate-form").count() == 1
        # The corporate email is the page's only field, and focused.
        assert page.evaluate("document.activeElement.id") == "corporate-email"
        for absent in (
            "#login-form",
            "input[type=password]",
            "#forgot-password-link",
            "#sign-up-link",
        ):
            assert page.locator(absent).count() == 0, absent
        page.locator('a.provider-button[data-provider="Facebook"]').click()
        code = back_at_the_app(page, site)
    claims = id_token_claims(site, code, site.buttons_client_id)
    assert claims["cognito:username"] == "Facebook_30303" and claims["name"] == "Bo"
