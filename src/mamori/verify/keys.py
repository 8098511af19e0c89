"""An issuer's JWKS: fetched on first need, cached, refetched for an unknown `kid` at most once
per interval; one fetch at a time however many callers (threads or tasks) are waiting."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from jwt.exceptions import InvalidKeyError

from mamori.verify.errors import BadSignature, KeysUnavailable

# After a failed fetch, try again sooner than the refresh interval: a backend that starts before
# its issuer answers should not refuse every token for a whole interval.
_RETRY_AFTER_FAILURE = 5.0
_MIN_RSA_BITS = 2048


def parse_jwks(document: Any) -> dict[str, rsa.RSAPublicKey]:
    """The RS256 signing keys of a JWKS document by `kid` (RFC 7517 section 5). Keys for
    another algorithm or use are skipped; a document with no `keys` list is refused."""
    keys = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(keys, list):
        raise KeysUnavailable("the JWKS has no keys list")
    found: dict[str, rsa.RSAPublicKey] = {}
    for jwk in keys:
        if not isinstance(jwk, Mapping) or jwk.get("kty") != "RSA":
            continue
        kid = jwk.get("kid")
        if not isinstance(kid, str) or jwk.get("alg", "RS256") != "RS256":
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        try:
            key = RSAAlgorithm.from_jwk(dict(jwk))
        except (InvalidKeyError, ValueError, TypeError):
            continue
        if isinstance(key, rsa.RSAPublicKey) and key.key_size >= _MIN_RSA_BITS:
            found[kid] = key
    return found


def _document(response: httpx.Response, url: str) -> dict[str, rsa.RSAPublicKey]:
    if response.status_code != 200:
        raise KeysUnavailable(f"{url} answered {response.status_code}")
    try:
        document = response.json()
    except ValueError as exc:
        raise KeysUnavailable(f"{url} did not answer JSON") from exc
    return parse_jwks(document)


class KeySet:
    """The keys at `url`. `clock` is wall time in seconds (injected so tests move it)."""

    def __init__(
        self,
        url: str,
        *,
        min_refresh_interval: float,
        clock: Callable[[], float],
        timeout: float,
    ) -> None:
        self.url = url
        self._interval = min_refresh_interval
        self._clock = clock
        self._timeout = timeout
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._next_fetch_at = float("-inf")
        self._loaded = False
        self._thread_lock = threading.Lock()
        self._in_flight: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}
        self.fetches = 0

    def cached(self, kid: str) -> rsa.RSAPublicKey | None:
        return self._keys.get(kid)

    def key(self, kid: str) -> rsa.RSAPublicKey:
        """The key `kid`, fetching the JWKS (blocking) if it is unknown and the interval allows."""
        key = self._keys.get(kid)
        if key is not None:
            return key
        with self._thread_lock:
            key = self._keys.get(kid)
            if key is None and self._may_fetch():
                self._next_fetch_at = self._clock() + _RETRY_AFTER_FAILURE
                self._install(self._fetch_sync())
                key = self._keys.get(kid)
        return self._found(kid, key)

    async def akey(self, kid: str) -> rsa.RSAPublicKey:
        """The key `kid`; concurrent callers of one event loop share one fetch."""
        key = self._keys.get(kid)
        if key is not None:
            return key
        loop = asyncio.get_running_loop()
        task = self._in_flight.get(loop)
        if task is None:
            if not self._may_fetch():
                raise BadSignature(f"no key {kid!r} in the issuer's JWKS")
            self._next_fetch_at = self._clock() + _RETRY_AFTER_FAILURE
            task = loop.create_task(self._fetch_async())
            self._in_flight[loop] = task
            task.add_done_callback(lambda _: self._in_flight.pop(loop, None))
        # shield: one waiter cancelled must not cancel the fetch the others wait for.
        await asyncio.shield(task)
        return self._found(kid, self._keys.get(kid))

    def _may_fetch(self) -> bool:
        return self._clock() >= self._next_fetch_at

    def _install(self, keys: dict[str, rsa.RSAPublicKey]) -> None:
        # Replaced, not merged: a key the issuer retired stops verifying at the next fetch.
        self._keys = keys
        # The first load starts no interval: a key rotated in just after start-up is fetched
        # at once; from then on, refetches are at most one per interval.
        self._next_fetch_at = self._clock() + self._interval if self._loaded else float("-inf")
        self._loaded = True

    @staticmethod
    def _found(kid: str, key: rsa.RSAPublicKey | None) -> rsa.RSAPublicKey:
        if key is None:
            raise BadSignature(f"no key {kid!r} in the issuer's JWKS")
        return key

    def _fetch_sync(self) -> dict[str, rsa.RSAPublicKey]:
        self.fetches += 1
        try:
            with httpx.Client(timeout=self._timeout) as client:
                response = client.get(self.url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise KeysUnavailable(f"fetching {self.url}: {exc}") from exc
        return _document(response, self.url)

    async def _fetch_async(self) -> None:
        self.fetches += 1
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(self.url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise KeysUnavailable(f"fetching {self.url}: {exc}") from exc
        self._install(_document(response, self.url))
