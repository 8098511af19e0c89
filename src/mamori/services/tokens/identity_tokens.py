"""The identity issuer: OpenID tokens for identities, signed with its keys (owner IDENTITY_ISSUER
of the signing-key service, made on first use), and its discovery document and JWKS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from mamori.crypto.jose import TokenError, verify
from mamori.crypto.jose import unverified_kid as token_kid
from mamori.domain.identity.identity_pool import Identity
from mamori.services.ports import Clock
from mamori.services.tokens.keys import KeyService
from mamori.services.tokens.ports import IDENTITY_ISSUER

TAGS_CLAIM = "https://aws.amazon.com/tags"


class IdentityTokenService:
    """Signs the tokens GetOpenIdToken returns and STS verifies through the public JWKS.

    Every process signs with the oldest stored key; all stored keys are published, so tokens
    stay verifiable even when two processes race to create the first key.
    """

    def __init__(self, keys: KeyService, clock: Clock, issuer: str, default_ttl: timedelta) -> None:
        """`keys`: the signing-key service the pools' tokens use too."""
        self._keys = keys
        self._clock = clock
        self.issuer = issuer
        self.default_ttl = default_ttl

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
        return (await self._keys.ensure_signing_key(IDENTITY_ISSUER)).sign(claims)

    async def verify(self, token: str) -> dict[str, Any]:
        """Signature, expiry and issuer of a token this issuer signed; TokenError otherwise."""
        # An unknown kid re-reads the store at most once per interval (forged kids cost nothing
        # more); another process's new key is found by the first read after it.
        key = await self._keys.verification_key(IDENTITY_ISSUER, token_kid(token))
        if key is None:
            raise TokenError("unknown key")
        claims = verify(token, key, self._clock.now().timestamp())
        if claims.get("iss") != self.issuer:
            raise TokenError("wrong issuer")
        return claims

    async def jwks(self) -> dict[str, Any]:
        await self._keys.ensure_signing_key(IDENTITY_ISSUER)
        return await self._keys.jwks(IDENTITY_ISSUER, fresh=True)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "aud", "amr", "iss", "iat", "exp"],
        }
