"""Signing in through a SAML 2.0 provider, end to end over HTTP: a live `mamori serve`, the
pysaml2 IdP stand-in (tests/support/saml_idp.py) trusting the pool's SP metadata
(/saml2/metadata), and an httpx client as the browser. /oauth2/authorize?identity_provider=
sends the AuthnRequest by the HTTP-Redirect binding with a short RelayState; the IdP's POST to
/saml2/idpresponse is checked and carried by a 303 to the GET, which finishes in the browser
that started it with mamori's code; the user is `<Provider>_<NameID>`, refreshed at the next
sign-in. Every wrong answer (forged, unsigned, expired, another audience, denied, replayed,
unknown RelayState, another browser) makes no user."""

from __future__ import annotations

import base64
import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api.oauth2.test_idp_response import claims_of, pkce, query
from tests.support.factories import make_code_client, make_pool
from tests.support.live import Server, free_port
from tests.support.oauth import redeem_code
from tests.support.saml_bindings import inflate, key_and_cert, redirect_url
from tests.support.saml_idp import Fault, SamlIdp, saml_idp

CALLBACK = "http://localhost:3000/callback"
SIGNED_OUT = "http://localhost:3000/signed-out"
NAME_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"


@dataclass
class World:
    server: Server
    pool_id: str
    client_id: str
    idp: SamlIdp
    sp_metadata: str

    @property
    def base(self) -> str:
        return f"{self.server.url}/{self.pool_id}"

    @property
    def entity_id(self) -> str:
        return f"urn:amazon:cognito:sp:{self.pool_id}"

    def users(self) -> list[dict[str, Any]]:
        return list(self.server.admin().list_users(UserPoolId=self.pool_id)["Users"])


def _provider(
    world_admin: Any, pool_id: str, name: str, mapping: dict[str, str] | None = None, **details: str
) -> None:
    world_admin.create_identity_provider(
        UserPoolId=pool_id,
        ProviderName=name,
        ProviderType="SAML",
        ProviderDetails=details,
        AttributeMapping=mapping or {"email": "email", "name": NAME_CLAIM},
    )


