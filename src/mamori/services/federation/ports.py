"""What federation depends on: the pool's identity providers, and a relying party's calls to
an OpenID Connect provider (discovery, the token endpoint, userinfo, signing keys)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
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


# --- SAML 2.0 (services/federation/saml.py; adapters/federation/saml.py runs pysaml2)


class SamlError(Exception):
    """A SAML message that can't be trusted or used (a bad signature, another audience, out
    of its validity window, unsolicited, malformed) or an IdP that can't be reached; the
    message is for the log, never shown."""


class SamlStatusError(SamlError):
    """The IdP answered with an error status (`status`: the last part of its URN, such as
    `AuthnFailed` or `RequestDenied`)."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the IdP answered {status}")
        self.status = status


@dataclass(frozen=True)
class SpKeys:
    """A pool's SAML keys and certificates, PEM: one pair signs requests, the other is what
    IdPs encrypt assertions to."""

    signing_key: str = field(repr=False)
    signing_certificate: str
    encryption_key: str = field(repr=False)
    encryption_certificate: str


@dataclass(frozen=True)
class ServiceProvider:
    """The pool as a SAML service provider, at the domain it is reached by."""

    entity_id: str  # urn:amazon:cognito:sp:<UserPoolId>
    acs_url: str  # <domain>/saml2/idpresponse
    slo_url: str  # <domain>/saml2/logout
    keys: SpKeys


@dataclass(frozen=True)
class IdpMetadata:
    """What the SP reads of a provider's metadata."""

    xml: str = field(repr=False)
    entity_id: str
    sso_redirect_url: str | None
    slo_redirect_url: str | None


@dataclass(frozen=True)
class SamlAssertion:
    """What a verified SAML response says: who signed in (NameID), the attributes by SAML
    name, the session at the IdP (for single logout) and the assertion's id and lifetime
    (for replay protection)."""

    issuer: str
    name_id: str
    name_id_format: str | None
    session_index: str | None
    attributes: Mapping[str, tuple[str, ...]]
    assertion_id: str
    in_response_to: str | None
    not_on_or_after: int  # epoch seconds: until when the assertion could be presented


@dataclass(frozen=True)
class SamlRedirect:
    request_id: str
    url: str  # where the browser goes (HTTP-Redirect binding)


@dataclass(frozen=True)
class LogoutMessage:
    """A LogoutRequest (`is_request`) or LogoutResponse received at /saml2/logout."""

    is_request: bool
    id: str
    in_response_to: str | None
    name_id: str | None
    success: bool


class SamlProviders(IdentityProviders, Protocol):
    """IdentityProviderService's reads SAML needs: also every provider of a pool (which one
    an IdP-initiated LogoutRequest comes from)."""

    async def providers_of(self, pool_id: str) -> list[IdentityProvider]: ...


class SamlServiceProvider(Protocol):
    """adapters/federation/saml.py: the SAML messages, built and checked by pysaml2 (XML
    signatures and encryption through xmlsec1) on worker threads; the IdP's metadata read
    from ProviderDetails or fetched (with a timeout) and cached."""

    async def idp_metadata(self, provider: IdentityProvider) -> IdpMetadata: ...

    async def authn_request(
        self, sp: ServiceProvider, idp: IdpMetadata, relay_state: str, sign: bool
    ) -> SamlRedirect: ...

    async def read_response(
        self,
        sp: ServiceProvider,
        idp: IdpMetadata,
        saml_response: str,
        request_id: str | None,
        encrypted: bool,
    ) -> SamlAssertion:
        """The response's assertion, checked: the signature (response or assertion) by a
        certificate of the IdP's metadata, audience, conditions, destination and recipient,
        InResponseTo `request_id` (None: unsolicited, IdP-initiated); `encrypted`: only an
        encrypted assertion is accepted. SamlStatusError for an error status, SamlError
        otherwise."""

    async def sp_metadata(self, sp: ServiceProvider, encrypted: bool) -> str: ...

    async def logout_request(
        self,
        sp: ServiceProvider,
        idp: IdpMetadata,
        name_id: str,
        name_id_format: str | None,
        session_index: str | None,
        relay_state: str,
    ) -> SamlRedirect:
        """A signed LogoutRequest to the IdP's SLO URL (HTTP-Redirect binding)."""

    async def read_logout(
        self, sp: ServiceProvider, idp: IdpMetadata, query: Mapping[str, str], raw_query: str
    ) -> LogoutMessage:
        """A LogoutRequest or LogoutResponse from `query` (HTTP-Redirect binding). Its
        signature is checked over `raw_query` (the query as received) against the IdP's
        metadata certificates: required for a LogoutRequest, checked for a LogoutResponse
        when present (SamlError when the check fails)."""

    async def logout_response(
        self, sp: ServiceProvider, idp: IdpMetadata, request_id: str, relay_state: str | None
    ) -> str:
        """Where to send the browser: a signed LogoutResponse to the IdP's SLO URL."""

    def message_issuer(self, encoded: str, redirect: bool) -> str | None:
        """The Issuer an (unverified) SAML message names: which provider to check it with."""


@dataclass(frozen=True)
class SamlRequestRecord:
    """A request sent to an IdP, kept until its answer: `digest` the RelayState token's keyed
    digest; `kind` "signin" (`request`: the authorization request's query) or "logout"
    (`request`: {"target": where /logout goes}); `binding` the federation cookie's digest."""

    digest: str
    pool_id: str
    kind: str
    provider_name: str
    request_id: str
    request: Mapping[str, str]
    binding: str
    expires: datetime


@dataclass(frozen=True)
class SealedSamlKey:
    use: str  # "signing" or "encryption"
    sealed_key: str = field(repr=False)
    certificate: str
    created: datetime


class SamlStore(Protocol):
    """adapters/store/sql/saml.py; every call scoped by pool."""

    async def add_request(self, record: SamlRequestRecord, now: datetime) -> None:
        """Keeps `record` (and drops the pool's expired ones)."""

    async def take_request(
        self, pool_id: str, digest: str, now: datetime
    ) -> SamlRequestRecord | None:
        """The unexpired request with this digest, removed: only one caller ever gets it."""

    async def first_use(self, pool_id: str, digest: str, expires: datetime, now: datetime) -> bool:
        """Records an accepted assertion until `expires`; False when it was recorded before."""

    async def saml_keys(self, pool_id: str) -> list[SealedSamlKey]: ...

    async def add_saml_key(self, pool_id: str, key: SealedSamlKey) -> bool:
        """False when the pool has a key for that use already (another process made it)."""


class ExpiredSaml(Protocol):
    """The purge's side of the SAML store: expired requests and assertions, every pool."""

    async def count_saml_expired_before(self, cutoff: datetime) -> int: ...
    async def delete_saml_expired_before(self, cutoff: datetime, batch: int) -> int: ...
