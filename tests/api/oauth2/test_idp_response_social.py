"""Signing in through Facebook and Login with Amazon, end to end over HTTP: a live
`mamori serve` whose federation_endpoints point at small OAuth 2.0 stand-ins
(tests/support/social_stand_in.py), and an httpx client as the browser. /oauth2/authorize
sends the browser to the provider's authorize URL; /oauth2/idpresponse redeems the code with
the client secret, reads the profile (Graph /me with the mapped fields at the provider's
api_version; Amazon's /user/profile) and finishes with mamori's code, the user made as Cognito
makes it (Facebook_<id>, LoginWithAmazon_<user_id>) and refreshed at the next sign-in."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from tests.api.oauth2.test_idp_response import (
    CALLBACK,
    World,
    authorize_url,
    browse,
    claims_of,
    pkce,
    query,
    sign_in,
)
from tests.support.factories import make_code_client, make_pool
from tests.support.live import federation_env, run_server
from tests.support.social_stand_in import SocialStandIn, social_stand_in


@dataclass
class Social:
    world: World
    facebook: SocialStandIn
    amazon: SocialStandIn


@pytest.fixture(scope="module")
def social(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Social]:
    with (
        social_stand_in("facebook", "fb-app-1", secrets.token_urlsafe(16)) as facebook,
        social_stand_in(
            "amazon", "amzn1.application-oa2-client.1", secrets.token_urlsafe(16)
        ) as amazon,
    ):
        env = federation_env({**facebook.endpoints(), **amazon.endpoints()})
        with run_server(tmp_path_factory.mktemp("social"), "sqlite", extra_env=env) as server:
            admin = server.admin()
            pool_id = str(make_pool(server)["Id"])
            admin.create_user_pool_domain(Domain=f"s-{secrets.token_hex(4)}", UserPoolId=pool_id)
            admin.create_identity_provider(
                UserPoolId=pool_id,
                ProviderName="Facebook",
                ProviderType="Facebook",
                ProviderDetails={
                    "client_id": facebook.client_id,
                    "client_secret": facebook.client_secret,
                    "authorize_scopes": "public_profile,email",
                    "api_version": "v19.0",
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
            client_id = make_code_client(server, pool_id, CALLBACK, ["Facebook", "LoginWithAmazon"])
            # World's provider is the OIDC stand-in's; these tests never read it.
            world = World(server, pool_id, client_id, None)  # type: ignore[arg-type]
            yield Social(world, facebook, amazon)


def attributes(world: World, username: str) -> tuple[str, dict[str, str]]:
    user = world.server.admin().admin_get_user(UserPoolId=world.pool_id, Username=username)
    return user["UserStatus"], {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def test_facebook_authorize_redirect(social: Social) -> None:
    world = social.world
    with httpx.Client() as browser:
        response = browser.get(authorize_url(world, pkce()[1], identity_provider="Facebook"))
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(f"{social.facebook.url}/v19.0/dialog/oauth?")
    sent = query(location)
    assert sent["client_id"] == "fb-app-1" and sent["response_type"] == "code"
    assert sent["redirect_uri"] == f"{world.base}/oauth2/idpresponse"
    assert sent["scope"] == "public_profile,email"
    assert world.client_id not in sent["state"] and "app-state" not in sent["state"]
    assert response.headers["set-cookie"].startswith("mamori_federation=")


def test_facebook_first_and_second_sign_in(social: Social) -> None:
    world, facebook = social.world, social.facebook
    facebook.sign_in_as(id="10158", email="fb@example.com", name="Fay", birthday="01/01/1990")
    with httpx.Client() as browser:
        tokens = sign_in(world, browser, identity_provider="Facebook")
    claims = claims_of(tokens["id_token"])
    assert claims["cognito:username"] == "Facebook_10158"
    assert claims["email"] == "fb@example.com" and claims["name"] == "Fay"
    assert claims["cognito:groups"] == [f"{world.pool_id}_Facebook"]
    [identity] = claims["identities"]
    assert identity["providerType"] == "Facebook" and identity["userId"] == "10158"
    assert identity["providerName"] == "Facebook" and identity["issuer"] is None
    # The code was redeemed with the app's secret at the token URL of the api_version.
    redeemed = facebook.token_requests[-1]
    assert redeemed["client_secret"] == facebook.client_secret
    assert redeemed["redirect_uri"] == f"{world.base}/oauth2/idpresponse"
    # Graph /me at the version, asking for the subject's and the mapped fields only.
    asked = facebook.profile_requests[-1]
    assert asked.startswith(f"{facebook.url}/v19.0/me?fields=")
    assert sorted(query(asked)["fields"].split(",")) == ["email", "id", "name"]
    assert "access_token" not in query(asked)  # the token goes in the Authorization header

    facebook.sign_in_as(id="10158", email="fb@example.com", name="Fay Renamed")
    with httpx.Client() as browser:
        again = claims_of(sign_in(world, browser, identity_provider="Facebook")["id_token"])
    assert again["sub"] == claims["sub"] and again["name"] == "Fay Renamed"
    status, attrs = attributes(world, "Facebook_10158")
    assert status == "EXTERNAL_PROVIDER" and attrs["name"] == "Fay Renamed"


def test_amazon_sign_in(social: Social) -> None:
    world, amazon = social.world, social.amazon
    user_id = "amzn1.account.AH5Z6EXAMPLE"
    amazon.sign_in_as(user_id=user_id, email="a@example.com", name="Ama", postal_code="98101")
    with httpx.Client() as browser:
        response = browser.get(authorize_url(world, pkce()[1], identity_provider="LoginWithAmazon"))
        sent = query(response.headers["location"])
        assert response.headers["location"].startswith(f"{amazon.url}/ap/oa?")
        assert sent["scope"] == "profile postal_code" and sent["client_id"] == amazon.client_id
        tokens = sign_in(world, browser, identity_provider="LoginWithAmazon")
    claims = claims_of(tokens["id_token"])
    assert claims["cognito:username"] == f"LoginWithAmazon_{user_id}"
    assert claims["email"] == "a@example.com" and claims["name"] == "Ama"
    assert claims["identities"][0]["providerType"] == "LoginWithAmazon"
    assert amazon.token_requests[-1]["grant_type"] == "authorization_code"
    assert amazon.profile_requests[-1] == f"{amazon.url}/user/profile"
    status, attrs = attributes(world, f"LoginWithAmazon_{user_id}")
    assert status == "EXTERNAL_PROVIDER" and attrs["address"] == "98101"


def users_named(world: World, prefix: str) -> list[Any]:
    return [u for u in world.users() if u["Username"].startswith(prefix)]


def test_a_denied_sign_in_goes_back_to_the_client(social: Social) -> None:
    world = social.world
    social.amazon.deny = True
    try:
        with httpx.Client() as browser:
            response = browse(
                browser,
                authorize_url(world, pkce()[1], identity_provider="LoginWithAmazon"),
                CALLBACK,
            )
    finally:
        social.amazon.deny = False
    back = query(response.headers["location"])
    assert back["error"] == "access_denied" and back["state"] == "app-state"


def test_a_refused_code_or_profile_makes_no_user(social: Social) -> None:
    world, facebook = social.world, social.facebook
    facebook.sign_in_as(id="20001", name="Nobody")
    secret, facebook.client_secret = facebook.client_secret, "rotated"
    try:
        with httpx.Client() as browser:
            response = browse(
                browser,
                authorize_url(world, pkce()[1], identity_provider="Facebook"),
                CALLBACK,
            )
    finally:
        facebook.client_secret = secret
    back = query(response.headers["location"])
    assert back["error"] == "server_error" and back["state"] == "app-state"
    # A profile without the subject's claim: refused, no user either.
    facebook.sign_in_as(name="No Id")
    with httpx.Client() as browser:
        response = browse(
            browser, authorize_url(world, pkce()[1], identity_provider="Facebook"), CALLBACK
        )
    assert query(response.headers["location"])["error"] == "invalid_request"
    assert users_named(world, "Facebook_20001") == []


def test_a_state_from_another_browser_makes_no_user(social: Social) -> None:
    world, amazon = social.world, social.amazon
    amazon.sign_in_as(user_id="amzn1.account.OTHER", name="Mallory")
    with httpx.Client() as victim:
        first = victim.get(authorize_url(world, pkce()[1], identity_provider="LoginWithAmazon"))
        provider_back = victim.get(first.headers["location"]).headers["location"]
    with httpx.Client() as attacker:
        page = attacker.get(provider_back)
    assert page.status_code == 400 and "not started in this browser" in page.text
    assert users_named(world, "LoginWithAmazon_amzn1.account.OTHER") == []
