"""OpenID Connect issuers' signing keys: discovery, then JWKS (or a JWKS at a known address, as
Google's and Apple's for identity pools), cached per issuer and bounded."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from mamori.adapters.http import AnswerTooLarge, fetch
from mamori.services.identity.ports import OidcError

log = logging.getLogger("mamori.oidc")

_MAX_DOCUMENT = 256 * 1024
_MAX_ISSUERS = 64  # bounded: one entry per configured issuer, never per user or token
_TTL_SECONDS = 3600.0
# An unknown kid may mean the issuer rotated keys; refetch, but not more often than this, so
# forged tokens with random kids cannot make mamori hammer the issuer. A failed fetch counts
# too: an issuer that is down or slow is tried once per interval, not once per token (and
# requests don't queue behind one another's timeouts).
REFRESH_INTERVAL_SECONDS = 60.0


@dataclass
class _Issuer:
    keys: list[dict[str, Any]] | None  # None: never fetched successfully
    fetched: float  # when `keys` were fetched
    tried: float  # when a fetch was last started


class OidcKeys:
    def __init__(
        self,
        http: httpx.AsyncClient,
        timeout_seconds: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`http`: the shared outbound client (adapters/http.py), built in wiring;
        `monotonic`: the clock the cache and the refresh interval are measured with."""
        self._http = http
        self._timeout = timeout_seconds
        self._now = monotonic
        self._cache: OrderedDict[str, _Issuer] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}

    async def _get_json(self, url: str) -> dict[str, Any]:
        request = self._http.build_request(
            "GET", url, headers={"Accept": "application/json"}, timeout=self._timeout
        )
        try:
            # The timeout bounds the whole call (a key fetch holds the issuer's lock), the size
            # the answer as it streams.
            status, content = await fetch(self._http, request, self._timeout, _MAX_DOCUMENT)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise OidcError(f"cannot fetch {url}: timed out") from exc
        except AnswerTooLarge as exc:
            raise OidcError(f"{url} is larger than {_MAX_DOCUMENT} bytes") from exc
        except httpx.HTTPError as exc:
            raise OidcError(f"cannot fetch {url}: {exc}") from exc
        if status != 200:
            raise OidcError(f"{url} answered HTTP {status}")
        try:
            value = json.loads(content)
        except (ValueError, RecursionError) as exc:  # nested past the parser's depth
            raise OidcError(f"{url} is not JSON") from exc
        if not isinstance(value, dict):
            raise OidcError(f"{url} is not a JSON object")
        return value

    async def _fetch(self, issuer: str) -> list[dict[str, Any]]:
        discovery = await self._get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise OidcError(f"the discovery document of {issuer} has no usable jwks_uri")
        return await self._fetch_jwks(jwks_uri)

    async def _fetch_jwks(self, jwks_uri: str) -> list[dict[str, Any]]:
        jwks = await self._get_json(jwks_uri)
        keys = jwks.get("keys")
        if not isinstance(keys, list):
            raise OidcError(f"{jwks_uri} has no keys")
        return [k for k in keys if isinstance(k, dict)]

    def _recent(self, issuer: str, entry: _Issuer) -> Sequence[dict[str, Any]]:
        """The keys of an issuer tried within the interval; OidcError when it never answered."""
        self._cache.move_to_end(issuer)
        if entry.keys is None:
            raise OidcError(f"{issuer} did not answer; it is tried again in at most a minute")
        return entry.keys

    async def jwks(self, issuer: str, refresh: bool = False) -> Sequence[dict[str, Any]]:
        return await self._cached(issuer, lambda: self._fetch(issuer), refresh)

    async def jwks_at(self, jwks_uri: str, refresh: bool = False) -> Sequence[dict[str, Any]]:
        # Its own cache entry, under a name no issuer URL has: the same rules, one budget.
        return await self._cached(f"jwks {jwks_uri}", lambda: self._fetch_jwks(jwks_uri), refresh)

    async def _cached(
        self,
        issuer: str,
        fetch: Callable[[], Awaitable[list[dict[str, Any]]]],
        refresh: bool,
    ) -> Sequence[dict[str, Any]]:
        now = self._now()
        entry = self._cache.get(issuer)
        if entry is not None:
            fresh = entry.keys is not None and now - entry.fetched < _TTL_SECONDS
            if (fresh and not refresh) or now - entry.tried < REFRESH_INTERVAL_SECONDS:
                return self._recent(issuer, entry)
        lock = self._locks.setdefault(issuer, asyncio.Lock())
        async with lock:
            entry = self._cache.get(issuer)
            if entry is not None and self._now() - entry.tried < REFRESH_INTERVAL_SECONDS:
                return self._recent(issuer, entry)  # another task has just tried
            if entry is None:
                entry = self._cache[issuer] = _Issuer(None, 0.0, self._now())
            entry.tried = self._now()
            self._cache.move_to_end(issuer)
            while len(self._cache) > _MAX_ISSUERS:
                evicted, _ = self._cache.popitem(last=False)
                self._locks.pop(evicted, None)
            try:
                keys = await fetch()
            except OidcError as exc:
                log.warning("OpenID Connect issuer %s: %s", issuer, exc)
                if entry.keys is not None:  # an issuer's brief outage need not stop sign-ins
                    return entry.keys
                raise
            entry.keys, entry.fetched = keys, self._now()
            return keys
