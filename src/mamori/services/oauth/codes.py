"""Authorization codes (RFC 6749 section 4.1): issued after a hosted sign-in, redeemed once at
the token endpoint, bound to the client, the redirect URI, the PKCE challenge, the nonce and the
scopes; stored only as keyed digests, five minutes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from mamori.crypto.aead import Keyring
from mamori.crypto.secrets import opaque_token
from mamori.domain.ids import PoolId
from mamori.domain.oauth.authorization import AuthorizationGrant
from mamori.protocols.oauth2 import rfc7636
from mamori.protocols.oauth2.errors import InvalidGrant
from mamori.services.oauth.ports import AuthorizationCodeStore
from mamori.services.ports import Clock
from mamori.services.tokens.ports import RefreshSessionStore

# Cognito: an authorization code is valid for five minutes.
CODE_TTL = timedelta(minutes=5)
_PURPOSE = "authorization-code"


@dataclass(frozen=True)
class Redemption:
    """A code redeemed: its grant, and the refresh family (origin_jti) its tokens must start."""

    grant: AuthorizationGrant
    origin_jti: str
    digest: str


class AuthorizationCodes:
    def __init__(
        self,
        store: AuthorizationCodeStore,
        sessions: RefreshSessionStore,
        keyring: Keyring,
        clock: Clock,
    ) -> None:
        self._store = store
        self._sessions = sessions
        self._keyring = keyring
        self._clock = clock

    def _digest(self, code: str) -> str:
        return self._keyring.digest(code, _PURPOSE)

    async def issue(self, grant: AuthorizationGrant) -> str:
        """A new code for `grant` (stored as its digest only)."""
        code = opaque_token(32)
        await self._store.add_code(self._digest(code), grant, self._clock.now() + CODE_TTL)
        return code

    async def redeem(
        self,
        pool_id: str,
        client_id: str,
        code: str,
        redirect_uri: str | None,
        code_verifier: str | None,
    ) -> Redemption:
        """The token request's checks (RFC 6749 section 4.1.3, RFC 7636 section 4.6), on a
        code used up by this very attempt: whatever fails, the code never works again."""
        digest = self._digest(code)
        origin_jti = str(uuid.uuid4())
        redeemed = await self._store.redeem_code(pool_id, digest, self._clock.now(), origin_jti)
        if redeemed is None:
            # RFC 6749 section 4.1.2: a code used twice SHOULD revoke the tokens it issued; one
            # of its two holders is not the client.
            origin = await self._store.mark_replayed(pool_id, digest)
            if origin is not None:
                await self._sessions.revoke_origin(PoolId(pool_id), origin)
            raise InvalidGrant("The authorization code is not valid.")
        grant = redeemed.grant
        if redeemed.expires <= self._clock.now():
            raise InvalidGrant("The authorization code has expired.")
        if grant.client_id != client_id:
            raise InvalidGrant("The authorization code was issued to another client.")
        if redirect_uri != grant.redirect_uri:
            raise InvalidGrant("redirect_uri does not match the authorization request's.")
        if grant.code_challenge is not None:
            if not rfc7636.verify(code_verifier, grant.code_challenge):
                raise InvalidGrant("code_verifier does not match the code_challenge.")
        elif code_verifier is not None:
            # RFC 9700 section 2.1.1: a verifier for a code issued without a challenge is a
            # PKCE downgrade attempt.
            raise InvalidGrant("code_verifier given, but the authorization request had none.")
        return Redemption(grant, origin_jti, digest)

    async def issued(self, redemption: Redemption) -> None:
        """Once the redemption's tokens exist: a replay that raced it (flagged the code before
        the refresh session was written) revokes them now."""
        if await self._store.was_replayed(redemption.grant.pool_id, redemption.digest):
            await self._sessions.revoke_origin(
                PoolId(redemption.grant.pool_id), redemption.origin_jti
            )
            raise InvalidGrant("The authorization code is not valid.")
