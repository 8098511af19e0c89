"""Sign in with Apple through the user pool's domain, end to end over HTTP: a live `mamori serve`
whose federation_endpoints point at an Apple stand-in (tests/support/apple_stand_in.py), and an
httpx client as the browser. /oauth2/authorize sends the browser to Apple with form_post, the
scopes and a nonce; Apple's answer is a cross-site POST to /oauth2/idpresponse, which a browser
sends without the SameSite=Lax federation cookie (here: a request without cookies), answered
303 to the GET that carries it; the code is redeemed with the ES256 client secret, the ID token
verified, and SignInWithApple_<sub> made with the name from Apple's `user` JSON, then refreshed."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from tests.api.oauth2.test_idp_response import (
    CALLBACK,
    World,
    authorize_url,
    claims_of,
    pkce,
    query,
)
from tests.support.apple_stand_in import AppleStandIn, apple_stand_in
from tests.support.factories import make_code_client, make_pool
from tests.support.live import federation_env, run_server
from tests.support.oauth import redeem_code

APPLE = "SignInWithApple"


@dataclass
class Site:
    world: World
    apple: AppleStandIn


def p8(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    key = ec.generate_private_key(ec.SECP256R1())
    with apple_stand_in("com.example.web", "TEAM123456", "KEY7654321", key.public_key()) as apple:
        env = federation_env(apple.endpoints())
        with run_server(tmp_path_factory.mktemp("apple"), "sqlite", extra_env=env) as server:
            admin = server.admin()
            pool_id = str(make_pool(server)["Id"])
            admin.create_user_pool_domain(Domain=f"a-{secrets.token_hex(4)}", UserPoolId=pool_id)
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
                AttributeMapping={
                    "email": "email",
                    "email_verified": "email_verified",
                    "name": "name",
                    "given_name": "firstName",
                    "family_name": "lastName",
                },
            )
            client_id = make_code_client(server, pool_id, CALLBACK, ["COGNITO", APPLE])
            world = World(server, pool_id, client_id, None)  # type: ignore[arg-type]
            yield Site(world, apple)


def to_apple(site: Site, browser: httpx.Client) -> str:
    """/oauth2/authorize through Apple: the stand-in's authorize URL mamori redirects to."""
    response = browser.get(authorize_url(site.world, pkce()[1], identity_provider=APPLE))
    assert response.status_code == 302, response.text[:500]
    return str(response.headers["location"])


def posted_back(site: Site, browser: httpx.Client) -> httpx.Response:
    """Apple's form_post as a browser sends it cross-site (no SameSite=Lax cookie), then the
    303's GET in the browser (with it): mamori's answer to that GET."""
    action, fields = site.apple.answer(to_apple(site, browser))
    assert action == f"{site.world.base}/oauth2/idpresponse"
    bounce = httpx.post(action, data=fields)  # no cookies: the POST is cross-site
    assert bounce.status_code == 303, bounce.text[:500]
    location = bounce.headers["location"]
    assert location.startswith(f"{action}?answer=") and "code" not in query(location)
    return browser.get(location)


def apple_sign_in(site: Site, browser: httpx.Client) -> dict[str, Any]:
    verifier, challenge = pkce()
    response = browser.get(authorize_url(site.world, challenge, identity_provider=APPLE))
    action, fields = site.apple.answer(response.headers["location"])
    back = browser.get(httpx.post(action, data=fields).headers["location"])
    assert back.status_code == 302, back.text[:500]
    answer = query(back.headers["location"])
    assert back.headers["location"].startswith(CALLBACK) and answer["state"] == "app-state"
    tokens = redeem_code(site.world.base, site.world.client_id, answer["code"], CALLBACK, verifier)
    return claims_of(tokens["id_token"])


def attributes(site: Site, username: str) -> dict[str, str]:
    admin = site.world.server.admin()
    user = admin.admin_get_user(UserPoolId=site.world.pool_id, Username=username)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def apple_users(site: Site, sub: str) -> list[Any]:
    return [u for u in site.world.users() if u["Username"] == f"{APPLE}_{sub}"]


def test_the_authorize_redirect_asks_apple_for_a_form_post(site: Site) -> None:
    with httpx.Client() as browser:
        response = browser.get(authorize_url(site.world, pkce()[1], identity_provider=APPLE))
    location = response.headers["location"]
    assert response.status_code == 302
    assert location.startswith(f"{site.apple.url}/auth/authorize?")
    sent = query(location)
    assert sent["client_id"] == "com.example.web" and sent["response_type"] == "code"
    assert sent["redirect_uri"] == f"{site.world.base}/oauth2/idpresponse"
    assert sent["response_mode"] == "form_post" and sent["scope"] == "name email"
    assert len(sent["nonce"]) >= 32 and sent["state"]
    # Apple documents no PKCE: none is sent.
    assert "code_challenge" not in sent and "code_challenge_method" not in sent
    assert response.headers["set-cookie"].lower().startswith("mamori_federation=")
    assert "samesite=lax" in response.headers["set-cookie"].lower()


