"""The Node `openid-client` (v6) as a relying party against mamori serving TLS: discovery on the
domain by Host, authorization code + PKCE through the hosted sign-in form, ID token validation
(signature, iss, aud, nonce, at_hash), userinfo, refresh and revoke."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.factories import PASSWORD, make_user
from tests.support.hosted import Hosted, make_hosted, sign_in_by_form, tls_server
from tests.support.node import needs_node, run_node


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    with tls_server(tmp_path_factory.mktemp("tls")) as served:
        yield served


@pytest.fixture(scope="module", params=["public", "confidential"])
def hosted(request: pytest.FixtureRequest, tls: tuple[Any, Path]) -> Hosted:
    server, ca = tls
    return make_hosted(server, secret=request.param == "confidential", ca=ca)


def openid_client(
    hosted: Hosted, discovery: str, username: str, steps: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    with hosted.http() as browser:

        def sign_in(event: dict[str, Any]) -> str:
            return sign_in_by_form(
                browser, event["authorizationUrl"], username, PASSWORD, hosted.redirect_uri
            )

        return run_node(
            "openid_client.mjs",
            {
                "server": discovery,
                "clientId": hosted.client_id,
                "clientSecret": hosted.client_secret,
                "redirectUri": hosted.redirect_uri,
                "loopbackLocalhost": True,
                "steps": steps,
            },
            on_wait=sign_in,
            env={"NODE_EXTRA_CA_CERTS": str(hosted.ca)},
        )


@needs_node
@pytest.mark.parametrize("via", ["host", "path"])
def test_code_pkce_userinfo_refresh_revoke(hosted: Hosted, tmp_path: Path, via: str) -> None:
    base = hosted.by_host if via == "host" else hosted.by_path
    username = make_user(hosted.server, hosted.pool_id, attributes={"name": "Grace Hopper"})
    steps = openid_client(
        hosted,
        f"{base}/.well-known/openid-configuration",
        username,
        [
            {"op": "discovery"},
            {"op": "authorize", "callbackFile": str(tmp_path / "callback")},
            {"op": "userinfo"},
            {"op": "refresh"},
            {"op": "revoke"},
            {"op": "refresh", "name": "refreshAfterRevoke", "expectError": True},
        ],
    )
    metadata = steps["discovery"]["result"]
    assert metadata["issuer"] == hosted.issuer
    assert metadata["authorization_endpoint"] == f"{base}/oauth2/authorize"
    assert metadata["token_endpoint"] == f"{base}/oauth2/token"

    signed_in = steps["authorize"]["result"]
    claims = signed_in["claims"]
    assert claims["iss"] == hosted.issuer and claims["aud"] == hosted.client_id
    assert claims["cognito:username"] == username
    assert claims["at_hash"] == signed_in["atHash"]
    assert signed_in["tokenType"].lower() == "bearer" and signed_in["hasRefreshToken"]

    info = steps["userinfo"]["result"]
    assert info["sub"] == claims["sub"] and info["username"] == username
    assert info["email"] == f"{username}@example.com"
    assert info["name"] == "Grace Hopper"

    refreshed = steps["refresh"]["result"]
    assert refreshed["newAccessToken"] and refreshed["claims"]["sub"] == claims["sub"]
    assert steps["revoke"]["ok"]
    after = steps["refreshAfterRevoke"]
    assert not after["ok"] and after["error"].get("error") == "invalid_grant", after
