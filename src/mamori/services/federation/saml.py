"""Signing in through a pool's SAML 2.0 providers, the pool being the service provider
(entity id `urn:amazon:cognito:sp:<UserPoolId>`, as Cognito's): the AuthnRequest (HTTP-Redirect
binding, signed when the provider's RequestSigningAlgorithm asks) with a short random
RelayState whose record (the request's ID, the authorization request, the browser binding) is
consumed once; the IdP's response at /saml2/idpresponse checked by pysaml2
(adapters/federation/saml.py), its assertion refused when seen before; the IdP-initiated
response when the provider allows it; the federated user made or refreshed (single logout:
saml_logout.py; the pool as SP, its metadata and Describe's SAML keys: saml_keys.py). What is
verified at the POST is sealed (FederationStates.seal_return) for the GET that finishes the
sign-in where the browser's SameSite=Lax binding cookie is sent."""

from __future__ import annotations

import hmac
import json
import logging
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mamori.crypto.aead import Keyring
from mamori.crypto.secrets import opaque_token
from mamori.domain.errors import ResourceNotFoundException
from mamori.domain.oauth.authorization import AuthorizationRequest, SignedIn
from mamori.domain.oauth.saml_logins import SamlLogin
from mamori.domain.userpools.identity_providers import IdentityProvider, ProviderType
from mamori.domain.userpools.provider_details import saml_flag
from mamori.domain.users.federated import USERNAME, ProviderIdentity, mapped_attributes
from mamori.protocols.oauth2.errors import AccessDenied, InvalidRequest, OAuthError, ServerError
from mamori.services.federation.inbound import InboundFederation
from mamori.services.federation.oidc import FederationError
from mamori.services.federation.ports import (
    IdpMetadata,
    SamlAssertion,
    SamlError,
    SamlProviders,
    SamlRequestRecord,
    SamlServiceProvider,
    SamlStatusError,
    SamlStore,
)
from mamori.services.federation.saml_keys import ACS_PATH, SamlKeys
from mamori.services.federation.states import FederationStates, StateError
from mamori.services.ports import Clock
from mamori.services.tokens.token_triggers import TRIGGER_FAILURES, redirect_refusal
from mamori.services.users.federated import FederatedUsers

log = logging.getLogger("mamori.federation.saml")

# Cognito: "The saml2/idpresponse endpoint can accept SAML assertions of up to 100,000
# characters in length."
MAX_SAML_RESPONSE = 100_000
# Cognito takes RelayState beyond SAML's 80 bytes (an IdP-initiated one holds the authorize
# parameters); longer than this it is none of ours.
MAX_RELAY_STATE = 4096
# A person at the IdP's sign-in page: as long as an OIDC provider's state lives.
REQUEST_LIFETIME = timedelta(minutes=15)
_BINDING = "saml-binding"
_RELAY = "saml-relay"
_ASSERTION = "saml-assertion"
_SIGNIN = "signin"
# The IdP-initiated RelayState: /oauth2/authorize's parameters, which Cognito documents.
_IDP_INIT_PARAMS = frozenset(
    {
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "identity_provider",
        "idp_identifier",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
    }
)
_DENIED = frozenset({"AuthnFailed", "RequestDenied", "NoPassive"})


class SamlSignInError(FederationError):
    """A SAML sign-in that can't go on: `error` is what the app (or the error page) is told;
    `request` the authorization request's query when it is known (then the app is told by
    redirect), None when it is not (the error page). A FederationError, as /oauth2/authorize
    expects of any provider's start."""

    def __init__(self, error: OAuthError, request: Mapping[str, str] | None = None) -> None:
        super().__init__(error)
        self.request = request


@dataclass(frozen=True)
class SamlSignedIn:
    request: dict[str, str]  # the authorization request's query, to be checked and completed
    signed_in: SignedIn
    login: SamlLogin  # kept with the login session, for single logout


def _refused() -> InvalidRequest:
    return InvalidRequest("The identity provider's sign-in could not be used.")