@pytest.fixture(scope="module")
def world(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """On both databases: the requests, assertions, keys and SAML sessions are stored."""
    admin = server.admin()
    pool_id = str(make_pool(server)["Id"])
    admin.create_user_pool_domain(Domain=f"saml-{secrets.token_hex(4)}", UserPoolId=pool_id)
    with saml_idp(tmp_path_factory.mktemp("idp")) as idp:
        sp_metadata = httpx.get(f"{server.url}/{pool_id}/saml2/metadata").text
        idp.trust_sp(sp_metadata)
        _provider(admin, pool_id, "Corp", MetadataURL=idp.metadata_url, IDPSignout="true")
        _provider(
            admin,
            pool_id,
            "Signed",
            MetadataFile=idp.metadata_xml,
            RequestSigningAlgorithm="rsa-sha256",
        )
        _provider(
            admin, pool_id, "Sealed", MetadataFile=idp.metadata_xml, EncryptedResponses="true"
        )
        _provider(admin, pool_id, "Portal", MetadataFile=idp.metadata_xml, IDPInit="true")
        _provider(
            admin,
            pool_id,
            "ByUid",
            {"username": "uid", "email": "email"},
            MetadataFile=idp.metadata_xml,
        )
        client_id = make_code_client(
            server,
            pool_id,
            CALLBACK,
            ["COGNITO", "Corp", "Signed", "Sealed", "Portal", "ByUid"],
            LogoutURLs=[SIGNED_OUT],
        )
        yield World(server, pool_id, client_id, idp, sp_metadata)


def authorize_url(world: World, challenge: str, provider: str = "Corp") -> str:
    params = {
        "client_id": world.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid email profile",
        "state": "app-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "identity_provider": provider,
    }
    return f"{world.base}/oauth2/authorize?{urllib.parse.urlencode(params)}"


def to_idp(world: World, browser: httpx.Client, provider: str = "Corp") -> tuple[str, str]:
    """/oauth2/authorize's redirect to the IdP: (the SSO URL, the PKCE verifier)."""
    verifier, challenge = pkce()
    response = browser.get(authorize_url(world, challenge, provider))
    assert response.status_code == 302, response.text[:300]
    return response.headers["location"], verifier


def post_to_acs(browser: httpx.Client, action: str, fields: dict[str, str]) -> httpx.Response:
    """The IdP's auto-posting form, then (on a 303) the GET it leads to."""
    response = browser.post(action, data=fields)
    if response.status_code == 303:
        response = browser.get(str(response.url.join(response.headers["location"])))
    return response


def redeem(world: World, location: str, verifier: str) -> dict[str, Any]:
    back = query(location)
    assert back.get("state") == "app-state" and "code" in back, back
    return redeem_code(world.base, world.client_id, back["code"], CALLBACK, verifier)


def sign_in(
    world: World, browser: httpx.Client, name_id: str, provider: str = "Corp", **attributes: str
) -> dict[str, Any]:
    world.idp.sign_in_as(name_id, **attributes)
    location, verifier = to_idp(world, browser, provider)
    action, fields = world.idp.sso_form(location)
    response = post_to_acs(browser, action, fields)
    assert response.status_code == 302, response.text[:500]
    assert response.headers["location"].startswith(CALLBACK)
    return redeem(world, response.headers["location"], verifier)


def test_the_sp_metadata_names_the_pool_acs_slo_and_certificates(world: World) -> None:
    metadata = world.sp_metadata
    assert f'entityID="{world.entity_id}"' in metadata
    assert f'Location="{world.base}/saml2/idpresponse"' in metadata
    assert f'Location="{world.base}/saml2/logout"' in metadata
    assert 'use="signing"' in metadata and 'use="encryption"' in metadata
    # GetSigningCertificate answers the certificate the metadata publishes for signing.
    certificate = world.server.admin().get_signing_certificate(UserPoolId=world.pool_id)
    assert certificate["Certificate"] in metadata
    assert base64.b64decode(certificate["Certificate"])[:1] == b"\x30"  # DER


def test_the_authn_request_goes_by_redirect_with_a_short_relay_state(world: World) -> None:
    with httpx.Client() as browser:
        location, _ = to_idp(world, browser)
        cookie = browser.cookies.get("mamori_federation")
    assert location.startswith(f"{world.idp.url}/sso?")
    sent = query(location)
    assert len(sent["RelayState"].encode()) <= 80  # SAML's limit
    assert world.client_id not in sent["RelayState"] and cookie
    assert "Signature" not in sent  # RequestSigningAlgorithm not set for Corp


def test_first_and_second_sign_in_make_then_refresh_the_user(world: World) -> None:
    with httpx.Client() as browser:
        tokens = sign_in(world, browser, "alice", email="alice@corp.test", **{NAME_CLAIM: "Alice"})
    claims = claims_of(tokens["id_token"])
    assert claims["cognito:username"] == "Corp_alice"
    assert claims["email"] == "alice@corp.test" and claims["name"] == "Alice"
    identity = claims["identities"][0]
    assert identity["providerName"] == "Corp" and identity["providerType"] == "SAML"
    assert identity["userId"] == "alice" and identity["issuer"] == world.idp.entity_id
    assert f"{world.pool_id}_Corp" in claims["cognito:groups"]
    with httpx.Client() as browser:
        again = sign_in(world, browser, "alice", email="alice@corp.test", **{NAME_CLAIM: "Al"})
    second = claims_of(again["id_token"])
    assert second["sub"] == claims["sub"] and second["name"] == "Al"
    user = world.server.admin().admin_get_user(UserPoolId=world.pool_id, Username="Corp_alice")
    assert user["UserStatus"] == "EXTERNAL_PROVIDER"


def test_the_attribute_mapping_may_name_the_username(world: World) -> None:
    with httpx.Client() as browser:
        tokens = sign_in(
            world, browser, "opaque-name-id", provider="ByUid", uid="jdoe", email="j@corp.test"
        )
    claims = claims_of(tokens["id_token"])
    assert claims["cognito:username"] == "ByUid_jdoe"
    assert claims["identities"][0]["userId"] == "jdoe"
    # No such attribute in the assertion: no user.
    world.idp.sign_in_as("no-uid", email="n@corp.test")
    with httpx.Client() as browser:
        location, _ = to_idp(world, browser, "ByUid")
        response = post_to_acs(browser, *world.idp.sso_form(location))
    assert query(response.headers["location"])["error"] == "invalid_request"


def test_a_signed_authn_request_when_the_provider_asks(world: World) -> None:
    with httpx.Client() as browser:
        sign_in(world, browser, "signed-user", provider="Signed", email="s@corp.test")
    received = world.idp.authn_requests()[-1]
    assert received.signed and received.signature_valid
    assert received.sig_alg == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    assert received.issuer == world.entity_id


def test_encrypted_assertions_are_decrypted_and_required(world: World) -> None:
    world.idp.trust_sp(world.sp_metadata, encrypt_assertions=True)
    try:
        with httpx.Client() as browser:
            tokens = sign_in(world, browser, "sealed-user", provider="Sealed", email="e@corp.test")
        assert claims_of(tokens["id_token"])["cognito:username"] == "Sealed_sealed-user"
    finally:
        world.idp.trust_sp(world.sp_metadata)
    # A plain assertion for a provider with EncryptedResponses is refused.
    with httpx.Client() as browser:
        world.idp.sign_in_as("plain-user", email="p@corp.test")
        location, _ = to_idp(world, browser, "Sealed")
        response = post_to_acs(browser, *world.idp.sso_form(location))
    assert response.status_code == 302
    assert query(response.headers["location"])["error"] == "invalid_request"
    assert not [u for u in world.users() if u["Username"] == "Sealed_plain-user"]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.TAMPERED, "invalid_request"),
        (Fault.UNSIGNED, "invalid_request"),
        (Fault.EXPIRED, "invalid_request"),
        (Fault.OTHER_AUDIENCE, "invalid_request"),
        (Fault.FOREIGN_KEY, "invalid_request"),
        (Fault.WRONG_IN_RESPONSE_TO, "invalid_request"),
        (Fault.DENIED, "access_denied"),
    ],
)
def test_a_bad_response_is_an_error_for_the_app_and_makes_no_user(
    world: World, fault: Fault, error: str
) -> None:
    name = f"bad-{fault.value}"
    world.idp.sign_in_as(name, email=f"{name}@corp.test")
    with httpx.Client() as browser:
        location, _ = to_idp(world, browser)
        response = post_to_acs(browser, *world.idp.sso_form(location, fault=fault))
    assert response.status_code == 302, response.text[:300]
    back = query(response.headers["location"])
    assert response.headers["location"].startswith(CALLBACK)
    assert back["error"] == error and back["state"] == "app-state"
    assert not [u for u in world.users() if u["Username"] == f"Corp_{name}"]


