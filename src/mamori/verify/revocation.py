"""Whether mamori still takes an access token (`MamoriRevocation`): the online check an offline
verifier cannot make, for the `is_revoked` hook of mamori.verify.strawberry's AppSyncAuth or any
backend. Needs httpx; imports nothing of the server."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import httpx

__all__ = ["MamoriRevocation"]


class MamoriRevocation:
    """`is_revoked` backed by mamori: GetUser with the access token, as Cognito's own APIs refuse
    a token that GlobalSignOut, AdminUserGlobalSignOut or RevokeToken revoked. A live answer is
    cached `ttl` seconds (the window a revocation can go unseen), a revoked one until expiry.
    ID tokens cannot be shown to GetUser: they pass unchecked (use access tokens for this)."""

    TARGET = "AWSCognitoIdentityProviderService.GetUser"

    def __init__(
        self,
        endpoint: str,
        *,
        ttl: float = 30.0,
        max_entries: int = 10_000,
        fail_closed: bool = True,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoint = endpoint.rstrip("/") + "/"
        self.ttl = ttl
        self.max_entries = max_entries
        self.fail_closed = fail_closed
        self.client = client or httpx.AsyncClient(timeout=5.0)
        self.clock = clock
        self._cache: OrderedDict[bytes, tuple[bool, float]] = OrderedDict()

    async def __call__(self, token: str, claims: Mapping[str, Any]) -> bool:
        if claims.get("token_use") != "access":
            return False
        key = hashlib.sha256(token.encode()).digest()
        now = self.clock()
        cached = self._cache.get(key)
        if cached is not None and cached[1] > now:
            self._cache.move_to_end(key)
            return cached[0]
        revoked = await self._ask(token)
        if revoked is None:
            return self.fail_closed
        lifetime = float(claims.get("exp", 0)) - time.time() if revoked else self.ttl
        self._cache[key] = (revoked, now + max(lifetime, self.ttl))
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
        return revoked

    async def _ask(self, token: str) -> bool | None:
        """True: mamori refuses the token; False: it takes it; None: no answer (not cached)."""
        try:
            response = await self.client.post(
                self.endpoint,
                json={"AccessToken": token},
                headers={
                    "X-Amz-Target": self.TARGET,
                    "Content-Type": "application/x-amz-json-1.1",
                },
            )
            if response.status_code == 200:
                return False
            error = str(response.json().get("__type", "")) if response.status_code == 400 else ""
        except (httpx.HTTPError, OSError, ValueError):
            return None
        if error.rsplit("#", 1)[-1] in {"NotAuthorizedException", "UserNotFoundException"}:
            return True
        return None

    async def aclose(self) -> None:
        await self.client.aclose()
