"""A relying party's calls to an OpenID Connect provider (a user pool's OIDC or Google
identity provider): discovery, the token endpoint, userinfo and signing keys; and a plain
OAuth 2.0 provider's (Facebook, Login with Amazon: an access token, then the profile); over
the shared outbound HTTP client (adapters/http.py `fetch`): each call within the timeout as a
whole, answers bounded in size as they stream and read strictly. Keys come from
adapters/issuers/oidc.py's cache."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote_plus

import httpx

from mamori.adapters.http import AnswerTooLarge, fetch
from mamori.adapters.issuers.oidc import OidcKeys
from mamori.services.federation.ports import OidcEndpoints, ProviderError, ProviderTokens
from mamori.services.identity.ports import OidcError

_MAX_ANSWER = 256 * 1024


def _url(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


class HttpOidcRelyingParty:
    def __init__(self, http: httpx.AsyncClient, keys: OidcKeys, timeout_seconds: float) -> None:
        self._http = http
        self._keys = keys
        self._timeout = timeout_seconds

    async def _json(self, what: str, request: httpx.Request) -> dict[str, Any]:
        """The JSON object a provider answers `request` with, read within the timeout (the whole
        call, not each read) and the size bound."""
        try:
            status, content = await fetch(self._http, request, self._timeout, _MAX_ANSWER)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise ProviderError(f"{what}: timed out") from exc
        except AnswerTooLarge as exc:
            raise ProviderError(f"{what}: the answer is too large") from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"{what}: {type(exc).__name__}") from exc
        try:
            value = json.loads(content)
        except (ValueError, RecursionError) as exc:  # nested past the parser's depth
            raise ProviderError(f"{what}: HTTP {status}, not JSON") from exc
        if not isinstance(value, dict):
            raise ProviderError(f"{what}: not a JSON object")
        if status != 200:
            error = value.get("error")
            raise ProviderError(f"{what}: HTTP {status} {error!r}")
        return value

    async def discover(self, issuer: str) -> OidcEndpoints:
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        request = self._http.build_request(
            "GET", url, headers={"Accept": "application/json"}, timeout=self._timeout
        )
        doc = await self._json("discovery", request)
        authorization, token = (
            _url(doc.get("authorization_endpoint")),
            _url(doc.get("token_endpoint")),
        )
        if authorization is None or token is None:
            raise ProviderError("discovery: no authorization or token endpoint")
        methods = doc.get("token_endpoint_auth_methods_supported")
        return OidcEndpoints(
            issuer=issuer,
            authorization_endpoint=authorization,
            token_endpoint=token,
            userinfo_endpoint=_url(doc.get("userinfo_endpoint")),
            jwks_uri=_url(doc.get("jwks_uri")),
            token_auth_methods=tuple(m for m in methods if isinstance(m, str))
            if isinstance(methods, list)
            else (),
        )

    async def redeem(
        self,
        endpoints: OidcEndpoints,
        client_id: str,
        client_secret: str | None,
        basic: bool,
        form: Mapping[str, str],
    ) -> ProviderTokens:
        body = dict(form)
        auth: httpx.BasicAuth | None = None
        if client_secret and basic:
            # RFC 6749 section 2.3.1: both parts form-encoded before Basic.
            auth = httpx.BasicAuth(quote_plus(client_id), quote_plus(client_secret))
        else:
            body["client_id"] = client_id
            if client_secret:
                body["client_secret"] = client_secret
        request = self._http.build_request(
            "POST",
            endpoints.token_endpoint,
            data=body,
            headers={"Accept": "application/json"},
            timeout=self._timeout,
        )
        if auth is not None:
            request = next(auth.auth_flow(request))
        answer = await self._json("token endpoint", request)
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise ProviderError("token endpoint: no id_token")
        access = answer.get("access_token")
        return ProviderTokens(id_token, access if isinstance(access, str) else None)

    async def userinfo(self, url: str, access_token: str, method: str) -> Mapping[str, Any]:
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        request = self._http.build_request(method, url, headers=headers, timeout=self._timeout)
        return await self._json("userinfo", request)

    async def access_token(self, token_url: str, form: Mapping[str, str]) -> str:
        request = self._http.build_request(
            "POST",
            token_url,
            data=dict(form),
            headers={"Accept": "application/json"},
            timeout=self._timeout,
        )
        answer = await self._json("token endpoint", request)
        access = answer.get("access_token")
        if not isinstance(access, str) or not access:
            raise ProviderError("token endpoint: no access_token")
        return access

    async def profile(self, url: str, access_token: str) -> Mapping[str, Any]:
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        request = self._http.build_request("GET", url, headers=headers, timeout=self._timeout)
        return await self._json("profile", request)

    async def keys(self, endpoints: OidcEndpoints, refresh: bool) -> Sequence[Mapping[str, Any]]:
        try:
            if endpoints.jwks_uri:
                return await self._keys.jwks_at(endpoints.jwks_uri, refresh=refresh)
            return await self._keys.jwks(endpoints.issuer, refresh=refresh)
        except OidcError as exc:
            raise ProviderError(f"signing keys: {exc}") from exc
