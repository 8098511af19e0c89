"""Signing in through a SAML 2.0 provider in a real browser (Playwright, Debian's Chromium), with
tests/support/saml_idp.py (pysaml2's IdP side) as the provider: mamori on `localhost`, the IdP
on `127.0.0.1` (another site), so its auto-posted Response reaches /saml2/idpresponse as a real
cross-site POST. The login page's provider button (first sign-in, then a second one with changed
attributes that refreshes the user), the corporate email form routing by IdpIdentifiers,
encrypted assertions (EncryptedResponses), an IdP-initiated sign-in (IDPInit), and /logout
through the IdP's single logout and back (IDPSignout), after which the login session is over;
the IdP's own LogoutRequest ends it too, unless it is unsigned or signed by another key."""

from __future__ import annotations

import base64
import secrets
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, Request
from tests.support.browser_pages import back_at, code_flow_query, relying_party, watched_page
from tests.support.factories import make_code_client, make_pool
from tests.support.live import Server
from tests.support.saml_idp import Fault, SamlIdp, saml_idp
from tests.support.webapp import WebApp

pytestmark = pytest.mark.browser

PROVIDER = "Corp"
EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"


@dataclass
class Site:
    server: Server
    base: str  # the pool's domain by path prefix, on localhost
    pool_id: str
    client_id: str
    callback: str
    bye: str
    idp: SamlIdp

    @property
    def sp_entity_id(self) -> str:
        return f"urn:amazon:cognito:sp:{self.pool_id}"

    def details(self, **changes: str) -> None:
        admin = self.server.admin()
        provider = admin.describe_identity_provider(UserPoolId=self.pool_id, ProviderName=PROVIDER)[
            "IdentityProvider"
        ]
        details = {k: v for k, v in provider["ProviderDetails"].items() if k in WRITABLE}
        admin.update_identity_provider(
            UserPoolId=self.pool_id, ProviderName=PROVIDER, ProviderDetails={**details, **changes}
        )


# What CreateIdentityProvider takes; Describe adds read-only keys (SSORedirectBindingURI, ...).
WRITABLE = {
    "MetadataURL",
    "MetadataFile",
    "IDPSignout",
    "IDPInit",
    "EncryptedResponses",
    "RequestSigningAlgorithm",
}


