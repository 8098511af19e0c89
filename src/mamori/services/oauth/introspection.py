"""Token introspection (RFC 7662), an extension Cognito lacks: whether an access token of the
domain's pool is active now (signature and expiry, and what no offline check can see:
revocation, its app client and its user still there), for resource servers that ask."""

from __future__ import annotations

from typing import Any

from mamori.domain.errors import NotAuthorizedException
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.protocols.oauth2.errors import InvalidClient
from mamori.services.tokens.pool_tokens import TokenService


class TokenIntrospection:
    def __init__(self, tokens: TokenService) -> None:
        self._tokens = tokens

    async def introspect(
        self, pool: UserPool, caller: AppClient, token: str
    ) -> dict[str, Any] | None:
        """The claims of an active access token of `pool`, or None: inactive, whatever the
        reason (section 2.2 tells the caller nothing more). `caller`, the authenticated client
        of the same pool, must have a secret; it may ask about any of the pool's tokens, as a
        resource server of the pool would verify them."""
        if caller.secret is None:
            # Section 2.1: the endpoint MUST authenticate its callers; a public client's
            # client_id alone proves nothing.
            raise InvalidClient("Only a client with a secret may introspect tokens.")
        try:
            token_pool, claims = await self._tokens.access_claims(token)
        except NotAuthorizedException:
            return None  # malformed, forged, expired, an ID or refresh token
        if token_pool != pool.id:
            return None
        holder = await self._tokens.holder_of(token_pool, claims)
        if holder.revoked or not holder.client_exists:
            return None
        # A user's token speaks for the user only while the user exists and is enabled, as
        # GetUser judges it; a client_credentials token, for its client only.
        for_user = "username" in claims or "origin_jti" in claims
        if for_user and (holder.user is None or not holder.user.enabled):
            return None
        return claims