def test_first_then_second_sign_in(site: Site) -> None:
    apple = site.apple
    apple.sign_in_as("001234.abcd.0042", email="ann@example.com", first_name="Ann", last_name="Ash")
    with httpx.Client() as browser:
        claims = apple_sign_in(site, browser)
    username = f"{APPLE}_001234.abcd.0042"
    assert claims["cognito:username"] == username
    assert claims["name"] == "Ann Ash" and claims["given_name"] == "Ann"
    assert claims["family_name"] == "Ash" and claims["email"] == "ann@example.com"
    assert claims["cognito:groups"] == [f"{site.world.pool_id}_{APPLE}"]
    [identity] = claims["identities"]
    assert identity["providerType"] == APPLE and identity["providerName"] == APPLE
    assert identity["userId"] == "001234.abcd.0042"
    assert identity["issuer"] == "https://appleid.apple.com"
    # Redeemed with a client secret the stand-in verified (ES256 by the team's key), no PKCE.
    redeemed = apple.token_requests[-1]
    assert redeemed["grant_type"] == "authorization_code" and "code_verifier" not in redeemed
    assert redeemed["redirect_uri"] == f"{site.world.base}/oauth2/idpresponse"
    secret = apple.secret_claims[-1]
    assert secret["iss"] == "TEAM123456" and secret["sub"] == "com.example.web"
    assert 0 < secret["exp"] - secret["iat"] <= 300
    attrs = attributes(site, username)
    assert attrs["email_verified"] == "true" and attrs["name"] == "Ann Ash"

    # Apple sends the `user` JSON at the first authorization only: the name stays, the email
    # (from the ID token) is written again.
    apple.sign_in_as("001234.abcd.0042", email="ann@privaterelay.appleid.com", first_name="X")
    with httpx.Client() as browser:
        again = apple_sign_in(site, browser)
    assert again["sub"] == claims["sub"] and again["email"] == "ann@privaterelay.appleid.com"
    assert again["name"] == "Ann Ash" and again["given_name"] == "Ann"
    attrs = attributes(site, username)
    assert attrs["email"] == "ann@privaterelay.appleid.com" and attrs["family_name"] == "Ash"


def test_a_cancelled_sign_in_goes_back_to_the_app(site: Site) -> None:
    site.apple.sign_in_as("cancel.1", email="c@example.com", first_name="C")
    site.apple.deny = True
    with httpx.Client() as browser:
        back = posted_back(site, browser)
    assert back.status_code == 302 and back.headers["location"].startswith(CALLBACK)
    answer = query(back.headers["location"])
    assert answer["error"] == "access_denied" and answer["state"] == "app-state"
    assert apple_users(site, "cancel.1") == []


@pytest.mark.parametrize(
    "knob", [{"forge": True}, {"audience": "com.example.other"}, {"nonce": "another-sign-in"}]
)
def test_an_id_token_mamori_cannot_trust_makes_no_user(site: Site, knob: dict[str, Any]) -> None:
    sub = f"bad.{secrets.token_hex(3)}"
    site.apple.sign_in_as(sub, email="m@example.com", first_name="Mallory")
    for name, value in knob.items():
        setattr(site.apple, name, value)
    with httpx.Client() as browser:
        back = posted_back(site, browser)
    assert back.status_code == 302
    answer = query(back.headers["location"])
    assert answer["error"] == "invalid_request" and answer["state"] == "app-state"
    assert apple_users(site, sub) == []


def test_apple_refusing_the_client_secret_is_a_server_error(site: Site) -> None:
    site.apple.sign_in_as("secret.1", email="s@example.com")
    kept, site.apple.client_key = (
        site.apple.client_key,
        ec.generate_private_key(ec.SECP256R1()).public_key(),
    )
    try:
        with httpx.Client() as browser:
            back = posted_back(site, browser)
    finally:
        site.apple.client_key = kept
    assert query(back.headers["location"])["error"] == "server_error"
    assert apple_users(site, "secret.1") == []


def test_an_answer_from_another_browser_is_the_error_page(site: Site) -> None:
    site.apple.sign_in_as("csrf.1", email="victim@example.com", first_name="Eve")
    with httpx.Client() as attacker:
        action, fields = site.apple.answer(to_apple(site, attacker))
    # The attacker's own answer, posted from the victim's browser (login CSRF): the 303's GET
    # carries the victim's cookie, or none, never the attacker's.
    bounce = httpx.post(action, data=fields)
    with httpx.Client() as victim:
        to_apple(site, victim)  # the victim has a federation cookie of its own
        page = victim.get(bounce.headers["location"])
    assert page.status_code == 400 and "not started in this browser" in page.text
    assert apple_users(site, "csrf.1") == []


def test_posted_answers_mamori_does_not_carry_are_the_error_page(site: Site) -> None:
    idp_response = f"{site.world.base}/oauth2/idpresponse"
    too_large = httpx.post(idp_response, data={"code": "c", "user": "x" * 40_000})
    assert too_large.status_code == 413 and "too large" in too_large.text
    long_code = httpx.post(idp_response, data={"code": "c" * 2000, "state": "s"})
    assert long_code.status_code == 400 and "too large" in long_code.text
    not_a_form = httpx.post(idp_response, json={"code": "c"})
    assert not_a_form.status_code == 415
    repeated = httpx.post(
        idp_response,
        content=b"code=a&code=b",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert repeated.status_code == 400 and "more than once" in repeated.text
    unreadable = httpx.post(
        idp_response,
        content=b"code=%ff%fe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert unreadable.status_code == 400
    # A sealed answer that isn't one, or comes with other parameters.
    forged = httpx.get(idp_response, params={"answer": "A" * 200})
    assert forged.status_code == 400 and "not started in this browser" in forged.text
    bounce = httpx.post(idp_response, data={"code": "c", "state": "s"})
    mixed = httpx.get(bounce.headers["location"] + "&state=s")
    assert mixed.status_code == 400 and "comes alone" in mixed.text
