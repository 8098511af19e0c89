"""/oauth2/authorize's rules: an authorization request checked against its client (RFC 6749
section 4.1.1 and 4.2.1, RFC 7636, OpenID Connect Core 3.1.2), and, once a user has signed in,
the redirect that completes it with a code or (implicit grant) tokens.

Until the client and its redirect_uri are known to be good, an error is an `OAuthError` the wire
shows as a page; after, a `Redirectable` the wire turns into a redirect to the client, so no
request can make this server redirect anywhere its client did not register (no open redirect).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Protocol

from mamori.domain.errors import ResourceNotFoundException
from mamori.domain.ids import PoolId
from mamori.domain.oauth.authorization import (
    AuthorizationGrant,
    AuthorizationRequest,
    Prompt,
    ResponseType,
    SignedIn,
)
from mamori.domain.userpools.app_client import AppClient, OAuthFlow
from mamori.protocols.oauth2 import rfc7636
from mamori.protocols.oauth2.errors import (
    InvalidClient,
    InvalidRequest,
    InvalidScope,
    OAuthError,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from mamori.services.oauth.ports import ResourceServerScopes
from mamori.services.tokens.pool_tokens import TokenService
from mamori.services.tokens.token_triggers import TRIGGER_FAILURES, TokenSource, redirect_refusal
from mamori.services.userpools.clients import ClientService
from mamori.services.userpools.pools import PoolService
from mamori.services.users.accounts import UserAccounts

COGNITO = "COGNITO"  # SupportedIdentityProviders' name for the pool's own users
# A parameter longer than this is refused (invalid_request): nothing legitimate comes near it,
# and every page carries the request on in its links and forms.
MAX_PARAMETER = 2048
_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "identity_provider",
    "idp_identifier",
    "lang",
    "login_hint",
    "prompt",
)


class RedirectMismatch(InvalidRequest):
    """Cognito's error for a redirect_uri that is not one of the client's CallbackURLs."""

    error = "redirect_mismatch"


class Redirectable(Exception):
    """An error to send back to the client at its (checked) redirect_uri."""

    def __init__(
        self, error: OAuthError, redirect_uri: str, state: str | None, fragment: bool
    ) -> None:
        super().__init__(error.description)
        self.error = error
        self.redirect_uri = redirect_uri
        self.state = state
        self.fragment = fragment  # response_type=token answers in the fragment

    def location(self) -> str:
        """RFC 6749 section 4.1.2.1 / 4.2.2.1: error, error_description, state."""
        params = {"error": self.error.error}
        if self.error.description:
            params["error_description"] = self.error.description
        if self.state is not None:
            params["state"] = self.state
        return with_params(self.redirect_uri, params, self.fragment)


def with_params(uri: str, params: Mapping[str, str], fragment: bool) -> str:
    """`uri` with `params` in its query (kept with its own) or, for the implicit grant, as its
    fragment (a callback URL never has one: RFC 6749 section 3.1.2)."""
    encoded = urllib.parse.urlencode(dict(params))
    if fragment:
        return f"{uri}#{encoded}"
    return f"{uri}{'&' if '?' in uri else '?'}{encoded}"


class ProviderNames(Protocol):
    """services/userpools/identity_providers.py IdentityProviderService: which provider holds
    an IdpIdentifier (ResourceNotFoundException: none)."""

    async def by_identifier(self, pool_id: str, identifier: str) -> NamedProvider: ...


class NamedProvider(Protocol):
    @property
    def name(self) -> str: ...


class CodeIssuer(Protocol):
    """services/oauth/codes.py AuthorizationCodes: a code for a grant (stored as a digest)."""

    async def issue(self, grant: AuthorizationGrant) -> str: ...


def _custom(scope: str) -> bool:
    return "/" in scope  # a resource server's scope; the standard ones have no slash


class AuthorizeService:
    def __init__(
        self,
        pools: PoolService,
        clients: ClientService,
        users: UserAccounts,
        tokens: TokenService,
        codes: CodeIssuer,
        resource_scopes: ResourceServerScopes | None = None,
        providers: ProviderNames | None = None,
    ) -> None:
        """`providers`: the pool's identity providers (federation); without them only the
        pool's own users sign in."""
        self._pools = pools
        self._clients = clients
        self._users = users
        self._tokens = tokens
        self._codes = codes
        self._resource_scopes = resource_scopes
        self._providers = providers

    async def _client(self, pool_id: str, client_id: str) -> AppClient:
        try:
            return await self._clients.describe_user_pool_client(pool_id, client_id)
        except ResourceNotFoundException as exc:
            raise InvalidClient(f"Client {client_id} does not exist in this user pool.") from exc

    async def check(self, pool_id: str, params: Mapping[str, str]) -> AuthorizationRequest:
        """The request, checked: an OAuthError before the client and redirect_uri are known
        good (show a page), a Redirectable after (redirect to the client)."""
        for name in _PARAMETERS:
            if len(params.get(name, "")) > MAX_PARAMETER:
                raise InvalidRequest(f"The {name} parameter is too long.")
        client_id = params.get("client_id", "")
        if not client_id:
            raise InvalidRequest("client_id is required.")
        client = await self._client(pool_id, client_id)
        oauth = client.oauth
        redirect_uri = params.get("redirect_uri") or oauth.default_redirect_uri
        if not redirect_uri:
            raise InvalidRequest("redirect_uri is required.")
        # RFC 6749 section 3.1.2.3 (and Cognito): an exact match, no prefix or pattern.
        if redirect_uri not in (oauth.callback_urls or ()):
            raise RedirectMismatch("redirect_uri is not one of the client's callback URLs.")
        state = params.get("state")
        raw_type = params.get("response_type", "")
        fragment = raw_type == ResponseType.TOKEN.value

        def refuse(error: OAuthError) -> Redirectable:
            return Redirectable(error, redirect_uri, state, fragment)

        if not raw_type:
            raise refuse(InvalidRequest("response_type is required."))
        try:
            response_type = ResponseType(raw_type)
        except ValueError:
            raise refuse(UnsupportedResponseType("response_type must be code or token.")) from None
        if not oauth.enabled:
            raise refuse(UnauthorizedClient("The client is not allowed to use OAuth 2.0 flows."))
        flow = OAuthFlow.CODE if response_type is ResponseType.CODE else OAuthFlow.IMPLICIT
        if flow not in (oauth.flows or ()):
            raise refuse(UnauthorizedClient(f"The client may not use response_type {raw_type}."))
        scopes = await self._scopes(pool_id, client, params.get("scope"), refuse)
        provider = await self._check_provider(pool_id, client, params, refuse)
        code_challenge = self._check_pkce(client, response_type, params, refuse)
        prompt = self._prompt(params.get("prompt"), refuse)
        return AuthorizationRequest(
            pool_id=pool_id,
            client_id=client.id,
            redirect_uri=redirect_uri,
            response_type=response_type,
            scopes=scopes,
            state=state,
            nonce=params.get("nonce"),
            code_challenge=code_challenge,
            identity_provider=provider,
            idp_identifier=params.get("idp_identifier"),
            lang=params.get("lang"),
            login_hint=params.get("login_hint"),
            prompt=prompt,
        )

    async def _scopes(
        self, pool_id: str, client: AppClient, asked: str | None, refuse: _Refuse
    ) -> tuple[str, ...]:
        allowed = tuple(client.oauth.scopes or ())
        existing: frozenset[str] | None = None
        if self._resource_scopes is not None and any(_custom(s) for s in allowed):
            existing = await self._resource_scopes.scopes_of(PoolId(pool_id))

        def live(scope: str) -> bool:
            # A resource server's scope that was deleted is no longer granted (issue 11).
            return not _custom(scope) or existing is None or scope in existing

        if asked is None or not asked.strip():
            # Cognito: no scope asks for every scope the client is allowed.
            granted = tuple(s for s in allowed if live(s))
        else:
            granted = tuple(dict.fromkeys(asked.split()))
            for scope in granted:
                if scope not in allowed or not live(scope):
                    raise refuse(InvalidScope(f"The client may not ask for scope {scope}."))
        if not granted:
            raise refuse(InvalidScope("The client is allowed no scopes."))
        return granted

    async def _check_provider(
        self, pool_id: str, client: AppClient, params: Mapping[str, str], refuse: _Refuse
    ) -> str | None:
        """The provider the request names (`identity_provider`, or the one holding its
        `idp_identifier`), which the client must support; None: the hosted login page (for a
        client without COGNITO, its provider buttons only: api/hosted_ui)."""
        supported = client.oauth.identity_providers or ()
        provider = params.get("identity_provider")
        identifier = params.get("idp_identifier")
        if identifier and provider is None:
            if self._providers is None:
                raise refuse(InvalidRequest("No identity provider has this idp_identifier."))
            try:
                provider = (await self._providers.by_identifier(pool_id, identifier)).name
            except ResourceNotFoundException:
                raise refuse(
                    InvalidRequest("No identity provider has this idp_identifier.")
                ) from None
        if provider is not None and provider not in supported:
            raise refuse(InvalidRequest(f"The client does not support provider {provider}."))
        if provider is not None and provider != COGNITO:
            if self._providers is None:
                raise refuse(
                    InvalidRequest(
                        f"Sign-in through {provider} is not supported by this server: only "
                        "the user pool's own users (COGNITO) can sign in."
                    )
                )
            return provider  # a federated provider: /oauth2/authorize sends the browser there
        if not supported:
            # Cognito: the login page shows what the client supports; with nothing there is
            # no page to show. (Without COGNITO but with providers: the page's buttons only.)
            raise refuse(
                UnauthorizedClient(
                    "The client supports no identity provider: neither COGNITO (the pool's "
                    "users) nor any other is among its SupportedIdentityProviders."
                )
            )
        return provider

    @staticmethod
    def _check_pkce(
        client: AppClient, response_type: ResponseType, params: Mapping[str, str], refuse: _Refuse
    ) -> str | None:
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method")
        if response_type is ResponseType.TOKEN:
            return None  # no code to bind: PKCE is for the code grant
        if challenge is None:
            if method is not None:
                raise refuse(InvalidRequest("code_challenge_method without code_challenge."))
            if client.secret is None:
                # A public client's code is only as safe as its PKCE (RFC 9700 2.1.1).
                raise refuse(InvalidRequest("code_challenge is required for this client."))
            return None
        if method != rfc7636.S256:
            # Cognito: S256 only; "plain" (or no method, RFC 7636's plain) is refused.
            raise refuse(InvalidRequest("code_challenge_method must be S256."))
        if not rfc7636.is_challenge(challenge):
            raise refuse(InvalidRequest("code_challenge is not an S256 challenge."))
        return challenge

    @staticmethod
    def _prompt(value: str | None, refuse: _Refuse) -> Prompt | None:
        if value is None or value == "":
            return None
        try:
            return Prompt(value)
        except ValueError:
            raise refuse(InvalidRequest("prompt must be login or none.")) from None

    async def check_logout(
        self, pool_id: str, params: Mapping[str, str]
    ) -> str | AuthorizationRequest:
        """/logout's target: `logout_uri`, exactly one of the client's LogoutURLs, or (given
        `redirect_uri` and `response_type` instead) an authorization request to sign in
        again, checked as /oauth2/authorize checks it. An OAuthError (a page) otherwise."""
        client_id = params.get("client_id", "")
        if not client_id:
            raise InvalidRequest("client_id is required.")
        if len(params.get("logout_uri", "")) > MAX_PARAMETER:
            raise InvalidRequest("The logout_uri parameter is too long.")
        client = await self._client(pool_id, client_id)
        logout_uri = params.get("logout_uri")
        if logout_uri is not None:
            if logout_uri not in (client.oauth.logout_urls or ()):
                raise RedirectMismatch("logout_uri is not one of the client's sign-out URLs.")
            return logout_uri
        if params.get("redirect_uri") and params.get("response_type"):
            return await self.check(pool_id, params)
        raise InvalidRequest("Sign-out needs logout_uri, or redirect_uri and response_type.")

    async def complete(self, request: AuthorizationRequest, signed_in: SignedIn) -> str:
        """The redirect that ends a signed-in authorization: `?code=&state=`, or for the
        implicit grant `#id_token=&access_token=&token_type=&expires_in=&state=`."""
        state = {"state": request.state} if request.state is not None else {}
        if request.response_type is ResponseType.CODE:
            code = await self._codes.issue(
                AuthorizationGrant(
                    pool_id=request.pool_id,
                    client_id=request.client_id,
                    sub=signed_in.sub,
                    redirect_uri=request.redirect_uri,
                    scopes=request.scopes,
                    auth_time=signed_in.auth_time,
                    nonce=request.nonce,
                    code_challenge=request.code_challenge,
                )
            )
            return with_params(request.redirect_uri, {"code": code, **state}, fragment=False)
        pool = await self._pools.require(request.pool_id)
        client = await self._client(request.pool_id, request.client_id)
        user = await self._users.user_by_sub(pool, signed_in.sub)
        if user is None or not user.enabled:
            error = InvalidRequest("The user can no longer sign in.")
            raise Redirectable(error, request.redirect_uri, request.state, fragment=True)
        try:
            result = await self._tokens.issue(
                pool,
                client,
                user,
                auth_time=signed_in.auth_time,
                scopes=request.scopes,
                nonce=request.nonce,
                at_hash=True,
                new_refresh=False,  # Cognito: the implicit grant has no refresh token
                source=TokenSource.HOSTED_AUTH,
            )
        except TRIGGER_FAILURES as exc:
            # Cognito: a trigger's failure in a hosted flow reaches the app's callback.
            refused = redirect_refusal(exc)
            raise Redirectable(refused, request.redirect_uri, request.state, fragment=True) from exc
        params: dict[str, str] = {}
        if "openid" in request.scopes:  # Cognito: an ID token only with openid
            params["id_token"] = result.id_token
        params |= {
            "access_token": result.access_token,
            "token_type": result.token_type,
            "expires_in": str(result.expires_in),
            **state,
        }
        return with_params(request.redirect_uri, params, fragment=True)


class _Refuse(Protocol):
    def __call__(self, error: OAuthError) -> Redirectable: ...
