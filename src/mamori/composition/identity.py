"""Assembles the identity pools' services for wiring.py: their stores, the identity issuer,
login verification (other OpenID issuers' keys, the social providers) and the STS client, as
`IdentityServices`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.http import OutboundHttp
from mamori.adapters.issuers.oidc import OidcKeys
from mamori.adapters.issuers.social import FacebookGraph, LoginWithAmazon
from mamori.adapters.store.sql.identity_pools import SqlIdentityPoolStore, SqlIdentityStore
from mamori.adapters.store.sql.sessions import SqlRefreshSessionStore
from mamori.adapters.store.sql.users import SqlUserStore
from mamori.adapters.sts import StsClient, StsConfig
from mamori.config import Settings, parse_oidc_provider
from mamori.domain.userpools.identity_providers import ProviderType
from mamori.domain.userpools.provider_endpoints import ProviderEndpoints
from mamori.services.identity.credentials import CredentialsService, IdentityServices
from mamori.services.identity.identities import IdentityService
from mamori.services.identity.identity_pools import IdentityPoolService
from mamori.services.identity.logins import LoginVerifier, OidcProvider
from mamori.services.identity.social import AMAZON, APPLE, FACEBOOK, GOOGLE, SocialLogins
from mamori.services.ports import Clock
from mamori.services.tokens.identity_tokens import IdentityTokenService
from mamori.services.tokens.keys import KeyService
from mamori.services.tokens.pool_tokens import TokenService


def build_identity_services(
    settings: Settings,
    engine: AsyncEngine,
    clock: Clock,
    keys: KeyService,
    session_store: SqlRefreshSessionStore,
    user_store: SqlUserStore,
    tokens: TokenService,
    http: OutboundHttp,
    endpoints: ProviderEndpoints | None = None,
) -> IdentityServices:
    """Identity pools: stores, the identity issuer, login verification and the STS client.
    `endpoints`: the social providers' URLs (the well-known ones when None)."""
    host_path = settings.effective_public_url.split("://", 1)[-1]
    identity_tokens = IdentityTokenService(
        keys,
        clock,
        settings.identity_issuer,
        timedelta(seconds=settings.identity_token_ttl_seconds),
    )
    oidc_providers = {}
    for entry in settings.oidc_providers:
        issuer, client_ids = parse_oidc_provider(entry)
        name = issuer.split("://", 1)[-1]
        oidc_providers[name] = OidcProvider(name, issuer, client_ids)
    timeout = float(settings.sts_timeout_seconds)
    oidc_keys = OidcKeys(http.client(), timeout)
    verifier = LoginVerifier(
        keys,
        session_store,
        user_store,
        identity_tokens,
        oidc_keys,
        oidc_providers,
        clock,
        tokens.issuer,
        host_path,
        social_logins(endpoints or ProviderEndpoints(), oidc_keys, http, timeout, clock),
    )
    identity_store = SqlIdentityStore(engine)
    identity_pools = IdentityPoolService(
        SqlIdentityPoolStore(engine), identity_store, clock, settings.region, host_path
    )
    identities = IdentityService(
        identity_pools, identity_store, verifier, identity_tokens, clock, host_path
    )
    sts = StsClient(
        StsConfig(
            settings.effective_sts_endpoint,
            settings.effective_sts_region,
            settings.sts_access_key_id,
            settings.sts_secret_access_key,
            float(settings.sts_timeout_seconds),
        ),
        http.client(),
    )
    credentials = CredentialsService(
        identities, identity_tokens, sts, settings.identity_credentials_seconds
    )
    return IdentityServices(identity_pools, identities, credentials, identity_tokens)


def _graph_url(me_url: str) -> str:
    """The versioned Graph API root of Facebook's `/me` URL (`.../v17.0/me?fields=`)."""
    path = me_url.split("?", 1)[0].rstrip("/")
    return path.removesuffix("/me")


def social_logins(
    endpoints: ProviderEndpoints,
    oidc_keys: OidcKeys,
    http: OutboundHttp,
    timeout: float,
    clock: Clock,
) -> SocialLogins:
    """SupportedLoginProviders' verification at the providers' (overridable) endpoints."""
    amazon = endpoints.of(ProviderType.LOGIN_WITH_AMAZON)
    google = endpoints.of(ProviderType.GOOGLE)
    apple = endpoints.of(ProviderType.SIGN_IN_WITH_APPLE)
    return SocialLogins(
        oidc_keys,
        {GOOGLE: google.jwks_uri, APPLE: apple.jwks_uri},
        {
            FACEBOOK: FacebookGraph(
                http.client(),
                _graph_url(endpoints.of(ProviderType.FACEBOOK).attributes_url),
                timeout,
            ),
            AMAZON: LoginWithAmazon(
                http.client(), amazon.token_info_url, amazon.attributes_url, timeout
            ),
        },
        clock,
        {GOOGLE: google.issuer, APPLE: apple.issuer},
    )
