"""Authlib (Python) as an OpenID Connect relying party against the hosted domain: discovery,
authorization code + PKCE (S256) through the hosted sign-in form, the ID token validated
(signature by the domain's JWKS, iss, aud, nonce, at_hash), userInfo, refresh and revoke."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidClaimError
from joserfc.jwk import KeySet
from tests.support.factories import PASSWORD, make_user
from tests.support.hosted import Hosted, callback_params, make_hosted, sign_in_by_form
from tests.support.live import Server


@pytest.fixture(scope="module", params=["public", "confidential"])
def hosted(request: pytest.FixtureRequest, server: Server) -> Hosted:
    return make_hosted(server, secret=request.param == "confidential")


@pytest.fixture(scope="module")
def metadata(hosted: Hosted) -> dict[str, Any]:
    response = requests.get(f"{hosted.by_path}/.well-known/openid-configuration", timeout=10)
    assert response.status_code == 200, response.text
    return dict(response.json())


def relying_party(hosted: Hosted, **options: Any) -> OAuth2Session:
    return OAuth2Session(
        hosted.client_id,
        hosted.client_secret,
        scope="openid email profile phone aws.cognito.signin.user.admin",
        redirect_uri=hosted.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if hosted.client_secret else "none",
        **options,
    )


def authorize_url(
    rp: OAuth2Session, metadata: dict[str, Any], via: str, hosted: Hosted
) -> tuple[str, str, str, str]:
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = rp.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    if via == "host":
        url = url.replace(hosted.by_path, hosted.by_host, 1)
    return url, state, verifier, nonce


def validated_id_token(
    hosted: Hosted, metadata: dict[str, Any], token: dict[str, Any], nonce: str
) -> CodeIDToken:
    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        options={
            "iss": {"essential": True, "value": hosted.issuer},
            "aud": {"essential": True, "value": hosted.client_id},
        },
        params={"nonce": nonce, "access_token": token["access_token"]},
    )
    claims.validate()
    return claims


def test_discovery_names_the_domain_endpoints(hosted: Hosted, metadata: dict[str, Any]) -> None:
    assert metadata["issuer"] == hosted.issuer
    base = hosted.by_path
    assert metadata["authorization_endpoint"] == f"{base}/oauth2/authorize"
    assert metadata["token_endpoint"] == f"{base}/oauth2/token"
    assert metadata["userinfo_endpoint"] == f"{base}/oauth2/userInfo"
    assert metadata["jwks_uri"].endswith(f"/{hosted.pool_id}/.well-known/jwks.json")
    assert "code" in metadata["response_types_supported"]
    assert "openid" in metadata["scopes_supported"]


@pytest.mark.parametrize("via", ["path", "host"])
def test_code_pkce_id_token_userinfo_refresh_revoke(
    hosted: Hosted, metadata: dict[str, Any], via: str
) -> None:
    username = make_user(
        hosted.server,
        hosted.pool_id,
        attributes={"phone_number": "+15555550100", "name": "Ada Lovelace"},
    )
    rp = relying_party(hosted)
    url, state, verifier, nonce = authorize_url(rp, metadata, via, hosted)
    assert "code_challenge_method=S256" in url

    with hosted.http() as browser:
        callback = sign_in_by_form(browser, url, username, PASSWORD, hosted.redirect_uri)
    params = callback_params(callback)
    assert params["state"] == state and params["code"]

    token = rp.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    assert token["token_type"] == "Bearer"
    assert {"access_token", "id_token", "refresh_token", "expires_in"} <= set(token)

    claims = validated_id_token(hosted, metadata, token, nonce)
    assert claims["nonce"] == nonce
    digest = hashlib.sha256(token["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert claims["token_use"] == "id"
    assert claims["cognito:username"] == username
    assert claims["email"] == f"{username}@example.com"
    # A relying party that sent another nonce refuses this token.
    with pytest.raises(InvalidClaimError):
        validated_id_token(hosted, metadata, token, "another-nonce")

    access = jwt.decode(
        token["access_token"],
        KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json()),
    ).claims
    assert access["iss"] == hosted.issuer and access["client_id"] == hosted.client_id
    assert set(access["scope"].split()) == {
        "openid",
        "email",
        "profile",
        "phone",
        "aws.cognito.signin.user.admin",
    }

    info = rp.get(metadata["userinfo_endpoint"])
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == claims["sub"]
    assert info.json()["username"] == username
    assert info.json()["email"] == f"{username}@example.com"
    assert info.json()["email_verified"] in ("true", True)
    assert info.json()["phone_number"] == "+15555550100"
    assert info.json()["name"] == "Ada Lovelace"

    refreshed = rp.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    assert "id_token" in refreshed
    assert (
        jwt.decode(
            refreshed["id_token"],
            KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json()),
        ).claims["sub"]
        == claims["sub"]
    )

    revocation = metadata.get("revocation_endpoint", f"{hosted.by_path}/oauth2/revoke")
    revoked = rp.revoke_token(
        revocation, token=token["refresh_token"], token_type_hint="refresh_token"
    )
    assert revoked.status_code == 200, revoked.text
    with pytest.raises(OAuthError) as refused:
        rp.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
    assert refused.value.error == "invalid_grant"


def test_the_code_is_bound_to_the_verifier_and_single_use(
    hosted: Hosted, metadata: dict[str, Any]
) -> None:
    username = make_user(hosted.server, hosted.pool_id)
    rp = relying_party(hosted)
    with hosted.http() as browser:
        url, _, _, _ = authorize_url(rp, metadata, "path", hosted)
        callback = sign_in_by_form(browser, url, username, PASSWORD, hosted.redirect_uri)
        with pytest.raises(OAuthError) as wrong:
            rp.fetch_token(
                metadata["token_endpoint"],
                authorization_response=callback,
                code_verifier=generate_token(48),
            )
        assert wrong.value.error == "invalid_grant"

        # The session cookie skips the form the second time.
        url, _, verifier, _ = authorize_url(rp, metadata, "path", hosted)
        callback = sign_in_by_form(browser, url, username, "not the password", hosted.redirect_uri)
    rp.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    with pytest.raises(OAuthError) as replayed:
        rp.fetch_token(
            metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
        )
    assert replayed.value.error == "invalid_grant"