def test_one_signature_suffices(world: World) -> None:
    for fault in (Fault.RESPONSE_ONLY_SIGNED, Fault.ASSERTION_ONLY_SIGNED):
        world.idp.sign_in_as(f"one-{fault.value}", email="one@corp.test")
        with httpx.Client() as browser:
            location, _ = to_idp(world, browser)
            response = post_to_acs(browser, *world.idp.sso_form(location, fault=fault))
        assert response.status_code == 302
        assert "code" in query(response.headers["location"]), response.headers["location"]


def test_an_answer_posted_twice_or_with_an_unknown_relay_state_is_refused(world: World) -> None:
    world.idp.sign_in_as("twice", email="twice@corp.test")
    with httpx.Client() as browser:
        location, _ = to_idp(world, browser)
        action, fields = world.idp.sso_form(location)
        assert post_to_acs(browser, action, fields).status_code == 302
        again = browser.post(action, data=fields)
        assert again.status_code == 400 and "text/html" in again.headers["content-type"]
        unknown = browser.post(action, data={**fields, "RelayState": "not-a-relay-state"})
        assert unknown.status_code == 400
        empty = browser.post(action, data={"RelayState": fields["RelayState"]})
        assert empty.status_code == 400


def test_the_answer_is_finished_once(world: World) -> None:
    world.idp.sign_in_as("once", email="once@corp.test")
    with httpx.Client() as browser:
        location, _ = to_idp(world, browser)
        action, fields = world.idp.sso_form(location)
        posted = browser.post(action, data=fields)
        assert posted.status_code == 303
        url = str(posted.url.join(posted.headers["location"]))
        assert "code" in query(browser.get(url).headers["location"])
        again = browser.get(url)  # the same sealed answer, opened again
    assert again.status_code == 302
    assert query(again.headers["location"])["error"] == "invalid_request"


