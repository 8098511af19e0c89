"""Refresh: GetTokensFromRefreshToken, InitiateAuth's REFRESH_TOKEN_AUTH and the token
endpoint's refresh_token grant, one rule for the three (rotation and its reuse, the device)."""

from __future__ import annotations

from datetime import timedelta

from mamori.domain.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    RefreshTokenReuseException,
)
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.auth.devices import DeviceService
from mamori.services.auth.ports import ResourceScopes
from mamori.services.ports import Clock
from mamori.services.tokens.pool_tokens import AuthenticationResult, TokenService
from mamori.services.tokens.ports import RefreshSessionStore
from mamori.services.tokens.token_triggers import TokenSource
from mamori.services.userpools.clients import (
    ClientService,
    check_client_secret,
    check_secret_hash,
)


class RefreshService:
    def __init__(
        self,
        clients: ClientService,
        tokens: TokenService,
        sessions: RefreshSessionStore,
        clock: Clock,
        devices: DeviceService,
        resource_scopes: ResourceScopes,
    ) -> None:
        self._resource_scopes = resource_scopes
        self._clients = clients
        self._tokens = tokens
        self._sessions = sessions
        self._clock = clock
        self._devices = devices

    async def get_tokens_from_refresh_token(
        self, client_id: str, refresh_token: str, client_secret: str | None
    ) -> AuthenticationResult:
        pool, client = await self._clients.client_for_public_call(client_id)
        check_client_secret(client, client_secret)
        # Cognito: a rotating client renews only here, and its ExplicitAuthFlows leave out
        # ALLOW_REFRESH_TOKEN_AUTH (the two are documented as incompatible).
        if not client.refresh_rotation and not client.allows("ALLOW_REFRESH_TOKEN_AUTH"):
            raise InvalidParameterException("REFRESH_TOKEN_AUTH flow not enabled for this client")
        return await self._refresh(pool, client, refresh_token, rotating_call=True)

    async def oauth_refresh(
        self, pool: UserPool, client: AppClient, refresh_token: str
    ) -> AuthenticationResult:
        """The token endpoint's refresh_token grant, for a client it has authenticated: as
        GetTokensFromRefreshToken (a rotating client gets a new refresh token, and the same
        reuse rules)."""
        if not client.refresh_rotation and not client.allows("ALLOW_REFRESH_TOKEN_AUTH"):
            raise InvalidParameterException("REFRESH_TOKEN_AUTH flow not enabled for this client")
        return await self._refresh(pool, client, refresh_token, rotating_call=True)

    async def refresh_token_auth(
        self,
        pool: UserPool,
        client: AppClient,
        token: str,
        secret_hash: str | None,
        device_key: str | None,
    ) -> AuthenticationResult:
        """InitiateAuth's REFRESH_TOKEN_AUTH / REFRESH_TOKEN, once AuthService has checked the
        flow against the client: never rotates, checks the SECRET_HASH."""
        return await self._refresh(
            pool,
            client,
            token,
            rotating_call=False,
            secret_hash=secret_hash,
            device_key=device_key,
        )

    async def _refresh(
        self,
        pool: UserPool,
        client: AppClient,
        token: str,
        *,
        rotating_call: bool,
        secret_hash: str | None = None,
        device_key: str | None = None,
    ) -> AuthenticationResult:
        now = self._clock.now()
        session, user = await self._tokens.session_for(token, now)
        if session.client_id != client.id or session.pool_id != pool.id:
            raise NotAuthorizedException("Invalid Refresh Token")
        if user is None:
            raise NotAuthorizedException("Invalid Refresh Token")
        if not rotating_call and client.secret is not None:
            # Cognito: clients compute this SECRET_HASH over the username or, in pools that
            # sign in by email/phone, over the sub; accept either.
            try:
                check_secret_hash(client, user.username, secret_hash)
            except NotAuthorizedException:
                check_secret_hash(client, user.sub, secret_hash)
        if not user.enabled:
            raise NotAuthorizedException("User is disabled.")
        rotate = client.refresh_rotation and rotating_call
        if rotate:
            replaced_at = session.replaced_at
            if replaced_at is None and not await self._sessions.mark_replaced(session.digest, now):
                replaced_at = now  # a concurrent refresh rotated it a moment ago
            grace = timedelta(seconds=client.refresh_retry_grace_seconds)
            # Cognito: the rotated-out token works for RetryGracePeriodSeconds (0: not at all),
            # then RefreshTokenReuseException.
            # max(): a concurrent refresh that started after this one may have rotated it
            # "after" this call's `now`; that is still a reuse, not a time before rotation.
            if replaced_at is not None and max(now, replaced_at) >= replaced_at + grace:
                # RFC 9700 section 4.14.2: a rotated-out token presented again means one of two
                # holders is an attacker, and the server can't tell which: revoke the whole
                # family (every refresh token of this sign-in, successors included, and the
                # access tokens they issued). One conditional update; a successor added while
                # it runs is revoked too, since any revoked row revokes the family.
                await self._sessions.revoke_origin(pool.id, session.origin_jti)
                raise RefreshTokenReuseException(
                    "The refresh token has been replaced by rotation and can't be used again."
                )
        if device_key is not None and self._devices.configuration(pool) is not None:
            # REFRESH_TOKEN_AUTH's DEVICE_KEY: the new access token names the device when it is
            # one of the user's; amazon-cognito-identity-js sends a forgotten one as null.
            device = await self._devices.device_for_sign_in(pool, user, device_key)
            device_key = device.key if device is not None else None
        else:
            device_key = None
        return await self._tokens.issue(
            pool,
            client,
            user,
            auth_time=session.auth_time,
            session=session,
            new_refresh=rotate,
            device_key=device_key,
            scopes=await self._live_scopes(pool, session.scopes),
            source=TokenSource.REFRESH_TOKENS,
        )

    async def _live_scopes(
        self, pool: UserPool, scopes: tuple[str, ...] | None
    ) -> tuple[str, ...] | None:
        """The sign-in's OAuth scopes less the resource-server scopes deleted since (None: an
        API sign-in, whose tokens carry the admin scope). A rotated session keeps the narrower
        set. Only a session with a resource-server scope costs a read."""
        if scopes is None or not any("/" in s for s in scopes):
            return scopes
        existing = await self._resource_scopes.scopes_of(pool.id)
        return tuple(s for s in scopes if "/" not in s or s in existing)
