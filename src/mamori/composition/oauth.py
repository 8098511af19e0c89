"""Assembles the OAuth provider for wiring.py: AuthorizeService (checks /oauth2/authorize
requests and completes them), LoginSessions (the hosted-login cookie's sessions) and
AuthorizationCodes (services/oauth/codes.py), as the container fields `authorize`,
`login_sessions` and `authorization_codes`."""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.store.sql.authorization_codes import SqlAuthorizationCodeStore
from mamori.adapters.store.sql.login_sessions import SqlLoginSessionStore
from mamori.crypto.aead import Keyring
from mamori.services.oauth.authorize import AuthorizeService, ProviderNames
from mamori.services.oauth.codes import AuthorizationCodes
from mamori.services.oauth.login_sessions import LoginSessions
from mamori.services.oauth.ports import ResourceServerScopes
from mamori.services.ports import Clock
from mamori.services.tokens.pool_tokens import TokenService
from mamori.services.tokens.ports import RefreshSessionStore
from mamori.services.userpools.clients import ClientService
from mamori.services.userpools.pools import PoolService
from mamori.services.users.accounts import UserAccounts


class OAuthFields(TypedDict):
    authorize: AuthorizeService
    login_sessions: LoginSessions
    authorization_codes: AuthorizationCodes


def build_oauth(
    engine: AsyncEngine,
    keyring: Keyring,
    clock: Clock,
    pools: PoolService,
    clients: ClientService,
    users: UserAccounts,
    tokens: TokenService,
    sessions: RefreshSessionStore,
    resource_scopes: ResourceServerScopes | None,
    login_session_seconds: int,
    providers: ProviderNames | None = None,
) -> OAuthFields:
    """`sessions`: the refresh sessions (a replayed code revokes what it issued);
    `resource_scopes`: the pool's resource-server scopes, so a deleted one is no longer
    granted; `providers`: the pool's identity providers (`idp_identifier`, federation)."""
    codes = AuthorizationCodes(SqlAuthorizationCodeStore(engine), sessions, keyring, clock)
    return OAuthFields(
        authorization_codes=codes,
        authorize=AuthorizeService(
            pools, clients, users, tokens, codes, resource_scopes, providers
        ),
        login_sessions=LoginSessions(
            SqlLoginSessionStore(engine),
            keyring,
            clock,
            timedelta(seconds=login_session_seconds),
        ),
    )