def test_an_answer_finished_in_another_browser_is_refused(world: World) -> None:
    world.idp.sign_in_as("elsewhere", email="elsewhere@corp.test")
    with httpx.Client() as browser:
        location, _ = to_idp(world, browser)
        action, fields = world.idp.sso_form(location)
        posted = browser.post(action, data=fields)
    assert posted.status_code == 303
    with httpx.Client() as other:
        response = other.get(str(posted.url.join(posted.headers["location"])))
    assert response.status_code == 400 and "another" not in response.headers.get("location", "")
    assert not [u for u in world.users() if u["Username"] == "Corp_elsewhere"]


def _relay(world: World, provider: str) -> str:
    return urllib.parse.urlencode(
        {
            "identity_provider": provider,
            "client_id": world.client_id,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "openid email",
            # mamori asks public clients for PKCE whoever starts the sign-in.
            "code_challenge": pkce()[1],
            "code_challenge_method": "S256",
        }
    )


def test_idp_initiated_sign_in_when_the_provider_allows_it(world: World) -> None:
    world.idp.sign_in_as("portal-user", email="portal@corp.test")
    action, fields = world.idp.idp_initiated(world.entity_id, _relay(world, "Portal"))
    with httpx.Client() as browser:
        response = post_to_acs(browser, action, fields)
        assert response.status_code == 302, response.text[:300]
        assert "code" in query(response.headers["location"])
        # The same assertion again: a replay.
        replayed = post_to_acs(browser, action, fields)
    assert replayed.status_code == 302
    assert query(replayed.headers["location"])["error"] == "invalid_request"
    assert [u for u in world.users() if u["Username"] == "Portal_portal-user"]


def test_idp_initiated_sign_in_is_refused_unless_the_provider_allows_it(world: World) -> None:
    world.idp.sign_in_as("not-portal", email="np@corp.test")
    action, fields = world.idp.idp_initiated(world.entity_id, _relay(world, "Corp"))
    with httpx.Client() as browser:
        response = browser.post(action, data=fields)
    assert response.status_code == 400
    assert not [u for u in world.users() if u["Username"] == "Corp_not-portal"]


def _signed_in(world: World, browser: httpx.Client) -> bool:
    params = {
        "client_id": world.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "prompt": "none",
        "code_challenge": pkce()[1],
        "code_challenge_method": "S256",
    }
    response = browser.get(f"{world.base}/oauth2/authorize?{urllib.parse.urlencode(params)}")
    return "code" in query(response.headers["location"])


def test_logout_signs_out_at_the_idp_too(world: World) -> None:
    with httpx.Client() as browser:
        sign_in(world, browser, "leaving", email="leaving@corp.test")
        assert _signed_in(world, browser)
        params = {"client_id": world.client_id, "logout_uri": SIGNED_OUT}
        response = browser.get(f"{world.base}/logout?{urllib.parse.urlencode(params)}")
        assert response.status_code == 302
        location = response.headers["location"]
        assert location.startswith(f"{world.idp.url}/slo?")
        at_idp = browser.get(location)  # the IdP answers with its LogoutResponse
        assert at_idp.status_code == 302
        back = browser.get(at_idp.headers["location"])
        assert back.status_code == 302 and back.headers["location"] == SIGNED_OUT
        assert not _signed_in(world, browser)
    sent = world.idp.logout_requests()[-1]
    assert sent.signed and sent.signature_valid and sent.details["name_id"] == "leaving"
    assert sent.details["session_indexes"]


def test_the_idp_signs_the_user_out(world: World) -> None:
    with httpx.Client() as browser:
        sign_in(world, browser, "ended", email="ended@corp.test")
        assert _signed_in(world, browser)
        response = browser.get(world.idp.logout_from_idp(world.entity_id, "ended"))
        assert response.status_code == 302
        assert response.headers["location"].startswith(f"{world.idp.url}/slo?SAMLResponse=")
        assert not _signed_in(world, browser)
        forged = browser.get(f"{world.base}/saml2/logout?SAMLRequest=AAAA")
        assert forged.status_code == 400


def test_get_signing_certificate_for_an_unknown_pool(world: World, tmp_path: Path) -> None:
    admin = world.server.admin()
    with pytest.raises(admin.exceptions.ResourceNotFoundException):
        admin.get_signing_certificate(UserPoolId="us-east-1_doesnotexist")


