"""Signing in through an OpenID Connect provider, end to end over HTTP: a live `mamori serve`,
panva's oidc-provider standing in for the provider (tests/support/oidc_stand_in.py), and an
httpx client as the browser. /oauth2/authorize?identity_provider= goes to the provider with
state, nonce and PKCE; /oauth2/idpresponse finishes with mamori's code; the federated user is
made as Cognito makes it, and refreshed at the next sign-in; a bad answer makes no user."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.factories import (
    make_code_client,
    make_google_provider,
    make_oidc_provider,
    make_pool,
)
from tests.support.hosted import forms_of
from tests.support.live import Server, federation_env, free_port, run_server
from tests.support.oauth import redeem_code
from tests.support.oidc_stand_in import StandIn, client, google_endpoints, oidc_stand_in

CALLBACK = "http://localhost:3000/callback"
PROVIDER = "Corp"


@dataclass
class World:
    server: Server
    pool_id: str
    client_id: str
    provider: StandIn

    @property
    def base(self) -> str:
        return f"{self.server.url}/{self.pool_id}"

    def users(self) -> list[dict[str, Any]]:
        return list(self.server.admin().list_users(UserPoolId=self.pool_id)["Users"])


@pytest.fixture(scope="module")
def world(sqlite_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    server = sqlite_server
    admin = server.admin()
    pool_id = str(make_pool(server, Schema=[{"Name": "team", "AttributeDataType": "String"}])["Id"])
    admin.create_user_pool_domain(Domain=f"fed-{secrets.token_hex(4)}", UserPoolId=pool_id)
    secret = secrets.token_urlsafe(24)
    redirect = f"{server.url}/{pool_id}/oauth2/idpresponse"
    with oidc_stand_in(
        tmp_path_factory.mktemp("oidc"), [client("mamori-rp", secret, [redirect])]
    ) as provider:
        make_oidc_provider(
            server,
            pool_id,
            PROVIDER,
            "mamori-rp",
            secret,
            provider.issuer,
            AttributeMapping={
                "email": "email",
                "email_verified": "email_verified",
                "name": "name",
                "custom:team": "team",
            },
            IdpIdentifiers=["corp.example"],
        )
        client_id = make_code_client(server, pool_id, CALLBACK, ["COGNITO", PROVIDER])
        yield World(server, pool_id, client_id, provider)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def browse(browser: httpx.Client, url: str, stop: str) -> httpx.Response:
    """Follow redirects until one points at a URL starting with `stop` (not fetched) or a
    page answers."""
    response = browser.get(url)
    for _ in range(10):
        location = response.headers.get("location")
        if response.status_code not in (302, 303) or location is None:
            return response
        target = str(response.url.join(location))
        if target.startswith(stop):
            return response
        response = browser.get(target)
    raise AssertionError("too many redirects")


def authorize_url(world: World, challenge: str, **extra: str) -> str:
    params = {
        "client_id": world.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid email profile",
        "state": "app-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "identity_provider": PROVIDER,
        **extra,
    }
    given = {k: v for k, v in params.items() if v}
    return f"{world.base}/oauth2/authorize?{urllib.parse.urlencode(given)}"


def sign_in(world: World, browser: httpx.Client, **extra: str) -> dict[str, Any]:
    """The whole dance; the tokens mamori's code is redeemed for."""
    verifier, challenge = pkce()
    response = browse(browser, authorize_url(world, challenge, **extra), CALLBACK)
    assert response.status_code == 302, response.text[:500]
    back = query(response.headers["location"])
    assert back["state"] == "app-state" and "code" in back, back
    return redeem_code(world.base, world.client_id, back["code"], CALLBACK, verifier)


