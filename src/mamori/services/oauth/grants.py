"""The token endpoint's grants (RFC 6749 section 4.1.3, 4.4, 6) and the revocation endpoint
(RFC 7009), for a client authenticated as section 2.3.1 says; the rules are the API's own
(RefreshService's refresh, AuthService's revocation, TokenService's tokens)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mamori.domain.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    RefreshTokenReuseException,
    UnauthorizedException,
    UnsupportedOperationException,
    UnsupportedTokenTypeException,
)
from mamori.domain.userpools.app_client import AppClient, OAuthFlow
from mamori.domain.userpools.user_pool import UserPool
from mamori.protocols.oauth2.client_auth import ClientCredentials
from mamori.protocols.oauth2.errors import (
    AccessDenied,
    InvalidClient,
    InvalidGrant,
    InvalidScope,
    UnauthorizedClient,
    UnsupportedTokenType,
)
from mamori.protocols.oidc.core import OPENID
from mamori.services.auth.refresh import RefreshService
from mamori.services.auth.service import AuthService
from mamori.services.oauth.codes import AuthorizationCodes
from mamori.services.oauth.ports import ResourceServerScopes
from mamori.services.tokens.pool_tokens import AuthenticationResult, TokenService
from mamori.services.tokens.token_triggers import TRIGGER_FAILURES, TokenSource
from mamori.services.userpools.clients import ClientService, check_client_secret
from mamori.services.users.accounts import UserAccounts


@dataclass(frozen=True)
class TokenResponse:
    """RFC 6749 section 5.1's successful response."""

    access_token: str = field(repr=False)
    expires_in: int
    id_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    token_type: str = "Bearer"


def _response(result: AuthenticationResult, scopes: tuple[str, ...] | None) -> TokenResponse:
    # Cognito: an ID token only when `openid` was granted (the API's sessions always had one).
    with_id = scopes is None or OPENID in scopes
    return TokenResponse(
        access_token=result.access_token,
        expires_in=result.expires_in,
        id_token=result.id_token if with_id else None,
        refresh_token=result.refresh_token,
    )


def _oauth_client(client: AppClient, flow: OAuthFlow) -> None:
    """AllowedOAuthFlowsUserPoolClient and AllowedOAuthFlows."""
    if not client.oauth.enabled or flow not in (client.oauth.flows or ()):
        raise UnauthorizedClient(f"The client is not allowed the {flow.value} flow.")


