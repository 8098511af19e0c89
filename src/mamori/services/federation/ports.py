"""What federation depends on: the pool's identity providers, and a relying party's calls to
an OpenID Connect provider (discovery, the token endpoint, userinfo, signing keys)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mamori.domain.oauth.authorization import AuthorizationRequest
from mamori.domain.userpools.identity_providers import IdentityProvider


class ProviderError(Exception):
    """A provider could not be reached, timed out, or answered with an error or something
    unusable; the message is for the log, never shown to the user."""


class IdentityProviders(Protocol):
    """services/userpools/identity_providers.py IdentityProviderService's reads."""

    async def provider(self, pool_id: str, name: str) -> IdentityProvider: ...

    async def by_identifier(self, pool_id: str, identifier: str) -> IdentityProvider: ...


@dataclass(frozen=True)
class OidcEndpoints:
    """A provider's endpoints, as configured or discovered (OpenID Connect Discovery 1.0)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str | None = None
    jwks_uri: str | None = None
    # token_endpoint_auth_methods_supported: how the client secret is sent.
    token_auth_methods: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ProviderTokens:
    id_token: str
    access_token: str | None


class OidcRelyingParty(Protocol):
    """adapters/federation/oidc.py: the calls, over the shared HTTP client with timeouts."""

    async def discover(self, issuer: str) -> OidcEndpoints: ...

    async def redeem(
        self,
        endpoints: OidcEndpoints,
        client_id: str,
        client_secret: str | None,
        basic: bool,
        form: Mapping[str, str],
    ) -> ProviderTokens:
        """The token endpoint's answer to the authorization_code grant `form`; the secret in
        HTTP Basic (`basic`) or the form (client_secret_post)."""

    async def userinfo(self, url: str, access_token: str, method: str) -> Mapping[str, Any]: ...

    async def keys(self, endpoints: OidcEndpoints, refresh: bool) -> Sequence[Mapping[str, Any]]:
        """The provider's signing keys (JWKS), cached; `refresh`: a token named an unknown key."""


class ProfileClient(Protocol):
    """adapters/federation/oidc.py: a plain OAuth 2.0 provider's calls (Facebook, Login with
    Amazon), which issue no ID token: the code redeemed for an access token, then the profile."""

    async def access_token(self, token_url: str, form: Mapping[str, str]) -> str:
        """The token endpoint's access_token for the authorization_code grant `form` (the
        client id and secret in it)."""

    async def profile(self, url: str, access_token: str) -> Mapping[str, Any]:
        """The profile the access token reads (Graph /me, Amazon /user/profile), as a Bearer
        token."""


class SamlStarter(Protocol):
    """services/federation/saml.py: a SAML provider's sign-in, begun where OidcFederation
    begins the others (/oauth2/authorize with identity_provider or idp_identifier, the login
    page's buttons); its answer comes to /saml2/idpresponse, not /oauth2/idpresponse."""

    async def start(
        self, request: AuthorizationRequest, provider: IdentityProvider, cookie: str, acs_url: str
    ) -> str:
        """Where to send the browser: the IdP's single sign-on URL with an AuthnRequest
        (HTTP-Redirect binding) and a RelayState bound to `cookie` (this browser's);
        `acs_url` is the domain's /saml2/idpresponse."""