@pytest.fixture(scope="module")
def site(sqlite_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    server, admin = sqlite_server, sqlite_server.admin()
    pool_id = str(make_pool(server)["Id"])
    admin.create_user_pool_domain(Domain=f"samlb-{secrets.token_hex(4)}", UserPoolId=pool_id)
    app: WebApp
    with (
        relying_party(tmp_path_factory.mktemp("app")) as app,
        saml_idp(tmp_path_factory.mktemp("saml-idp")) as idp,
    ):
        admin.create_identity_provider(
            UserPoolId=pool_id,
            ProviderName=PROVIDER,
            ProviderType="SAML",
            ProviderDetails={
                "MetadataURL": idp.metadata_url,
                "IDPSignout": "true",
                "IDPInit": "true",
                "RequestSigningAlgorithm": "rsa-sha256",
            },
            AttributeMapping={"email": EMAIL, "name": NAME},
            IdpIdentifiers=["corp.example"],
        )
        callback, bye = f"{app.url}/callback", f"{app.url}/bye"
        client_id = make_code_client(
            server, pool_id, callback, ["COGNITO", PROVIDER], LogoutURLs=[bye]
        )
        base = server.url.replace("//127.0.0.1:", "//localhost:") + f"/{pool_id}"
        with urllib.request.urlopen(f"{base}/saml2/metadata", timeout=10) as answer:
            idp.trust_sp(answer.read().decode())
        yield Site(server, base, pool_id, client_id, callback, bye, idp)


def authorize_query(site: Site) -> dict[str, str]:
    return code_flow_query(site.client_id, site.callback)


def authorize(site: Site) -> str:
    return f"{site.base}/oauth2/authorize?{urllib.parse.urlencode(authorize_query(site))}"


def back_at_the_app(page: Page, site: Site) -> None:
    back = back_at(page, site.callback)
    assert back["code"] and back["state"] == "browser-state", page.url


def sign_in_with_the_button(page: Page, site: Site) -> None:
    page.goto(authorize(site))
    page.wait_for_url("**/login?**")
    button = page.locator(f'a.provider-button[data-provider="{PROVIDER}"]')
    assert button.inner_text() == f"Sign in with {PROVIDER}"
    button.click()
    back_at_the_app(page, site)


def acs_requests(page: Page) -> list[Request]:
    """The requests the page makes to /saml2/idpresponse, as they are made."""
    seen: list[Request] = []

    def note(request: Request) -> None:
        if "/saml2/idpresponse" in request.url:
            seen.append(request)

    page.on("request", note)
    return seen


def federation_cookie(request: Request) -> bool:
    return "mamori_federation=" in request.all_headers().get("cookie", "")


def attributes(site: Site, username: str) -> dict[str, str]:
    user = site.server.admin().admin_get_user(UserPoolId=site.pool_id, Username=username)
    assert user["UserStatus"] == "EXTERNAL_PROVIDER"
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def test_the_provider_button_signs_in_then_refreshes_the_user(
    chromium: Browser, site: Site
) -> None:
    for name in ("Ann Lee", "Ann Q Lee"):
        site.idp.sign_in_as("ann-1", **{EMAIL: "ann@corp.example", NAME: name})
        with watched_page(chromium, "en") as page:
            answers = acs_requests(page)
            sign_in_with_the_button(page, site)
            # The IdP's page posted cross-site (no SameSite=Lax binding cookie); mamori's 303
            # to the GET, a top-level navigation, carried it.
            [posted, carried] = answers
            assert posted.method == "POST" and not federation_cookie(posted)
            assert carried.method == "GET" and federation_cookie(carried)
        sent = site.idp.authn_requests()[-1]
        assert sent.issuer == site.sp_entity_id and sent.signed and sent.signature_valid
        attrs = attributes(site, f"{PROVIDER}_ann-1")
        assert attrs["email"] == "ann@corp.example" and attrs["name"] == name


def test_a_corporate_email_goes_to_its_provider(chromium: Browser, site: Site) -> None:
    site.idp.sign_in_as("bo-2", **{EMAIL: "bo@corp.example", NAME: "Bo"})
    with watched_page(chromium, "en") as page:
        page.goto(authorize(site))
        page.wait_for_url("**/login?**")
        page.locator("#corporate-email").fill("Bo@Corp.Example")
        page.locator("#corporate-button").click()
        back_at_the_app(page, site)
    assert attributes(site, f"{PROVIDER}_bo-2")["email"] == "bo@corp.example"


def test_encrypted_assertions(chromium: Browser, site: Site) -> None:
    site.details(EncryptedResponses="true")
    site.idp.trust_sp(site_metadata(site), encrypt_assertions=True)
    try:
        site.idp.sign_in_as("cy-3", **{EMAIL: "cy@corp.example", NAME: "Cy"})
        with watched_page(chromium, "en") as page:
            answers = acs_requests(page)
            sign_in_with_the_button(page, site)
        form = dict(urllib.parse.parse_qsl(answers[0].post_data or ""))
        sent = base64.b64decode(form["SAMLResponse"]).decode()
        assert "EncryptedAssertion" in sent and "cy@corp.example" not in sent
        assert attributes(site, f"{PROVIDER}_cy-3")["email"] == "cy@corp.example"
    finally:
        site.details(EncryptedResponses="false")
        site.idp.trust_sp(site_metadata(site))


def site_metadata(site: Site) -> str:
    with urllib.request.urlopen(f"{site.base}/saml2/metadata", timeout=10) as answer:
        return str(answer.read().decode())


def test_an_idp_initiated_sign_in(chromium: Browser, site: Site) -> None:
    site.idp.sign_in_as("di-4", **{EMAIL: "di@corp.example", NAME: "Di"})
    requests = len(site.idp.authn_requests())
    # Cognito: an IdP-initiated response's RelayState holds /oauth2/authorize's parameters.
    query = {**authorize_query(site), "identity_provider": PROVIDER}
    with watched_page(chromium, "en") as page:
        page.goto(site.idp.idp_initiated_page(site.sp_entity_id, urllib.parse.urlencode(query)))
        back_at_the_app(page, site)
    assert attributes(site, f"{PROVIDER}_di-4")["name"] == "Di"
    assert len(site.idp.authn_requests()) == requests  # mamori sent none


def test_logout_goes_through_the_idp_and_ends_the_login_session(
    chromium: Browser, site: Site
) -> None:
    site.idp.sign_in_as("ed-5", **{EMAIL: "ed@corp.example", NAME: "Ed"})
    with watched_page(chromium, "en") as page:
        sign_in_with_the_button(page, site)
        index = site.idp.sessions[(site.sp_entity_id, "ed-5")][-1]
        # Signed in at the domain: the next authorization goes straight back to the app.
        page.goto(authorize(site))
        back_at_the_app(page, site)
        seen: list[str] = []
        page.on("request", lambda r: seen.append(r.url))
        query = urllib.parse.urlencode({"client_id": site.client_id, "logout_uri": site.bye})
        page.goto(f"{site.base}/logout?{query}")
        page.wait_for_url(site.bye)
        assert any(u.startswith(f"{site.idp.url}/slo?SAMLRequest=") for u in seen), seen
        assert any(f"{site.base}/saml2/logout?SAMLResponse=" in u for u in seen), seen
        sent = site.idp.logout_requests()[-1]
        assert sent.issuer == site.sp_entity_id and sent.signed and sent.signature_valid
        assert sent.details["name_id"] == "ed-5" and sent.details["session_indexes"] == [index]
        page.goto(authorize(site))
        page.wait_for_url("**/login?**")


def test_a_logout_request_from_the_idp_ends_the_login_session(
    chromium: Browser, site: Site
) -> None:
    site.idp.sign_in_as("fay-6", **{EMAIL: "fay@corp.example", NAME: "Fay"})
    with watched_page(chromium, "en") as page:
        sign_in_with_the_button(page, site)
        page.goto(site.idp.logout_from_idp(site.sp_entity_id, "fay-6"))
        page.wait_for_url(f"{site.idp.url}/slo?**")
        assert page.locator("#signed-out").count() == 1
        answer = site.idp.requests[-1]
        assert answer.kind == "LogoutResponse" and answer.issuer == site.sp_entity_id
        assert answer.details["status"] == "urn:oasis:names:tc:SAML:2.0:status:Success"
        page.goto(authorize(site))
        page.wait_for_url("**/login?**")


@pytest.mark.parametrize("fault", [Fault.UNSIGNED, Fault.FOREIGN_KEY])
def test_a_logout_request_not_signed_by_the_idp_is_refused(
    chromium: Browser, site: Site, fault: Fault
) -> None:
    name_id = f"gus-{fault.value}"
    site.idp.sign_in_as(name_id, **{EMAIL: "gus@corp.example", NAME: "Gus"})
    with watched_page(chromium, "en") as page:
        sign_in_with_the_button(page, site)
        answers = len(site.idp.requests)
        page.goto(site.idp.logout_from_idp(site.sp_entity_id, name_id, fault=fault))
        assert page.url.startswith(f"{site.base}/saml2/logout?"), page.url
        assert len(site.idp.requests) == answers  # no LogoutResponse came back
        # The login session goes on: the next authorization is straight back at the app.
        page.goto(authorize(site))
        back_at_the_app(page, site)
