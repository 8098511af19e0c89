"""The identity issuer: its own key pair (sealed at rest), OpenID tokens for identities, JWKS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from mamori.crypto.aead import Keyring, SealError
from mamori.crypto.jose import LoadedKey, SigningKey, TokenError, generate_signing_key, verify
from mamori.crypto.jose import unverified_kid as token_kid
from mamori.domain.errors import InternalErrorException
from mamori.domain.identity_pool import Identity
from mamori.ports import Clock, IdentityKeyStore, SealedIdentityKey

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
    ) -> None:
        self._store = store
        self._keyring = keyring
        self._clock = clock
        self.issuer = issuer
        self.default_ttl = default_ttl
        self._keys: dict[str, LoadedKey] = {}
        self._signing: LoadedKey | None = None

    def _open(self, sealed: SealedIdentityKey) -> LoadedKey:
        try:
            pem = self._keyring.open(sealed.sealed_pem, _PURPOSE)
        except SealError as exc:
            raise InternalErrorException(
                "Internal server error: the identity issuer's key cannot be opened with this "
                "server's master key (servers sharing a database need the same master key)."
            ) from exc
        return LoadedKey(SigningKey(sealed.kid, pem))

    async def _load(self) -> Sequence[SealedIdentityKey]:
        stored = await self._store.identity_keys()
        for sealed in stored:
            if sealed.kid not in self._keys:
                self._keys[sealed.kid] = self._open(sealed)
        return stored

    async def _signing_key(self) -> LoadedKey:
        if self._signing is not None:
            return self._signing
        stored = await self._load()
        if not stored:
            key = generate_signing_key()
            sealed = self._keyring.seal(key.private_pem, _PURPOSE)
            await self._store.add_identity_key(
                SealedIdentityKey(key.kid, sealed, self._clock.now())
            )
            stored = await self._load()
        self._signing = self._keys[stored[0].kid]
        return self._signing

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
        if key is None:
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
