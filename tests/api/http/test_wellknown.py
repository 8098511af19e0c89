"""The well-known documents of a user pool: its JWKS (public parts only) and its OpenID
configuration, 404 for an unknown pool."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from tests.support.factories import make_pool
from tests.support.live import Server
from tests.support.tokens import jwks_url


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


@pytest.fixture(scope="module")
def pool(server: Server) -> dict[str, Any]:
    return make_pool(
        server, Schema=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}]
    )


def test_jwks_document(server: Server, pool: dict[str, Any]) -> None:
    status, body = get_json(jwks_url(server, pool["Id"]))
    assert status == 200
    (key,) = body["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert {"kid", "n", "e"} <= set(key)
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)  # public parts only
    assert get_json(f"{server.url}/us-east-1_NoSuchPool/.well-known/jwks.json")[0] == 404


def test_openid_configuration(server: Server, pool: dict[str, Any]) -> None:
    status, body = get_json(f"{server.url}/{pool['Id']}/.well-known/openid-configuration")
    assert status == 200
    issuer = f"{server.url}/{pool['Id']}"
    assert body["issuer"] == issuer
    assert body["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert "RS256" in body["id_token_signing_alg_values_supported"]
    assert get_json(body["jwks_uri"])[0] == 200
    missing = f"{server.url}/us-east-1_NoSuchPool/.well-known/openid-configuration"
    assert get_json(missing)[0] == 404
