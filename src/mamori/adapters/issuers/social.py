"""Opaque social access tokens asked about at their issuers: Facebook's Graph API (`/app`, `/me`)
and Login with Amazon (`/auth/o2/tokeninfo`, `/user/profile`), through the shared client
(adapters/http.py `fetch`: a deadline for the whole call, answers bounded as they stream)."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from mamori.adapters.http import AnswerTooLarge, fetch
from mamori.services.identity.ports import SocialAccount, SocialProviderDown, SocialTokenRefused

log = logging.getLogger("mamori.social")

_MAX_ANSWER = 64 * 1024


async def _get_json(
    http: httpx.AsyncClient,
    provider: str,
    url: str,
    timeout: float,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """(status, JSON object); SocialProviderDown when there is no readable answer. Neither the
    URL's query nor the headers (they carry the user's token) reach an exception or the log."""
    path = httpx.URL(url).path
    request = http.build_request(
        "GET",
        url,
        params=params,
        headers={"Accept": "application/json", **(headers or {})},
        timeout=timeout,
    )
    try:
        # The timeout bounds the whole call, the size the answer as it streams.
        status, content = await fetch(http, request, timeout, _MAX_ANSWER)
    except (TimeoutError, AnswerTooLarge, httpx.HTTPError) as exc:
        log.warning("%s %s: %s", provider, path, type(exc).__name__)
        raise SocialProviderDown(f"{provider} {path}: {type(exc).__name__}") from None
    if status >= 500:
        log.warning("%s %s answered HTTP %s", provider, path, status)
        raise SocialProviderDown(f"{provider} {path} answered HTTP {status}")
    try:
        value = json.loads(content)
    except (ValueError, RecursionError):  # nested past the parser's depth
        value = None
    if not isinstance(value, dict):
        log.warning("%s %s: not a JSON object (HTTP %s)", provider, path, status)
        raise SocialProviderDown(f"{provider} {path}: not a JSON object")
    return status, value


def _text(value: Any) -> str:
    """An id as the provider sends it (Graph sends strings, older answers numbers)."""
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


class FacebookGraph:
    """Facebook user access tokens, asked of the Graph API with the token itself.

    Cognito's identity pools store only the app id, no app secret, so the token is checked the
    way that allows: `/app` names the app the token was issued to (the caller compares it with
    the pool's app id) and `/me` the app-scoped user id. An expired, revoked or forged token is
    an OAuthException (HTTP 400 or 401) on either call.
    """

    id = "facebook"

    def __init__(self, http: httpx.AsyncClient, graph_url: str, timeout_seconds: float) -> None:
        """`graph_url`: the Graph API with its version, `https://graph.facebook.com/v17.0`."""
        self._http = http
        self._url = graph_url.rstrip("/")
        self._timeout = timeout_seconds

    async def _graph(self, path: str, token: str, **params: str) -> dict[str, Any]:
        status, body = await _get_json(
            self._http,
            "graph.facebook.com",
            self._url + path,
            self._timeout,
            params={**params, "access_token": token},
        )
        error = body.get("error")
        if status != 200 or error is not None:
            kind = error.get("type") if isinstance(error, dict) else None
            if status in (400, 401, 403) and kind == "OAuthException":
                raise SocialTokenRefused(f"graph.facebook.com {path}: OAuthException")
            raise SocialProviderDown(f"graph.facebook.com {path} answered HTTP {status}")
        return body

    async def inspect(self, token: str) -> SocialAccount:
        app = _text((await self._graph("/app", token, fields="id")).get("id"))
        user = _text((await self._graph("/me", token, fields="id")).get("id"))
        if not app or not user:
            raise SocialProviderDown("graph.facebook.com: an answer without an id")
        return SocialAccount(user, (app,), {"sub": user, "aud": app})


class LoginWithAmazon:
    """Login with Amazon access tokens: the token-info endpoint says whom the token was issued
    to (`aud`, the security profile's client id, and `app_id`), the profile endpoint the user."""

    id = "amazon"

    def __init__(
        self,
        http: httpx.AsyncClient,
        token_info_url: str,
        profile_url: str,
        timeout_seconds: float,
    ) -> None:
        self._http = http
        self._token_info_url = token_info_url
        self._profile_url = profile_url
        self._timeout = timeout_seconds

    async def inspect(self, token: str) -> SocialAccount:
        status, info = await _get_json(
            self._http,
            "www.amazon.com",
            self._token_info_url,
            self._timeout,
            params={"access_token": token},
        )
        if status in (400, 401) and info.get("error") is not None:
            raise SocialTokenRefused("www.amazon.com tokeninfo: " + _text(info.get("error")))
        if status != 200:
            raise SocialProviderDown(f"www.amazon.com tokeninfo answered HTTP {status}")
        status, profile = await _get_json(
            self._http,
            "www.amazon.com",
            self._profile_url,
            self._timeout,
            headers={"Authorization": f"Bearer {token}"},
        )
        if status in (400, 401) and profile.get("error") is not None:
            raise SocialTokenRefused("www.amazon.com profile: " + _text(profile.get("error")))
        if status != 200:
            raise SocialProviderDown(f"www.amazon.com profile answered HTTP {status}")
        user = _text(profile.get("user_id"))
        if not user or user != _text(info.get("user_id")):
            # The two answers must be about the same user, or neither can be trusted.
            raise SocialProviderDown("www.amazon.com: token info and profile disagree")
        apps = tuple(a for a in (_text(info.get("app_id")), _text(info.get("aud"))) if a)
        claims = {"sub": user, "aud": _text(info.get("aud")), "app_id": _text(info.get("app_id"))}
        return SocialAccount(user, apps, claims)