class SamlFederation:
    def __init__(
        self,
        providers: SamlProviders,
        service_provider: SamlServiceProvider,
        store: SamlStore,
        keys: SamlKeys,
        users: FederatedUsers,
        states: FederationStates,
        keyring: Keyring,
        clock: Clock,
        inbound: InboundFederation | None = None,
    ) -> None:
        """`inbound`: the pools' InboundFederation functions (None: never asked)."""
        self._inbound = inbound
        self._providers = providers
        self._sp = service_provider
        self._store = store
        self._keys = keys
        self._users = users
        self._states = states
        self._keyring = keyring
        self._clock = clock

    def _binding(self, cookie: str) -> str:
        return self._keyring.digest(cookie, _BINDING)

    async def _metadata(self, provider: IdentityProvider) -> IdpMetadata:
        try:
            return await self._sp.idp_metadata(provider)
        except SamlError as exc:
            log.warning("SAML provider %s: metadata: %s", provider.name, exc)
            raise SamlSignInError(
                ServerError("The identity provider could not be reached.")
            ) from exc

    # --- sign-in, SP-initiated

    async def start(
        self, request: AuthorizationRequest, provider: IdentityProvider, cookie: str, acs_url: str
    ) -> str:
        """SamlStarter.start: the IdP's SSO URL with the AuthnRequest and a RelayState token
        whose record, bound to `cookie`, its answer consumes."""
        base = acs_url.removesuffix(ACS_PATH)
        try:
            idp = await self._metadata(provider)
            if idp.sso_redirect_url is None:
                raise SamlSignInError(ServerError("The identity provider has no sign-in URL."))
            sp = await self._keys.service_provider(request.pool_id, base)
            token = opaque_token(32)  # 43 characters: within SAML's 80 bytes of RelayState
            sign = bool(provider.detail("RequestSigningAlgorithm"))
            sent = await self._sp.authn_request(sp, idp, token, sign)
        except SamlError as exc:
            log.warning("SAML provider %s: %s", provider.name, exc)
            raise SamlSignInError(
                ServerError("The identity provider could not be reached.")
            ) from exc
        now = self._clock.now()
        await self._store.add_request(
            SamlRequestRecord(
                digest=self._keyring.digest(token, _RELAY),
                pool_id=request.pool_id,
                kind=_SIGNIN,
                provider_name=provider.name,
                request_id=sent.request_id,
                request=request.to_query(),
                binding=self._binding(cookie),
                expires=now + REQUEST_LIFETIME,
            ),
            now,
        )
        return sent.url

    # --- the IdP's answer: POST /saml2/idpresponse

    async def receive(
        self, pool_id: str, base_url: str, saml_response: str | None, relay_state: str | None
    ) -> str:
        """The POSTed response checked; returns what the GET finishes with (sealed, two
        minutes). SamlSignInError otherwise: nothing is written, the request's record aside
        (consumed either way)."""
        if not saml_response or len(saml_response) > MAX_SAML_RESPONSE:
            raise SamlSignInError(InvalidRequest("The SAML response is missing or too long."))
        relay = relay_state or ""
        if len(relay) > MAX_RELAY_STATE:
            raise SamlSignInError(InvalidRequest("The SAML RelayState is too long."))
        record: SamlRequestRecord | None = None
        if relay and "=" not in relay and len(relay) <= 128:
            record = await self._store.take_request(
                pool_id, self._keyring.digest(relay, _RELAY), self._clock.now()
            )
            if record is None or record.kind != _SIGNIN:
                raise SamlSignInError(
                    InvalidRequest(
                        "The sign-in with the identity provider was not started here, was "
                        "finished already, or took too long. Please start again."
                    )
                )
            request: dict[str, str] = dict(record.request)
            provider = await self._provider(pool_id, record.provider_name, request)
        else:
            request, provider = await self._idp_initiated(pool_id, relay)
        idp = await self._metadata_for(provider, request)
        sp = await self._keys.service_provider(pool_id, base_url)
        try:
            assertion = await self._sp.read_response(
                sp,
                idp,
                saml_response,
                record.request_id if record is not None else None,
                saml_flag(provider, "EncryptedResponses"),
            )
        except SamlStatusError as exc:
            log.info("SAML provider %s answered %s", provider.name, exc.status)
            if exc.status in _DENIED:
                error: OAuthError = AccessDenied("The identity provider denied the sign-in.")
            else:
                error = InvalidRequest("The identity provider refused the sign-in.")
            raise SamlSignInError(error, request) from exc
        except SamlError as exc:
            log.warning("SAML provider %s: response refused: %s", provider.name, exc)
            raise SamlSignInError(_refused(), request) from exc
        answer = await self._verified(provider, assertion, request, record)
        sealed = self._states.seal_return(answer)
        if len(sealed) > 8000:
            log.warning("SAML provider %s: the mapped attributes are too large", provider.name)
            raise SamlSignInError(
                InvalidRequest("The identity provider sent more attributes than fit."), request
            )
        return sealed

    async def _provider(
        self, pool_id: str, name: str, request: Mapping[str, str] | None
    ) -> IdentityProvider:
        try:
            provider = await self._providers.provider(pool_id, name)
        except ResourceNotFoundException as exc:
            raise SamlSignInError(
                InvalidRequest(f"No identity provider is named {name}."), request
            ) from exc
        if provider.type is not ProviderType.SAML:
            raise SamlSignInError(InvalidRequest(f"{name} is not a SAML provider."), request)
        return provider

    async def _metadata_for(
        self, provider: IdentityProvider, request: Mapping[str, str]
    ) -> IdpMetadata:
        try:
            return await self._metadata(provider)
        except SamlSignInError as exc:
            raise SamlSignInError(exc.error, request) from exc

    async def _idp_initiated(
        self, pool_id: str, relay: str
    ) -> tuple[dict[str, str], IdentityProvider]:
        """Cognito: an IdP-initiated response's RelayState holds /oauth2/authorize's
        parameters; the provider it names must allow IdP-initiated sign-in (IDPInit)."""
        unknown = SamlSignInError(
            InvalidRequest("The SAML response's RelayState names no sign-in of this pool.")
        )
        try:
            pairs = urllib.parse.parse_qsl(relay, strict_parsing=True, max_num_fields=16)
        except ValueError as exc:
            raise unknown from exc
        request = dict(pairs)
        if len(request) != len(pairs) or not set(request) <= _IDP_INIT_PARAMS:
            raise unknown
        name = request.get("identity_provider")
        try:
            if name:
                provider = await self._providers.provider(pool_id, name)
            elif request.get("idp_identifier"):
                provider = await self._providers.by_identifier(pool_id, request["idp_identifier"])
            else:
                raise unknown
        except ResourceNotFoundException as exc:
            raise unknown from exc
        if provider.type is not ProviderType.SAML or not saml_flag(provider, "IDPInit"):
            log.info("SAML provider %s: an IdP-initiated response refused", provider.name)
            raise SamlSignInError(
                InvalidRequest("This identity provider can't start a sign-in itself.")
            )
        request["identity_provider"] = provider.name
        request.pop("idp_identifier", None)
        return request, provider

    async def _first_use(self, pool_id: str, answer: Mapping[str, str]) -> None:
        """The assertion behind `answer` used once: its record (until it expires) makes the
        same assertion, POSTed again, or the same sealed answer, opened again, a replay."""
        now = self._clock.now()
        try:
            until = datetime.fromtimestamp(int(answer["x"]), UTC) + timedelta(minutes=5)
            digest = answer["d"]
        except (KeyError, ValueError) as exc:
            raise StateError("a malformed answer") from exc
        if not await self._store.first_use(pool_id, digest, max(until, now), now):
            log.warning("SAML provider %s: an assertion presented again", answer.get("p"))
            raise SamlSignInError(_refused())

    async def _verified(
        self,
        provider: IdentityProvider,
        assertion: SamlAssertion,
        request: Mapping[str, str],
        record: SamlRequestRecord | None,
    ) -> dict[str, str]:
        claims: dict[str, Any] = {
            name: values[0] if len(values) == 1 else list(values)
            for name, values in assertion.attributes.items()
            if values
        }
        subject_attribute = provider.attribute_mapping.get(USERNAME)
        subject = claims.get(subject_attribute) if subject_attribute else assertion.name_id
        if not isinstance(subject, str) or not subject:
            log.warning(
                "SAML provider %s: no %s in the assertion", provider.name, subject_attribute
            )
            raise SamlSignInError(_refused(), request)
        if self._inbound is not None:
            identity = ProviderIdentity(
                provider.name, ProviderType.SAML.value, assertion.issuer, subject
            )
            try:
                claims = dict(
                    await self._inbound.attributes(
                        provider.pool_id, request.get("client_id"), provider, identity, claims
                    )
                )
            except TRIGGER_FAILURES as exc:
                raise SamlSignInError(redirect_refusal(exc), request) from exc
        attributes = mapped_attributes(provider.attribute_mapping, claims)
        return {
            "p": provider.name,
            "r": json.dumps(dict(request), separators=(",", ":")),
            # Absent for an IdP-initiated sign-in: no browser started it.
            "b": record.binding if record is not None else "",
            "s": subject,
            "a": json.dumps(attributes, separators=(",", ":")),
            "e": assertion.issuer,
            "n": assertion.name_id,
            "f": assertion.name_id_format or "",
            "i": assertion.session_index or "",
            "d": self._keyring.digest(f"{assertion.issuer}\n{assertion.assertion_id}", _ASSERTION),
            "x": str(assertion.not_on_or_after),
        }

    # --- finishing: GET /saml2/idpresponse

    def answer_request(self, sealed: str | None) -> dict[str, str]:
        """The authorization request a sealed answer finishes (StateError: not one of ours)."""
        answer = self._states.open_return(sealed)
        try:
            request = json.loads(answer["r"])
        except (KeyError, ValueError) as exc:
            raise StateError("a malformed answer") from exc
        if not isinstance(request, dict):
            raise StateError("a malformed answer")
        return {str(k): str(v) for k, v in request.items()}

    async def finish(self, pool_id: str, sealed: str | None, cookie: str | None) -> SamlSignedIn:
        """The user the sealed answer names, made or refreshed, once the browser is the one
        that started the sign-in (StateError otherwise), and once only (SamlSignInError for
        an assertion used before); the pool's attribute rules' ServiceError when they refuse
        the attributes: nothing is written."""
        answer = self._states.open_return(sealed)
        request = self.answer_request(sealed)
        if request.get("client_id") is None:
            raise StateError("a malformed answer")
        binding = answer.get("b", "")
        if binding and (not cookie or not hmac.compare_digest(binding, self._binding(cookie))):
            raise StateError("an answer from another browser")
        try:
            provider = await self._providers.provider(pool_id, answer["p"])
        except ResourceNotFoundException as exc:
            raise SamlSignInError(_refused()) from exc
        if not binding and not saml_flag(provider, "IDPInit"):
            raise SamlSignInError(_refused())  # IdP-initiated sign-in turned off meanwhile
        await self._first_use(pool_id, answer)
        attributes = json.loads(answer["a"])
        identity = ProviderIdentity(
            provider.name, ProviderType.SAML.value, answer["e"], answer["s"]
        )
        try:
            user = await self._users.sign_in(
                pool_id, identity, attributes, request.get("client_id")
            )
        except TRIGGER_FAILURES as exc:
            # Cognito: a refusing PreSignUp ends the sign-in at the client's callback.
            raise SamlSignInError(redirect_refusal(exc), request) from exc
        signed_in = SignedIn(user.sub, int(self._clock.now().timestamp()))
        login = SamlLogin(provider.name, answer["n"], answer["f"] or None, answer["i"] or None)
        return SamlSignedIn(request, signed_in, login)
