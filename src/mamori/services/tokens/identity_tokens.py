"""The identity issuer: its own key pair (sealed at rest), OpenID tokens for identities, JWKS."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import anyio

from mamori.crypto.aead import Keyring, SealError
from mamori.crypto.jose import LoadedKey, SigningKey, TokenError, generate_signing_key, verify
from mamori.crypto.jose import unverified_kid as token_kid
from mamori.domain.errors import InternalErrorException
from mamori.domain.identity.identity_pool import Identity
from mamori.services.ports import Clock
from mamori.services.tokens.keys import KEY_REFRESH_INTERVAL
from mamori.services.tokens.ports import IdentityKeyStore, SealedIdentityKey

_PURPOSE = "identity-signing-key"
TAGS_CLAIM = "https://aws.amazon.com/tags"


class IdentityTokenService:
    """Signs the tokens GetOpenIdToken returns and STS verifies through the public JWKS.

    Every process signs with the oldest stored key; all stored keys are published, so tokens
    stay verifiable even when two processes race to create the first key.
    """

    def __init__(
        self,
        store: IdentityKeyStore,
        keyring: Keyring,
        clock: Clock,
        issuer: str,
        default_ttl: timedelta,
        threads: anyio.CapacityLimiter,
        refresh_interval: timedelta = KEY_REFRESH_INTERVAL,
    ) -> None:
        """`threads`: where key generation and parsing run, off the event loop."""
        self._store = store
        self._keyring = keyring
        self._clock = clock
        self.issuer = issuer
        self.default_ttl = default_ttl
        self._threads = threads
        self._interval = refresh_interval
        self._keys: dict[str, LoadedKey] = {}
        self._signing: LoadedKey | None = None
        self._checked: datetime | None = None  # the store's keys were last read then
        self._lock = asyncio.Lock()

    def _open(self, sealed: SealedIdentityKey) -> LoadedKey:
        try:
            pem = self._keyring.open(sealed.sealed_pem, _PURPOSE)
        except SealError as exc:
            raise InternalErrorException(
                "Internal server error: the identity issuer's key cannot be opened with this "
                "server's master key (servers sharing a database need the same master key)."
            ) from exc
        return LoadedKey(SigningKey(sealed.kid, pem))

    def _open_all(self, sealed: Sequence[SealedIdentityKey]) -> dict[str, LoadedKey]:
        return {s.kid: self._open(s) for s in sealed}  # on a worker thread: ~70 ms a key

    async def _load(self) -> Sequence[SealedIdentityKey]:
        """The stored keys; those not yet parsed are parsed off the event loop."""
        self._checked = self._clock.now()
        stored = await self._store.identity_keys()
        new = [s for s in stored if s.kid not in self._keys]
        if new:
            opened = await anyio.to_thread.run_sync(self._open_all, new, limiter=self._threads)
            self._keys.update(opened)
        return stored

    def _generate(self) -> tuple[str, str]:
        key = generate_signing_key()  # on a worker thread
        return key.kid, self._keyring.seal(key.private_pem, _PURPOSE)

    async def _signing_key(self) -> LoadedKey:
        if self._signing is not None:
            return self._signing
        async with self._lock:
            if self._signing is not None:
                return self._signing
            stored = await self._load()
            if not stored:
                kid, sealed = await anyio.to_thread.run_sync(self._generate, limiter=self._threads)
                await self._store.add_identity_key(
                    SealedIdentityKey(kid, sealed, self._clock.now())
                )
                stored = await self._load()
            self._signing = self._keys[stored[0].kid]
        return self._signing

    def _stale(self) -> bool:
        return self._checked is None or self._clock.now() - self._checked >= self._interval

    async def sign(
        self,
        identity: Identity,
        amr: Sequence[str],
        tags: Mapping[str, str],
        ttl: timedelta | None = None,
    ) -> str:
        now = int(self._clock.now().timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": identity.id,
            "aud": identity.pool_id,
            "amr": list(amr),
            "iat": now,
            "exp": now + int((ttl or self.default_ttl).total_seconds()),
        }
        if tags:
            # STS reads session tags for web identities from this claim.
            claims[TAGS_CLAIM] = {"principal_tags": {k: [v] for k, v in tags.items()}}
        return (await self._signing_key()).sign(claims)

    async def verify(self, token: str) -> dict[str, Any]:
        """Signature, expiry and issuer of a token this issuer signed; TokenError otherwise."""
        kid = token_kid(token)
        key = self._keys.get(kid)
        if key is None and self._stale():
            # An unknown kid re-reads the store at most once per interval (forged kids cost
            # nothing more); another process's new key is found by the first read after it.
            async with self._lock:
                if kid not in self._keys and self._stale():
                    await self._load()
            key = self._keys.get(kid)
        if key is None:
            raise TokenError("unknown key")
        claims = verify(token, key, self._clock.now().timestamp())
        if claims.get("iss") != self.issuer:
            raise TokenError("wrong issuer")
        return claims

    async def jwks(self) -> dict[str, Any]:
        await self._signing_key()
        stored = await self._load()
        return {"keys": [self._keys[s.kid].jwk for s in stored]}

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "aud", "amr", "iss", "iat", "exp"],
        }