def test_describe_adds_the_idps_endpoints_and_the_encryption_certificate(world: World) -> None:
    admin = world.server.admin()
    corp = admin.describe_identity_provider(UserPoolId=world.pool_id, ProviderName="Corp")
    details = corp["IdentityProvider"]["ProviderDetails"]
    assert details["SSORedirectBindingURI"] == f"{world.idp.url}/sso"
    assert details["SLORedirectBindingURI"] == f"{world.idp.url}/slo"
    assert "ActiveEncryptionCertificate" not in details
    sealed = admin.describe_identity_provider(UserPoolId=world.pool_id, ProviderName="Sealed")
    certificate = sealed["IdentityProvider"]["ProviderDetails"]["ActiveEncryptionCertificate"]
    assert (
        certificate in world.sp_metadata
        and certificate != (admin.get_signing_certificate(UserPoolId=world.pool_id)["Certificate"])
    )
    # Sent back in an update, the read-only keys are dropped, not refused.
    admin.update_identity_provider(
        UserPoolId=world.pool_id,
        ProviderName="Sealed",
        ProviderDetails=sealed["IdentityProvider"]["ProviderDetails"],
    )


def test_an_idp_whose_metadata_cannot_be_read_is_a_server_error_for_the_app(
    world: World,
) -> None:
    admin = world.server.admin()
    dead = f"http://127.0.0.1:{free_port()}/metadata"
    _provider(admin, world.pool_id, "Gone", MetadataURL=dead)
    try:
        admin.update_user_pool_client(
            UserPoolId=world.pool_id,
            ClientId=world.client_id,
            SupportedIdentityProviders=["COGNITO", "Corp", "Gone"],
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["openid", "email", "profile"],
            CallbackURLs=[CALLBACK],
        )
        with httpx.Client() as browser:
            response = browser.get(authorize_url(world, pkce()[1], "Gone"))
        assert response.status_code == 302
        assert query(response.headers["location"])["error"] == "server_error"
        described = admin.describe_identity_provider(UserPoolId=world.pool_id, ProviderName="Gone")
        assert "SSORedirectBindingURI" not in described["IdentityProvider"]["ProviderDetails"]
    finally:
        admin.update_user_pool_client(
            UserPoolId=world.pool_id,
            ClientId=world.client_id,
            SupportedIdentityProviders=["COGNITO", "Corp", "Signed", "Sealed", "Portal", "ByUid"],
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["openid", "email", "profile"],
            CallbackURLs=[CALLBACK],
            LogoutURLs=[SIGNED_OUT],
        )
        admin.delete_identity_provider(UserPoolId=world.pool_id, ProviderName="Gone")


def test_a_logout_request_not_signed_by_the_idp_ends_nothing(world: World, tmp_path: Path) -> None:
    foreign = key_and_cert(tmp_path, "foreign")[2]
    with httpx.Client() as browser:
        sign_in(world, browser, "staying", email="staying@corp.test")
        genuine = world.idp.logout_from_idp(world.entity_id, "staying")
        xml = inflate(dict(httpx.URL(genuine).params)["SAMLRequest"])
        for key in (foreign, None):
            forged = redirect_url(f"{world.base}/saml2/logout", "SAMLRequest", xml, None, key)
            assert browser.get(forged).status_code == 400
            assert _signed_in(world, browser)
        assert browser.get(genuine).status_code == 302
        assert not _signed_in(world, browser)


def test_a_linked_saml_identity_signs_in_as_the_existing_user(world: World) -> None:
    admin = world.server.admin()
    admin.admin_create_user(
        UserPoolId=world.pool_id,
        Username="carol",
        UserAttributes=[{"Name": "email", "Value": "carol@corp.test"}],
        MessageAction="SUPPRESS",
    )
    admin.admin_link_provider_for_user(
        UserPoolId=world.pool_id,
        DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": "carol"},
        SourceUser={
            "ProviderName": "Corp",
            "ProviderAttributeName": "Cognito_Subject",
            "ProviderAttributeValue": "carol-at-idp",
        },
    )
    carol = admin.admin_get_user(UserPoolId=world.pool_id, Username="carol")
    sub = next(a["Value"] for a in carol["UserAttributes"] if a["Name"] == "sub")
    with httpx.Client() as browser:
        tokens = sign_in(world, browser, "carol-at-idp", email="carol@corp.test")
    claims = claims_of(tokens["id_token"])
    assert claims["sub"] == sub and claims["cognito:username"] == "carol"
    assert claims["identities"][0]["providerType"] == "SAML"
    assert not [u for u in world.users() if u["Username"] == "Corp_carol-at-idp"]
