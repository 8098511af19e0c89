"""The relying party's calls to a provider, on httpx's MockTransport: the client secret by
HTTP Basic or in the form, a timeout or an error answer as ProviderError, discovery read
strictly, keys through the issuers' cache (at the provider's jwks_uri)."""

from __future__ import annotations

import base64
import json
import urllib.parse
from typing import Any

import httpx
import pytest

from mamori.adapters.federation.oidc import HttpOidcRelyingParty
from mamori.adapters.issuers.oidc import OidcKeys
from mamori.services.federation.ports import OidcEndpoints, ProviderError

ENDPOINTS = OidcEndpoints(
    issuer="https://idp.example",
    authorization_endpoint="https://idp.example/authorize",
    token_endpoint="https://idp.example/token",
    userinfo_endpoint="https://idp.example/userinfo",
    jwks_uri="https://idp.example/jwks",
)
FORM = {"grant_type": "authorization_code", "code": "c", "redirect_uri": "https://rp/cb"}


def party(handler: Any) -> HttpOidcRelyingParty:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return HttpOidcRelyingParty(http, OidcKeys(http), 2.0)


@pytest.mark.anyio
@pytest.mark.parametrize("basic", [True, False])
async def test_the_secret_goes_by_basic_or_in_the_form(basic: bool) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id_token": "a.b.c", "access_token": "at"})

    tokens = await party(handler).redeem(ENDPOINTS, "client:1", "s&cret", basic, FORM)
    assert tokens.id_token == "a.b.c" and tokens.access_token == "at"
    [request] = seen
    form = dict(urllib.parse.parse_qsl(request.content.decode()))
    assert form["code"] == "c" and form["grant_type"] == "authorization_code"
    if basic:
        # RFC 6749 2.3.1: each part form-encoded, then Basic.
        expected = base64.b64encode(b"client%3A1:s%26cret").decode()
        assert request.headers["authorization"] == f"Basic {expected}"
        assert "client_secret" not in form
    else:
        assert "authorization" not in request.headers
        assert form["client_id"] == "client:1" and form["client_secret"] == "s&cret"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "answer",
    [
        httpx.TimeoutException("slow"),
        httpx.ConnectError("refused"),
        httpx.Response(400, json={"error": "invalid_grant"}),
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"access_token": "no id token"}),
        httpx.Response(200, content=b"{" + b" " * 300_000 + b"}"),
        httpx.Response(200, content=b"[" * 100_000),  # json's RecursionError
    ],
)
async def test_a_failed_redemption_is_a_provider_error(answer: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    with pytest.raises(ProviderError):
        await party(handler).redeem(ENDPOINTS, "c", "s", False, FORM)


@pytest.mark.anyio
async def test_discovery_userinfo_and_keys() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": "https://idp.example",
                    "authorization_endpoint": "https://idp.example/authorize",
                    "token_endpoint": "https://idp.example/token",
                    "userinfo_endpoint": "javascript:alert(1)",
                    "jwks_uri": "https://idp.example/jwks",
                    "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                },
            )
        if request.url.path == "/userinfo":
            assert request.headers["authorization"] == "Bearer at"
            return httpx.Response(200, json={"sub": "u"})
        if request.url.path == "/jwks":
            return httpx.Response(200, content=json.dumps({"keys": [{"kty": "RSA"}]}))
        return httpx.Response(404)

    rp = party(handler)
    found = await rp.discover("https://idp.example/")
    assert found.token_endpoint == "https://idp.example/token"
    assert found.userinfo_endpoint is None  # not an http(s) URL
    assert found.token_auth_methods == ("client_secret_basic",)
    assert await rp.userinfo("https://idp.example/userinfo", "at", "GET") == {"sub": "u"}
    assert list(await rp.keys(ENDPOINTS, refresh=False)) == [{"kty": "RSA"}]