def test_the_authorize_redirect_carries_state_nonce_and_pkce(world: World) -> None:
    with httpx.Client() as browser:
        response = browser.get(authorize_url(world, pkce()[1]))
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(f"{world.provider.issuer}/auth?")
    sent = query(location)
    assert sent["client_id"] == "mamori-rp"
    assert sent["redirect_uri"] == f"{world.base}/oauth2/idpresponse"
    assert sent["response_type"] == "code" and sent["scope"] == "openid email profile"
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert len(sent["nonce"]) >= 32
    # The state is sealed: none of the client's request shows through it.
    assert world.client_id not in sent["state"] and "app-state" not in sent["state"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("mamori_federation=") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()


def test_first_and_second_sign_in_make_then_refresh_the_user(world: World) -> None:
    world.provider.sign_in_as(
        "alice-1", email="alice@corp.example", email_verified=True, name="Alice", team="blue"
    )
    with httpx.Client() as browser:
        tokens = sign_in(world, browser)
        # The hosted-login session it started signs the same browser in again at once.
        again = browser.get(authorize_url(world, pkce()[1], identity_provider=""))
        assert again.status_code == 302 and "code" in query(again.headers["location"])
    claims = claims_of(tokens["id_token"])
    username = f"{PROVIDER}_alice-1"
    assert claims["cognito:username"] == username
    assert claims["email"] == "alice@corp.example" and claims["name"] == "Alice"
    assert claims["cognito:groups"] == [f"{world.pool_id}_{PROVIDER}"]
    [identity] = claims["identities"]
    assert identity["userId"] == "alice-1" and identity["providerName"] == PROVIDER
    assert identity["providerType"] == "OIDC" and identity["issuer"] == world.provider.issuer
    assert identity["primary"] == "true" and identity["dateCreated"].isdigit()

    admin = world.server.admin()
    user = admin.admin_get_user(UserPoolId=world.pool_id, Username=username)
    assert user["UserStatus"] == "EXTERNAL_PROVIDER" and user["Enabled"]
    attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attrs["custom:team"] == "blue" and attrs["email_verified"] == "true"
    assert json.loads(attrs["identities"])[0]["userId"] == "alice-1"
    groups = admin.admin_list_groups_for_user(UserPoolId=world.pool_id, Username=username)
    assert [g["GroupName"] for g in groups["Groups"]] == [f"{world.pool_id}_{PROVIDER}"]

    # The second sign-in (a new browser, by idp_identifier) refreshes the mapped attributes.
    world.provider.sign_in_as(
        "alice-1", email="alice@corp.example", email_verified=True, name="Alice B", team="red"
    )
    with httpx.Client() as browser:
        again = sign_in(world, browser, identity_provider="", idp_identifier="corp.example")
    second = claims_of(again["id_token"])
    assert second["sub"] == claims["sub"] and second["name"] == "Alice B"
    assert second["identities"] == claims["identities"]
    attrs = {
        a["Name"]: a["Value"]
        for a in admin.admin_get_user(UserPoolId=world.pool_id, Username=username)["UserAttributes"]
    }
    assert attrs["name"] == "Alice B" and attrs["custom:team"] == "red"
    assert [u["Username"] for u in world.users()].count(username) == 1


def provider_answer(world: World, browser: httpx.Client) -> str:
    """The provider's redirect back to /oauth2/idpresponse (not followed)."""
    response = browse(browser, authorize_url(world, pkce()[1]), f"{world.base}/oauth2/idpresponse")
    assert response.status_code in (302, 303), response.text[:300]
    return str(response.url.join(response.headers["location"]))


def test_a_state_from_another_browser_or_tampered_makes_no_user(world: World) -> None:
    world.provider.sign_in_as("mallory-1", email="m@corp.example", name="M")
    with httpx.Client() as victim:
        answer = provider_answer(world, victim)
    # Another browser (no federation cookie) can't finish it.
    with httpx.Client() as other:
        page = other.get(answer)
    assert page.status_code == 400 and "invalid_request" in page.text
    assert "not started in this browser" in page.text
    # Nor can a tampered state, in the browser that started it.
    with httpx.Client() as browser:
        answer = provider_answer(world, browser)
        params = query(answer)
        params["state"] = params["state"][:-4] + "AAAA"
        page = browser.get(f"{world.base}/oauth2/idpresponse?{urllib.parse.urlencode(params)}")
    assert page.status_code == 400 and "invalid_request" in page.text
    assert not [u for u in world.users() if u["Username"] == f"{PROVIDER}_mallory-1"]


def test_a_provider_error_goes_back_to_the_client(world: World) -> None:
    world.provider.deny()
    with httpx.Client() as browser:
        response = browse(browser, authorize_url(world, pkce()[1]), CALLBACK)
    assert response.status_code == 302
    back = query(response.headers["location"])
    assert back["error"] == "access_denied" and back["state"] == "app-state"


def test_a_replayed_answer_is_refused(world: World) -> None:
    world.provider.sign_in_as("bob-1", email="bob@corp.example", name="Bob")
    with httpx.Client() as browser:
        answer = provider_answer(world, browser)
        first = browser.get(answer)
        assert first.status_code == 302 and "code=" in first.headers["location"]
        # The same code and state again: the provider refuses the used code.
        replay = browser.get(answer)
    assert replay.status_code == 302
    back = query(replay.headers["location"])
    assert back["error"] in ("server_error", "invalid_request") and "code" not in back


def test_the_login_page_has_a_button_per_provider(world: World) -> None:
    params = {
        "client_id": world.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "s",
        "code_challenge": pkce()[1],
        "code_challenge_method": "S256",
    }
    page = httpx.get(f"{world.base}/login?{urllib.parse.urlencode(params)}")
    assert page.status_code == 200
    assert f'data-provider="{PROVIDER}"' in page.text and "Sign in with Corp" in page.text
    start = page.text.index('data-provider="Corp"')
    href = page.text[page.text.rindex('href="', 0, start) + 6 :]
    href = href[: href.index('"')].replace("&amp;", "&")
    assert query(href)["identity_provider"] == PROVIDER and query(href)["state"] == "s"
    with httpx.Client() as browser:
        response = browser.get(href)
    assert response.status_code == 302
    assert response.headers["location"].startswith(world.provider.issuer)


def test_a_corporate_email_goes_to_the_provider_of_its_domain(world: World) -> None:
    params = {
        "client_id": world.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "s",
        "code_challenge": pkce()[1],
        "code_challenge_method": "S256",
    }
    login = f"{world.base}/login?{urllib.parse.urlencode(params)}"
    with httpx.Client() as browser:
        page = browser.get(login)
        [form] = [
            f for f in forms_of(page.text) if f.action.startswith(f"{world.base}/login/corporate")
        ]
        assert "corporate_email" in form.fields
        # The domain matches whatever its case; the request goes on by idp_identifier.
        answer = browser.post(
            form.action, data={**form.fields, "corporate_email": "Dana@CORP.example"}
        )
        assert answer.status_code == 303
        onward = answer.headers["location"]
        assert onward.startswith(f"{world.base}/login/corporate?")
        assert query(onward)["idp_identifier"] == "corp.example" and query(onward)["state"] == "s"
        # A page that goes on by itself (a refresh: a form's redirects are held to its CSP
        # form-action, which can't name the provider) to /oauth2/authorize, and so there.
        page = browser.get(onward)
        found = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', page.text)
        assert page.status_code == 200 and found, page.text[:2000]
        target = html.unescape(found.group(1))
        assert target.startswith(f"{world.base}/oauth2/authorize?")
        assert query(target)["idp_identifier"] == "corp.example"
        assert browser.get(target).headers["location"].startswith(world.provider.issuer)
        # An address no provider signs in: the login page again, saying so.
        page = browser.post(form.action, data={**form.fields, "corporate_email": "x@other.example"})
    assert page.status_code == 400
    assert "No identity provider signs in this email address" in page.text


def test_google_signs_in_with_its_id_token_claims(tmp_path: Path) -> None:
    """Google is OIDC at Google's endpoints: the stand-in takes their place through the
    federation_endpoints setting; the attributes come from the ID token (no userinfo)."""
    port = free_port()
    google = f"http://127.0.0.1:{port}"
    env = federation_env(google_endpoints(google))
    with run_server(tmp_path, "sqlite", extra_env=env) as server:
        admin = server.admin()
        pool_id = str(make_pool(server)["Id"])
        admin.create_user_pool_domain(Domain=f"g-{secrets.token_hex(4)}", UserPoolId=pool_id)
        secret = secrets.token_urlsafe(24)
        redirect = f"{server.url}/{pool_id}/oauth2/idpresponse"
        with oidc_stand_in(
            tmp_path, [client("app.apps.googleusercontent.com", secret, [redirect])], port
        ) as provider:
            make_google_provider(server, pool_id, "app.apps.googleusercontent.com", secret)
            client_id = make_code_client(server, pool_id, CALLBACK, ["Google"])
            world = World(server, pool_id, client_id, provider)
            provider.sign_in_as("10769150350006150715113082367", email="g@gmail.example", name="G")
            with httpx.Client() as browser:
                tokens = sign_in(world, browser, identity_provider="Google")
    claims = claims_of(tokens["id_token"])
    assert claims["cognito:username"] == "Google_10769150350006150715113082367"
    assert claims["email"] == "g@gmail.example" and claims["name"] == "G"
    assert claims["identities"][0]["providerType"] == "Google"
    assert claims["identities"][0]["issuer"] == google
    assert claims["cognito:groups"] == [f"{pool_id}_Google"]
