"""Signing in through an OpenID Connect provider (type OIDC, and Google: OIDC at Google's
endpoints): the redirect to the provider with state, nonce and PKCE S256, then at
/oauth2/idpresponse the code redeemed, the ID token checked (signature through the provider's
JWKS, issuer, audience, nonce, expiry), userinfo when the provider's attributes_request_method
asks for it, and the federated user made or refreshed (services/users/federated.py).
Facebook and Login with Amazon take services/federation/social.py's way (an access token and
the profile, no ID token) to the same user; Sign in with Apple services/federation/apple.py's
(form_post, whose POSTed answer is sealed and carried to the GET by `seal_posted`/`open_posted`;
the client secret an ES256 JWT; the name from the `user` JSON).

What the wire does with the outcome (a login session, AuthorizeService.complete) is the same
as after the hosted login form.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Mapping
from typing import Any

from mamori.crypto.jose import TokenError
from mamori.crypto.jwks import pick_key, token_header, verify_with_jwk
from mamori.crypto.secrets import opaque_token
from mamori.domain.errors import (
    ResourceNotFoundException,
)
from mamori.domain.oauth.authorization import AuthorizationRequest, SignedIn
from mamori.domain.userpools.identity_providers import IdentityProvider, ProviderType
from mamori.domain.userpools.provider_endpoints import ProviderEndpoints
from mamori.domain.users.federated import ProviderIdentity, mapped_attributes, subject_claim
from mamori.protocols.oauth2 import rfc7636
from mamori.protocols.oauth2.errors import AccessDenied, InvalidRequest, OAuthError, ServerError
from mamori.protocols.oidc.id_tokens import IdTokenError, check_id_token, check_userinfo
from mamori.services.federation import apple
from mamori.services.federation.inbound import InboundFederation
from mamori.services.federation.ports import (
    IdentityProviders,
    OidcEndpoints,
    OidcRelyingParty,
    ProfileClient,
    ProviderError,
    SamlStarter,
)
from mamori.services.federation.social import (
    PROFILE_TYPES,
    authorize_params,
    endpoints_of,
    profile_claims,
)
from mamori.services.federation.states import FederationState, FederationStates, StateError
from mamori.services.ports import Clock
from mamori.services.tokens.token_triggers import TRIGGER_FAILURES, redirect_refusal
from mamori.services.users.federated import FederatedUsers

log = logging.getLogger("mamori.federation")

OIDC_TYPES = frozenset({ProviderType.OIDC, ProviderType.GOOGLE})
_USERINFO_METHODS = frozenset({"GET", "POST"})


class FederationError(Exception):
    """A federated sign-in that can't go on: `error` is what the client (or the error page)
    is told; the cause is logged, never shown."""

    def __init__(self, error: OAuthError) -> None:
        super().__init__(error.description)
        self.error = error


def _sign_in_failed() -> FederationError:
    return FederationError(InvalidRequest("The identity provider's sign-in could not be used."))


class OidcFederation:
    def __init__(
        self,
        providers: IdentityProviders,
        relying_party: OidcRelyingParty,
        users: FederatedUsers,
        states: FederationStates,
        endpoints: ProviderEndpoints,
        clock: Clock,
        profiles: ProfileClient | None = None,
        saml: SamlStarter | None = None,
        inbound: InboundFederation | None = None,
    ) -> None:
        """`inbound`: the pools' InboundFederation functions (None: never asked)."""
        self._inbound = inbound
        self._providers = providers
        self._rp = relying_party
        self._users = users
        self._states = states
        self._social = endpoints
        self._clock = clock
        # Facebook and Login with Amazon (services/federation/social.py); None: not offered.
        self._profiles = profiles
        # SAML providers (services/federation/saml.py); None: not offered.
        self._saml = saml

    async def _provider(self, pool_id: str, name: str) -> IdentityProvider:
        try:
            provider = await self._providers.provider(pool_id, name)
        except ResourceNotFoundException as exc:
            raise FederationError(InvalidRequest(f"No identity provider is named {name}.")) from exc
        if (
            provider.type not in OIDC_TYPES
            and provider.type is not ProviderType.SIGN_IN_WITH_APPLE
            and not (self._profiles is not None and provider.type in PROFILE_TYPES)
            and not (self._saml is not None and provider.type is ProviderType.SAML)
        ):
            raise FederationError(
                InvalidRequest(
                    f"Sign-in through a {provider.type.value} provider is not supported."
                )
            )
        return provider

    async def _endpoints(self, provider: IdentityProvider) -> OidcEndpoints:
        if provider.type is ProviderType.GOOGLE:
            google = self._social.google
            return OidcEndpoints(
                issuer=google.issuer,
                authorization_endpoint=google.authorize_url,
                token_endpoint=google.token_url,
                jwks_uri=google.jwks_uri,
                token_auth_methods=("client_secret_post",),
            )
        issuer = provider.detail("oidc_issuer") or ""
        explicit = {
            "authorization_endpoint": provider.detail("authorize_url"),
            "token_endpoint": provider.detail("token_url"),
            "userinfo_endpoint": provider.detail("attributes_url"),
            "jwks_uri": provider.detail("jwks_uri"),
        }
        if explicit["authorization_endpoint"] and explicit["token_endpoint"]:
            return OidcEndpoints(
                issuer=issuer,
                authorization_endpoint=str(explicit["authorization_endpoint"]),
                token_endpoint=str(explicit["token_endpoint"]),
                userinfo_endpoint=explicit["userinfo_endpoint"],
                jwks_uri=explicit["jwks_uri"],
            )
        try:
            found = await self._rp.discover(issuer)
        except ProviderError as exc:
            log.warning("identity provider %s: discovery failed: %s", provider.name, exc)
            raise FederationError(
                ServerError("The identity provider could not be reached.")
            ) from exc
        return OidcEndpoints(
            issuer=issuer,
            authorization_endpoint=found.authorization_endpoint,
            token_endpoint=found.token_endpoint,
            userinfo_endpoint=explicit["userinfo_endpoint"] or found.userinfo_endpoint,
            jwks_uri=explicit["jwks_uri"] or found.jwks_uri,
            token_auth_methods=found.token_auth_methods,
        )

    async def start(
        self,
        request: AuthorizationRequest,
        provider_name: str,
        cookie: str,
        redirect_uri: str,
        acs_url: str = "",
    ) -> str:
        """Where to send the browser: the provider's authorization endpoint with a sealed
        state bound to `cookie` (the browser's), a nonce and a PKCE S256 challenge; for a SAML
        provider its AuthnRequest, answered at `acs_url` (the domain's /saml2/idpresponse).
        FederationError when the provider is unknown, of another type, or unreachable."""
        provider = await self._provider(request.pool_id, provider_name)
        if provider.type is ProviderType.SAML and self._saml is not None:
            return await self._saml.start(request, provider, cookie, acs_url)
        nonce, verifier = opaque_token(32), opaque_token(48)
        state = self._states.seal(
            FederationState(request.pool_id, provider.name, request.to_query(), nonce, verifier),
            cookie,
        )
        if provider.type in PROFILE_TYPES:
            target = endpoints_of(provider, self._social).authorize_url
            sep = "&" if urllib.parse.urlsplit(target).query else "?"
            params = authorize_params(provider, redirect_uri, state)
            return f"{target}{sep}{urllib.parse.urlencode(params)}"
        if provider.type is ProviderType.SIGN_IN_WITH_APPLE:
            target = self._social.apple.authorize_url
            sep = "&" if urllib.parse.urlsplit(target).query else "?"
            params = apple.authorize_params(provider, redirect_uri, state, nonce)
            return f"{target}{sep}{urllib.parse.urlencode(params)}"
        endpoints = await self._endpoints(provider)
        params = {
            "client_id": provider.detail("client_id") or "",
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(provider.scopes or ("openid",)),
            "state": state,
            "nonce": nonce,
            "code_challenge": rfc7636.s256(verifier),
            "code_challenge_method": rfc7636.S256,
        }
        target = endpoints.authorization_endpoint
        sep = "&" if urllib.parse.urlsplit(target).query else "?"
        return f"{target}{sep}{urllib.parse.urlencode(params)}"

    def open_state(self, pool_id: str, state: str | None, cookie: str | None) -> FederationState:
        """The sign-in `state` started in this browser (StateError otherwise)."""
        return self._states.open(state, pool_id, cookie)

    def seal_posted(self, fields: Mapping[str, str]) -> str:
        """A provider's answer POSTed cross-site (Apple's form_post), without the browser's
        federation cookie: its known fields sealed for the 303 to the GET that finishes it.
        apple.PostedAnswerError when a field is too long."""
        return self._states.seal_return(apple.posted_answer(fields))

    def open_posted(self, sealed: str | None) -> dict[str, str]:
        """What `seal_posted` sealed, as the GET's parameters (StateError: forged, expired)."""
        answer = self._states.open_return(sealed)
        if any(name not in apple.POSTED_FIELDS for name in answer):
            raise StateError("an answer with unknown fields")
        return answer

    async def finish(
        self, state: FederationState, params: Mapping[str, str], redirect_uri: str
    ) -> SignedIn:
        """The provider's answer at /oauth2/idpresponse turned into a signed-in user.
        FederationError for a provider's error or anything that can't be trusted;
        the user services' InvalidParameterException / NotAuthorizedException for claims the
        pool's attribute rules refuse (nothing is written then)."""
        provider = await self._provider(state.pool_id, state.provider)
        if params.get("error"):
            log.info("identity provider %s answered %s", provider.name, params.get("error"))
            cancelled = provider.type is ProviderType.SIGN_IN_WITH_APPLE and (
                params["error"] == apple.CANCELLED
            )
            if params["error"] == "access_denied" or cancelled:
                raise FederationError(AccessDenied("The identity provider denied the sign-in."))
            raise FederationError(InvalidRequest("The identity provider refused the sign-in."))
        code = params.get("code")
        if not code:
            raise FederationError(InvalidRequest("The identity provider sent no code."))
        if provider.type in PROFILE_TYPES:
            return await self._finish_profile(state, provider, code, redirect_uri)
        if provider.type is ProviderType.SIGN_IN_WITH_APPLE:
            return await self._finish_apple(state, provider, params, code, redirect_uri)
        endpoints = await self._endpoints(provider)
        # RFC 9207: a provider that names itself must be the one the state was sent to.
        if params.get("iss") is not None and params["iss"] != endpoints.issuer:
            log.warning("identity provider %s: answer from issuer %r", provider.name, params["iss"])
            raise _sign_in_failed()
        client_id = provider.detail("client_id") or ""
        secret = provider.detail("client_secret")
        methods = endpoints.token_auth_methods
        basic = bool(secret) and bool(methods) and "client_secret_post" not in methods
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": state.verifier,
        }
        try:
            tokens = await self._rp.redeem(endpoints, client_id, secret, basic, form)
            claims = await self._verified(tokens.id_token, endpoints, client_id, state.nonce)
            sub = str(claims["sub"])
            method = (provider.detail("attributes_request_method") or "").upper()
            if (
                provider.type is ProviderType.OIDC
                and method in _USERINFO_METHODS
                and endpoints.userinfo_endpoint
                and tokens.access_token
            ):
                userinfo = await self._rp.userinfo(
                    endpoints.userinfo_endpoint, tokens.access_token, method
                )
                check_userinfo(userinfo, sub)
                claims = {**claims, **userinfo}
        except ProviderError as exc:
            log.warning("identity provider %s: %s", provider.name, exc)
            raise FederationError(ServerError("The identity provider did not answer.")) from exc
        except (IdTokenError, TokenError) as exc:
            log.warning("identity provider %s: ID token refused: %s", provider.name, exc)
            raise _sign_in_failed() from exc
        return await self._signed_in(state, provider, endpoints.issuer, claims)

    async def _finish_profile(
        self, state: FederationState, provider: IdentityProvider, code: str, redirect_uri: str
    ) -> SignedIn:
        if self._profiles is None:  # _provider admits these types only with a client
            raise _sign_in_failed()
        endpoints = endpoints_of(provider, self._social)
        try:
            claims = await profile_claims(self._profiles, provider, endpoints, code, redirect_uri)
        except ProviderError as exc:
            log.warning("identity provider %s: %s", provider.name, exc)
            raise FederationError(ServerError("The identity provider did not answer.")) from exc
        return await self._signed_in(state, provider, None, claims)

    async def _finish_apple(
        self,
        state: FederationState,
        provider: IdentityProvider,
        params: Mapping[str, str],
        code: str,
        redirect_uri: str,
    ) -> SignedIn:
        endpoints = apple.endpoints_of(self._social.apple)
        client_id = provider.detail("client_id") or ""
        try:
            secret = apple.client_secret(provider, self._clock.now().timestamp())
        except TokenError as exc:
            # The provider's private_key can't sign: the set-up is wrong, not the answer.
            log.warning("identity provider %s: no client secret: %s", provider.name, exc)
            raise FederationError(ServerError("The identity provider did not answer.")) from exc
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        try:
            tokens = await self._rp.redeem(endpoints, client_id, secret, False, form)
            claims = await self._verified(tokens.id_token, endpoints, client_id, state.nonce)
        except ProviderError as exc:
            log.warning("identity provider %s: %s", provider.name, exc)
            raise FederationError(ServerError("The identity provider did not answer.")) from exc
        except (IdTokenError, TokenError) as exc:
            log.warning("identity provider %s: ID token refused: %s", provider.name, exc)
            raise _sign_in_failed() from exc
        merged = apple.sign_in_claims(claims, params.get("user"))
        return await self._signed_in(state, provider, endpoints.issuer, merged)

    async def _signed_in(
        self,
        state: FederationState,
        provider: IdentityProvider,
        issuer: str | None,
        claims: Mapping[str, Any],
    ) -> SignedIn:
        subject = claims.get(subject_claim(provider.attribute_mapping))
        if not isinstance(subject, str | int) or isinstance(subject, bool) or subject == "":
            raise _sign_in_failed()
        identity = ProviderIdentity(provider.name, provider.type.value, issuer, str(subject))
        if self._inbound is not None:
            try:
                claims = await self._inbound.attributes(
                    state.pool_id, state.request.get("client_id"), provider, identity, claims
                )
            except TRIGGER_FAILURES as exc:
                raise FederationError(redirect_refusal(exc)) from exc
        attributes = mapped_attributes(provider.attribute_mapping, claims)
        try:
            user = await self._users.sign_in(
                state.pool_id, identity, attributes, state.request.get("client_id")
            )
        except TRIGGER_FAILURES as exc:
            # Cognito: a refusing PreSignUp ends the sign-in at the client's callback.
            raise FederationError(redirect_refusal(exc)) from exc
        return SignedIn(user.sub, int(self._clock.now().timestamp()))

    async def _verified(
        self, id_token: str, endpoints: OidcEndpoints, client_id: str, nonce: str
    ) -> dict[str, Any]:
        kid, alg = token_header(id_token)
        keys = await self._rp.keys(endpoints, refresh=False)
        try:
            jwk = pick_key(keys, kid, alg)
        except TokenError:
            # An unknown kid may mean the provider rotated its keys (the adapter bounds how
            # often that refetches).
            jwk = pick_key(await self._rp.keys(endpoints, refresh=True), kid, alg)
        now = self._clock.now().timestamp()
        claims = verify_with_jwk(id_token, jwk, alg, now)
        check_id_token(claims, endpoints.issuer, client_id, nonce, now)
        return claims
