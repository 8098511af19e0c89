"""API Gateway HTTP API's JWT authorizer against mamori, as far as it can be checked here: AWS's
documented steps (docs/integrations.md lists them with their sources) played against a live
server's discovery document and real tokens, with `public_url` an HTTPS name as a deployment
needs (the test reaches that name on loopback, as DNS would send API Gateway to mamori). What
cannot be checked here: that API Gateway reaches the issuer over the public internet."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from tests.support.gateways import SCOPE, Issuer, make_issuer
from tests.support.identity import pool_signing_key, resign
from tests.support.live import run_server

PUBLIC_URL = "https://id.example.test"


class Denied(Exception):
    """The authorizer refuses the request (API Gateway answers 401)."""


@dataclass
class World:
    issuer: Issuer
    loopback: str  # where PUBLIC_URL's host "resolves" in this test

    @property
    def public_issuer(self) -> str:
        return f"{PUBLIC_URL}/{self.issuer.pool_id}"

    def fetch(self, url: str) -> dict[str, Any]:
        """GET a URL under PUBLIC_URL from the live server (the name's DNS is ours here)."""
        assert url.startswith(PUBLIC_URL + "/"), url
        answer = httpx.get(self.loopback + url[len(PUBLIC_URL) :], timeout=10)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("apigw-jwt")
    with run_server(tmp, "sqlite", extra_env={"MAMORI_PUBLIC_URL": PUBLIC_URL}) as server:
        yield World(make_issuer(server), server.url)


def authorize(
    world: World, token: str, issuer: str, audience: list[str], route_scopes: list[str]
) -> dict[str, Any]:
    """The HTTP API JWT authorizer's workflow as AWS documents it (http-api-jwt-authorizer):
    the claims it would pass to the integration, or Denied."""
    # The issuer must be an HTTPS URL; jwks_uri comes from its discovery document.
    if urllib.parse.urlsplit(issuer).scheme != "https":
        raise Denied("issuer is not HTTPS")
    discovery = world.fetch(f"{issuer}/.well-known/openid-configuration")
    jwks = world.fetch(discovery["jwks_uri"])
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Denied("not a JWT") from exc
    # kid: must name the key in jwks_uri that signed the token; RSA algorithms only.
    keys = {k["kid"]: k for k in jwks["keys"]}
    if header.get("kid") not in keys or header.get("alg") not in ("RS256", "RS384", "RS512"):
        raise Denied("unknown kid or not an RSA algorithm")
    key = jwt.PyJWK(keys[header["kid"]])
    try:
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[header["alg"]],
            options={
                "verify_aud": False,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise Denied("bad signature") from exc
    now = time.time()
    if claims.get("iss") != issuer:
        raise Denied("iss")
    # aud when present, else client_id, must be one of the audience entries.
    named = claims["aud"] if "aud" in claims else claims.get("client_id")
    if named not in audience:
        raise Denied("audience")
    if not claims.get("exp", 0) > now:
        raise Denied("exp")
    if "nbf" in claims and not claims["nbf"] < now:
        raise Denied("nbf")
    if "iat" in claims and not claims["iat"] <= now:
        raise Denied("iat")
    if route_scopes:
        granted = set(str(claims.get("scope", claims.get("scp", ""))).split())
        if not granted & set(route_scopes):
            raise Denied("scope")
    return dict(claims)


def test_discovery_names_an_https_issuer_and_its_jwks(world: World) -> None:
    discovery = world.fetch(f"{world.public_issuer}/.well-known/openid-configuration")
    assert discovery["issuer"] == world.public_issuer  # OIDC Discovery 4.3: exactly
    assert discovery["jwks_uri"] == f"{world.public_issuer}/.well-known/jwks.json"
    assert "RS256" in discovery["id_token_signing_alg_values_supported"]
    jwks = world.fetch(discovery["jwks_uri"])
    for key in jwks["keys"]:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
        assert key["kid"]


def test_a_real_access_token_meets_each_requirement(world: World) -> None:
    token = world.issuer.access()
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "RS256" and header["kid"]
    assert claims["iss"] == world.public_issuer
    assert "aud" not in claims  # so API Gateway matches client_id against the audience
    assert claims["client_id"] == world.issuer.web.client_id
    assert claims["iat"] <= time.time() < claims["exp"]
    assert "nbf" not in claims  # as Cognito's: nothing to be before
    assert claims["scope"].split(" ") == ["openid", SCOPE]
    passed = authorize(
        world, token, world.public_issuer, [world.issuer.web.client_id], [SCOPE, "orders/write"]
    )
    assert passed["username"]


def test_what_the_authorizer_refuses(world: World) -> None:
    audience, scopes = [world.issuer.web.client_id], [SCOPE]
    good = world.issuer.access()
    authorize(world, good, world.public_issuer, audience, scopes)  # the positive control
    other = world.issuer.tokens(world.issuer.user(), client=world.issuer.other)["access_token"]
    with pytest.raises(Denied, match="audience"):
        authorize(world, other, world.public_issuer, audience, scopes)
    with pytest.raises(Denied, match="scope"):
        authorize(world, world.issuer.access(scope="openid"), world.public_issuer, audience, scopes)
    with pytest.raises(Denied, match="exp"):
        authorize(world, world.issuer.expired(), world.public_issuer, audience, scopes)
    # Signed by the pool's own key, claiming another issuer: only the iss check stops it.
    key = pool_signing_key(world.issuer.server, world.issuer.pool_id)
    elsewhere = resign(key, good, iss=f"{PUBLIC_URL}/us-east-1_Elsewhere")
    with pytest.raises(Denied, match="iss"):
        authorize(world, elsewhere, world.public_issuer, audience, scopes)
    with pytest.raises(Denied, match="HTTPS"):
        authorize(world, good, f"http://127.0.0.1/{world.issuer.pool_id}", audience, scopes)


def test_an_id_token_passes_unless_the_route_asks_for_a_scope(world: World) -> None:
    """AWS's own warning: nothing tells an ID token from an access token but scopes. mamori's
    ID token carries `aud` (the client) and no `scope`, so only a route with scopes stops it."""
    id_token = world.issuer.tokens(world.issuer.user())["id_token"]
    audience = [world.issuer.web.client_id]
    assert authorize(world, id_token, world.public_issuer, audience, [])["token_use"] == "id"
    with pytest.raises(Denied, match="scope"):
        authorize(world, id_token, world.public_issuer, audience, [SCOPE])


def test_a_client_credentials_token_is_matched_by_its_client_id(world: World) -> None:
    token = world.issuer.machine_token()
    claims = authorize(world, token, world.public_issuer, [world.issuer.machine_id], [SCOPE])
    assert claims["sub"] == world.issuer.machine_id
