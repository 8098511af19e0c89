"""OpenID Connect issuers' signing keys: discovery, then JWKS, cached per issuer and bounded."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import httpx

from mamori.ports import OidcError

log = logging.getLogger("mamori.oidc")

_MAX_DOCUMENT = 256 * 1024
_MAX_ISSUERS = 64  # bounded: one entry per configured issuer, never per user or token
_TTL_SECONDS = 3600.0
# An unknown kid may mean the issuer rotated keys; refetch, but not more often than this, so
# forged tokens with random kids cannot make mamori hammer the issuer.
_REFRESH_INTERVAL_SECONDS = 60.0


class OidcKeys:
    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self._timeout = timeout_seconds
        self._cache: OrderedDict[str, tuple[float, list[dict[str, Any]]]] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._ssl: ssl.SSLContext | None = None

    async def _get_json(self, client: httpx.AsyncClient, url: str) -> dict[str, Any]:
        try:
            response = await client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OidcError(f"cannot fetch {url}: {exc}") from exc
        if response.status_code != 200:
            raise OidcError(f"{url} answered HTTP {response.status_code}")
        if len(response.content) > _MAX_DOCUMENT:
            raise OidcError(f"{url} is larger than {_MAX_DOCUMENT} bytes")
        try:
            value = json.loads(response.content)
        except ValueError as exc:
            raise OidcError(f"{url} is not JSON") from exc
        if not isinstance(value, dict):
            raise OidcError(f"{url} is not a JSON object")
        return value

    async def _fetch(self, issuer: str) -> list[dict[str, Any]]:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        async with httpx.AsyncClient(
            verify=self._ssl, timeout=self._timeout, follow_redirects=False
        ) as client:
            discovery = await self._get_json(
                client, issuer.rstrip("/") + "/.well-known/openid-configuration"
            )
            jwks_uri = discovery.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
                raise OidcError(f"the discovery document of {issuer} has no usable jwks_uri")
            jwks = await self._get_json(client, jwks_uri)
        keys = jwks.get("keys")
        if not isinstance(keys, list):
            raise OidcError(f"{jwks_uri} has no keys")
        return [k for k in keys if isinstance(k, dict)]

    async def jwks(self, issuer: str, refresh: bool = False) -> Sequence[dict[str, Any]]:
        now = time.monotonic()
        cached = self._cache.get(issuer)
        if cached is not None:
            fetched, keys = cached
            fresh = now - fetched < _TTL_SECONDS
            if fresh and (not refresh or now - fetched < _REFRESH_INTERVAL_SECONDS):
                self._cache.move_to_end(issuer)
                return keys
        lock = self._locks.setdefault(issuer, asyncio.Lock())
        async with lock:
            cached = self._cache.get(issuer)
            if cached is not None and cached[0] > now:  # another task just fetched
                return cached[1]
            try:
                keys = await self._fetch(issuer)
            except OidcError as exc:
                log.warning("OpenID Connect issuer %s: %s", issuer, exc)
                if cached is not None:  # an issuer's brief outage need not stop sign-ins
                    return cached[1]
                raise
            self._cache[issuer] = (time.monotonic(), keys)
            self._cache.move_to_end(issuer)
            while len(self._cache) > _MAX_ISSUERS:
                evicted, _ = self._cache.popitem(last=False)
                self._locks.pop(evicted, None)
            return keys