class OAuthGrants:
    def __init__(
        self,
        clients: ClientService,
        users: UserAccounts,
        tokens: TokenService,
        auth: AuthService,
        refresh: RefreshService,
        codes: AuthorizationCodes,
        resource_scopes: ResourceServerScopes,
    ) -> None:
        self._clients = clients
        self._users = users
        self._tokens = tokens
        self._auth = auth
        self._refresh = refresh
        self._codes = codes
        self._resource_scopes = resource_scopes

    async def client(self, pool_id: str, given: ClientCredentials) -> tuple[UserPool, AppClient]:
        """The client of this domain's pool, its secret proven (a public client: none sent)."""
        # The client and its pool in one read; a client of another pool is unknown here.
        found = await self._clients.client_with_pool(given.client_id)
        if found is None or found[0].id != pool_id:
            raise InvalidClient("Unknown client.")
        pool, client = found
        if client.secret is None and given.secret:
            raise InvalidClient("The client has no secret.")
        try:
            check_client_secret(client, given.secret)
        except NotAuthorizedException as exc:
            raise InvalidClient("Client authentication failed.") from exc
        return pool, client

    async def authorization_code(
        self,
        pool: UserPool,
        client: AppClient,
        code: str,
        redirect_uri: str | None,
        code_verifier: str | None,
    ) -> TokenResponse:
        _oauth_client(client, OAuthFlow.CODE)
        redemption = await self._codes.redeem(pool.id, client.id, code, redirect_uri, code_verifier)
        grant = redemption.grant
        user = await self._users.user_by_sub(pool, grant.sub)
        if user is None or not user.enabled:
            raise InvalidGrant("The user is no longer able to sign in.")
        openid = OPENID in grant.scopes
        try:
            result = await self._tokens.issue(
                pool,
                client,
                user,
                auth_time=grant.auth_time,
                scopes=grant.scopes,
                nonce=grant.nonce if openid else None,
                at_hash=openid,
                origin_jti=redemption.origin_jti,
                source=TokenSource.HOSTED_AUTH,
            )
        except TRIGGER_FAILURES as exc:
            raise AccessDenied(exc.message) from exc
        await self._codes.issued(redemption)
        return _response(result, grant.scopes)

    async def refresh_token(
        self, pool: UserPool, client: AppClient, refresh_token: str
    ) -> TokenResponse:
        try:
            result = await self._refresh.oauth_refresh(pool, client, refresh_token)
        except InvalidParameterException as exc:
            raise UnauthorizedClient(exc.message) from exc
        except (NotAuthorizedException, RefreshTokenReuseException) as exc:
            raise InvalidGrant(exc.message) from exc
        return _response(result, result.scopes)

    async def client_credentials(
        self, pool: UserPool, client: AppClient, scope: str | None
    ) -> TokenResponse:
        _oauth_client(client, OAuthFlow.CLIENT_CREDENTIALS)
        if client.secret is None:
            # Cognito: only a confidential client may use client_credentials.
            raise UnauthorizedClient("client_credentials needs a client with a secret.")
        requested = scope.split() if scope is not None and scope.strip() else None
        granted = await self._machine_scopes(pool, client, requested)
        try:
            token, expires_in = await self._tokens.issue_client_token(pool, client, granted)
        except TRIGGER_FAILURES as exc:
            raise AccessDenied(exc.message) from exc
        return TokenResponse(access_token=token, expires_in=expires_in)

    async def get_client_token(
        self, client_id: str, secret: str, scopes: Sequence[str] | None
    ) -> TokenResponse:
        """GetClientToken: client_credentials over the API, authorised by the client's secret
        (not SigV4), answering with the API's errors."""
        pool, client = await self._clients.client_for_public_call(client_id)
        if client.secret is None:
            raise NotAuthorizedException(f"Client {client.id} is not configured with a secret.")
        check_client_secret(client, secret)
        # Cognito: the client needs ALLOW_CLIENT_TOKEN_AUTH, which botocore's model doesn't
        # list yet (ExplicitAuthFlowsType); a client set up for client_credentials qualifies.
        m2m = client.oauth.enabled and OAuthFlow.CLIENT_CREDENTIALS in (client.oauth.flows or ())
        if not m2m and "ALLOW_CLIENT_TOKEN_AUTH" not in client.explicit_auth_flows:
            raise NotAuthorizedException("Client is not enabled for client token authentication.")
        try:
            granted = await self._machine_scopes(pool, client, scopes or None)
        except InvalidScope as exc:
            raise InvalidParameterException(exc.description) from exc
        token, expires_in = await self._tokens.issue_client_token(pool, client, granted)
        return TokenResponse(access_token=token, expires_in=expires_in)

    async def _machine_scopes(
        self, pool: UserPool, client: AppClient, requested: Sequence[str] | None
    ) -> tuple[str, ...]:
        """The scopes a machine token gets: those asked for, each allowed to the client and
        still defined by its resource server; none asked: every such scope."""
        allowed = client.oauth.scopes or ()
        existing = await self._resource_scopes.scopes_of(pool.id)
        if requested is None:
            granted = tuple(s for s in allowed if s in existing)
        else:
            granted = tuple(dict.fromkeys(requested))
            for name in granted:
                if name not in allowed or name not in existing:
                    raise InvalidScope(f"Invalid scope requested: {name}")
        if not granted:
            raise InvalidScope("No resource-server scope is allowed for this client.")
        return granted

    async def revoke(self, pool: UserPool, client: AppClient, token: str) -> None:
        """RFC 7009 with Cognito's rule: a refresh token revokes its whole family; an access
        token is unsupported_token_type."""
        try:
            await self._auth.revoke_for_client(pool, client, token)
        except UnsupportedTokenTypeException as exc:
            raise UnsupportedTokenType(exc.message) from exc
        except UnsupportedOperationException as exc:
            raise UnauthorizedClient(exc.message) from exc
        except UnauthorizedException as exc:
            raise InvalidGrant(exc.message) from exc
