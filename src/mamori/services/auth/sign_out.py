"""Sign-out and revocation: GlobalSignOut, AdminUserGlobalSignOut and RevokeToken (and
/oauth2/revoke's rule), AuthService's operations that end sessions rather than start them."""

from __future__ import annotations

from mamori.domain.errors import (
    NotAuthorizedException,
    UnauthorizedException,
    UnsupportedOperationException,
    UnsupportedTokenTypeException,
)
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.tokens.pool_tokens import TokenService
from mamori.services.tokens.ports import RefreshSessionStore
from mamori.services.userpools.clients import ClientService, check_client_secret
from mamori.services.users.accounts import UserAccounts


def _looks_like_jwt(token: str) -> bool:
    parts = token.split(".")
    return len(parts) == 3 and all(parts)


class SignOutOperations:
    """AuthService's sign-out and revocation (services/auth/service.py builds it with these)."""

    _users: UserAccounts
    _clients: ClientService
    _tokens: TokenService
    _sessions: RefreshSessionStore

    async def global_sign_out(self, access_token: str) -> None:
        ctx = await self._tokens.check_access_token(access_token)
        await self._sessions.revoke_user(ctx.pool_id, ctx.user.sub)

    async def admin_user_global_sign_out(self, pool_id: str, username: str) -> None:
        user = await self._users.require_in_pool(pool_id, username)
        await self._sessions.revoke_user(user.pool_id, user.sub)

    async def revoke_token(self, token: str, client_id: str, client_secret: str | None) -> None:
        pool, client = await self._clients.client_for_public_call(client_id)
        try:
            check_client_secret(client, client_secret)
        except NotAuthorizedException as exc:
            raise UnauthorizedException(exc.message) from exc
        await self.revoke_for_client(pool, client, token)

    async def revoke_for_client(self, pool: UserPool, client: AppClient, token: str) -> None:
        """RevokeToken's rule once the client is authenticated (/oauth2/revoke shares it)."""
        if not client.enable_token_revocation:
            raise UnsupportedOperationException(
                "Token revocation is not enabled for this app client."
            )
        if _looks_like_jwt(token):
            raise UnsupportedTokenTypeException("Only refresh tokens can be revoked.")
        session = await self._sessions.get_session(self._tokens.refresh_digest(token))
        if session is None:
            return  # RFC 7009 §2.2: an unknown token is not an error
        if session.client_id != client.id or session.pool_id != pool.id:
            raise UnauthorizedException("The refresh token was not issued to this client.")
        # The whole family: this sign-in's refresh tokens and the access tokens they issued,
        # not the user's other sessions.
        await self._sessions.revoke_origin(pool.id, session.origin_jti)
