"""Verifying an identity pool's Logins: mamori user pools' ID tokens, OIDC issuers' tokens,
social providers' tokens (services/identity/social.py) and the pool's developer-identity
tokens."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mamori.crypto.jose import TokenError, unverified_kid, verify
from mamori.crypto.jwks import pick_key, token_header, verify_with_jwk
from mamori.domain.errors import NotAuthorizedException, ResourceNotFoundException
from mamori.domain.identity.identity_pool import (
    AUTHENTICATED,
    IdentityId,
    IdentityPool,
    Login,
    LoginRef,
    aws_provider_name,
    login_user_pool,
)
from mamori.domain.ids import PoolId, UserSub
from mamori.services.identity.ports import OidcError, OidcKeySource
from mamori.services.identity.social import SOCIAL_PROVIDERS, SocialLogins
from mamori.services.ports import Clock
from mamori.services.tokens.identity_tokens import IdentityTokenService
from mamori.services.tokens.keys import KeyService
from mamori.services.tokens.ports import RefreshSessionStore
from mamori.services.users.ports import UserStore

# Cognito: developer-authenticated identities present their GetOpenIdTokenForDeveloperIdentity
# token under this key in GetCredentialsForIdentity.
COGNITO_IDENTITY_KEY = "cognito-identity.amazonaws.com"

_INVALID = "Invalid login token. Not a valid OpenId Connect identity token."
_UNSUPPORTED = "Invalid login token. Token is not from a supported provider of this identity pool."


@dataclass(frozen=True)
class OidcProvider:
    """An OpenID Connect issuer mamori trusts, like an IAM OIDC provider: its client ids."""

    name: str  # issuer without scheme: the Logins key and the ARN's oidc-provider/<name>
    issuer: str
    client_ids: tuple[str, ...]


@dataclass(frozen=True)
class VerifiedLogin:
    ref: LoginRef
    claims: Mapping[str, Any] = field(repr=False)
    qualified: str  # the `amr` entry naming the subject
    login: Login | None = None  # what to link; None for a developer-identity token
    identity_id: IdentityId | None = None  # the identity a developer-identity token names


class LoginVerifier:
    def __init__(
        self,
        keys: KeyService,
        sessions: RefreshSessionStore,
        users: UserStore,
        identity_tokens: IdentityTokenService,
        oidc: OidcKeySource,
        oidc_providers: Mapping[str, OidcProvider],
        clock: Clock,
        user_pool_issuer: Callable[[str], str],
        issuer_host_path: str,
        social: SocialLogins | None = None,
    ) -> None:
        """`social`: verifies SupportedLoginProviders' tokens; None refuses them."""
        self._keys = keys
        self._sessions = sessions
        self._users = users
        self._identity_tokens = identity_tokens
        self._oidc = oidc
        self._oidc_providers = oidc_providers
        self._clock = clock
        self._user_pool_issuer = user_pool_issuer
        self._host_path = issuer_host_path
        self._identity_key = identity_tokens.issuer.split("://", 1)[-1]
        self._social = social

    async def verify(self, pool: IdentityPool, logins: Mapping[str, str]) -> list[VerifiedLogin]:
        """Every login must verify; the first failure is the answer (NotAuthorizedException)."""
        return [await self._verify_one(pool, key, token) for key, token in logins.items()]

    async def _verify_one(self, pool: IdentityPool, key: str, token: str) -> VerifiedLogin:
        if key in (COGNITO_IDENTITY_KEY, self._identity_key):
            return await self._developer_token(pool, token)
        if key in pool.oidc_provider_names():
            return await self._oidc_token(key, token)
        user_pool = login_user_pool(key, self._host_path)
        if user_pool is not None:
            return await self._user_pool_token(pool, user_pool, token)
        if key == pool.developer_provider_name:
            raise NotAuthorizedException(
                "Developer-authenticated logins are accepted only through "
                "GetOpenIdTokenForDeveloperIdentity."
            )
        if key in pool.supported_login_providers:
            if key in SOCIAL_PROVIDERS and self._social is not None:
                login = await self._social.verify(key, pool.supported_login_providers[key], token)
                return VerifiedLogin(
                    ref=LoginRef(key),
                    claims=login.claims,
                    qualified=f"{key}:{login.subject}",
                    login=Login(key, login.subject),
                )
            raise NotAuthorizedException(
                f"Invalid login token. This server cannot verify tokens of {key} yet."
            )
        raise NotAuthorizedException(_UNSUPPORTED)

    def _expired_or_invalid(self, exc: TokenError) -> NotAuthorizedException:
        if "expired" in str(exc):
            return NotAuthorizedException("Invalid login token. Token expired.")
        return NotAuthorizedException(_INVALID)

    async def _user_pool_token(
        self, pool: IdentityPool, user_pool: PoolId, token: str
    ) -> VerifiedLogin:
        providers = pool.cognito_providers_for(user_pool)
        if not providers:
            raise NotAuthorizedException(_UNSUPPORTED)
        try:
            kid = unverified_kid(token)
            key = await self._keys.verification_key(user_pool, kid)
        except (TokenError, ResourceNotFoundException) as exc:
            raise NotAuthorizedException(_INVALID) from exc
        if key is None:
            raise NotAuthorizedException(_INVALID)
        try:
            claims = verify(token, key, self._clock.now().timestamp())
        except TokenError as exc:
            raise self._expired_or_invalid(exc) from exc
        if claims.get("iss") != self._user_pool_issuer(user_pool):
            raise NotAuthorizedException("Invalid login token. Issuer doesn't match providerName")
        if "aud" not in claims:
            # Cognito: what an access token passed as a login gets.
            raise NotAuthorizedException("Invalid login token. Missing a required claim: aud")
        if claims.get("token_use") != "id":
            raise NotAuthorizedException(_INVALID)
        # Cognito: a provider without ClientId accepts every app client of its user pool.
        provider = next(
            (p for p in providers if not p.client_id or p.client_id == claims["aud"]), None
        )
        if provider is None:
            raise NotAuthorizedException("Invalid login token. Incorrect token audience.")
        sub = str(claims.get("sub", ""))
        if provider.server_side_token_check:
            await self._server_side_check(user_pool, sub, str(claims.get("origin_jti", "")))
        name = aws_provider_name(user_pool)
        return VerifiedLogin(
            ref=LoginRef(name, user_pool, str(claims["aud"])),
            claims=claims,
            qualified=f"{name}:CognitoSignIn:{sub}",
            login=Login(name, sub),
        )

    async def _server_side_check(self, user_pool: PoolId, sub: str, origin_jti: str) -> None:
        """ServerSideTokenCheck: the sign-in is still live and the user still enabled."""
        if origin_jti and await self._sessions.is_origin_revoked(user_pool, origin_jti):
            raise NotAuthorizedException("Invalid login token. Token has been revoked.")
        user = await self._users.get_user_by_sub(user_pool, UserSub(sub))
        if user is None or not user.enabled:
            raise NotAuthorizedException("Invalid login token. User is disabled or deleted.")

    async def _oidc_token(self, name: str, token: str) -> VerifiedLogin:
        provider = self._oidc_providers.get(name)
        if provider is None:
            raise NotAuthorizedException(
                f"Invalid login token. The OpenID Connect provider {name} is not registered "
                "with this server (setting oidc_providers)."
            )
        try:
            kid, alg = token_header(token)
            keys = await self._oidc.jwks(provider.issuer)
            try:
                jwk = pick_key(keys, kid, alg)
            except TokenError:
                jwk = pick_key(await self._oidc.jwks(provider.issuer, refresh=True), kid, alg)
            claims = verify_with_jwk(token, jwk, alg, self._clock.now().timestamp())
        except TokenError as exc:
            raise self._expired_or_invalid(exc) from exc
        except OidcError as exc:
            raise NotAuthorizedException(
                f"Invalid login token. Cannot fetch the keys of {provider.issuer}."
            ) from exc
        if claims.get("iss") != provider.issuer:
            raise NotAuthorizedException("Invalid login token. Issuer doesn't match providerName")
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if not any(a in provider.client_ids for a in audiences):
            raise NotAuthorizedException("Invalid login token. Incorrect token audience.")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise NotAuthorizedException("Invalid login token. Missing a required claim: sub")
        return VerifiedLogin(
            ref=LoginRef(name), claims=claims, qualified=f"{name}:{sub}", login=Login(name, sub)
        )

    async def _developer_token(self, pool: IdentityPool, token: str) -> VerifiedLogin:
        try:
            claims = await self._identity_tokens.verify(token)
        except TokenError as exc:
            raise self._expired_or_invalid(exc) from exc
        amr = claims.get("amr")
        # Only tokens of GetOpenIdTokenForDeveloperIdentity: a basic-flow token of a user-pool
        # login must not skip that provider's role mapping by coming back under this key.
        if (
            claims.get("aud") != pool.id
            or not isinstance(amr, list)
            or AUTHENTICATED not in amr
            or not pool.developer_provider_name
            or pool.developer_provider_name not in amr
        ):
            raise NotAuthorizedException(_INVALID)
        return VerifiedLogin(
            ref=LoginRef(pool.developer_provider_name),
            claims=claims,
            qualified=str(amr[-1]),
            identity_id=IdentityId(str(claims.get("sub", ""))),
        )
