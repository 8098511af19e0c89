"""Assembles the token endpoint's side of the OAuth provider for wiring.py: OAuthGrants (the
grants of /oauth2/token and /oauth2/revoke), UserInfo (/oauth2/userInfo), TokenIntrospection
(/oauth2/introspect) and ForwardAuth (a proxy's per-request token check, /<poolId>/forward-auth),
as the container fields `oauth_grants`, `user_info`, `introspection` and `forward_auth`."""

from __future__ import annotations

from typing import TypedDict

from mamori.services.auth.refresh import RefreshService
from mamori.services.auth.service import AuthService
from mamori.services.oauth.codes import AuthorizationCodes
from mamori.services.oauth.grants import OAuthGrants
from mamori.services.oauth.introspection import TokenIntrospection
from mamori.services.oauth.ports import ResourceServerScopes
from mamori.services.oauth.userinfo import UserInfo
from mamori.services.tokens.forward_auth import ForwardAuth
from mamori.services.tokens.pool_tokens import TokenService
from mamori.services.userpools.clients import ClientService
from mamori.services.users.accounts import UserAccounts


class TokenEndpointFields(TypedDict):
    oauth_grants: OAuthGrants
    user_info: UserInfo
    introspection: TokenIntrospection
    forward_auth: ForwardAuth


def build_token_endpoint(
    clients: ClientService,
    users: UserAccounts,
    tokens: TokenService,
    auth: AuthService,
    refresh: RefreshService,
    codes: AuthorizationCodes,
    resource_scopes: ResourceServerScopes,
) -> TokenEndpointFields:
    """`codes`: the authorization codes /oauth2/authorize issues (build_oauth's);
    `resource_scopes`: the pool's resource-server scopes, so client_credentials grants only
    those that still exist."""
    return TokenEndpointFields(
        oauth_grants=OAuthGrants(clients, users, tokens, auth, refresh, codes, resource_scopes),
        user_info=UserInfo(tokens, clients),
        introspection=TokenIntrospection(tokens),
        forward_auth=ForwardAuth(tokens),
    )
