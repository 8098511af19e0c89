"""GET /oauth2/authorize: checks the request (services/oauth/authorize.py), then completes it at
once for a signed-in session, answers login_required for prompt=none, or sends the browser to
the hosted login page with the request carried on; a request naming a federated provider
(`identity_provider`, `idp_identifier`) goes to that provider (api/oauth2/idp_response.py
takes its answer)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mamori.api.hosted_ui.errors import error_page
from mamori.api.hosted_ui.headers import secure
from mamori.api.oauth2.context import domain_of
from mamori.api.oauth2.session_cookie import (
    read_federation_cookie,
    read_session_cookie,
    set_federation_cookie,
)
from mamori.crypto.secrets import opaque_token
from mamori.domain.oauth.authorization import AuthorizationRequest, Prompt, ResponseType
from mamori.protocols.oauth2.errors import InvalidRequest, LoginRequired, OAuthError
from mamori.services.container import Services
from mamori.services.federation.oidc import FederationError
from mamori.services.federation.states import LIFETIME as STATE_LIFETIME
from mamori.services.oauth.authorize import COGNITO, Redirectable

# A whole query longer than this is refused before any parameter is read.
MAX_QUERY = 8192
# Where providers send the browser back (each provider's app lists it as a redirect URI).
IDP_RESPONSE = "/oauth2/idpresponse"
# Where SAML providers post their responses (the assertion consumer service).
SAML_RESPONSE = "/saml2/idpresponse"


def redirect(location: str) -> Response:
    """302, never cached, no Referer (the URL may hold a code, tokens or the user's state)."""
    return secure(RedirectResponse(location, status_code=302))


def single_params(request: Request) -> dict[str, str]:
    """The query as single values; a repeated parameter (RFC 6749 section 3.1: "MUST NOT be
    included more than once") or an oversized query is invalid_request."""
    if len(request.scope.get("query_string", b"")) > MAX_QUERY:
        raise InvalidRequest("The request is too long.")
    params: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in params:
            raise InvalidRequest(f"The {name} parameter is repeated.")
        params[name] = value
    return params


async def _to_provider(
    request: Request, services: Services, checked: AuthorizationRequest
) -> Response:
    """A 302 to the provider's sign-in, with the state bound to this browser's cookie."""
    ctx = domain_of(request)
    assert checked.identity_provider is not None
    if services.federation is None:
        raise refused(checked, InvalidRequest("No identity providers are served here."))
    cookie = read_federation_cookie(request) or opaque_token(32)
    try:
        location = await services.federation.start(
            checked,
            checked.identity_provider,
            cookie,
            ctx.url(IDP_RESPONSE),
            ctx.url(SAML_RESPONSE),
        )
    except FederationError as exc:
        raise refused(checked, exc.error) from exc
    response = redirect(location)
    set_federation_cookie(response, ctx, cookie, int(STATE_LIFETIME.total_seconds()))
    return response


def refused(checked: AuthorizationRequest, error: OAuthError) -> Redirectable:
    """`error` for the client at its checked redirect_uri."""
    fragment = checked.response_type is ResponseType.TOKEN
    return Redirectable(error, checked.redirect_uri, checked.state, fragment)


async def authorize(request: Request, services: Services) -> Response:
    ctx = domain_of(request)
    try:
        checked = await services.authorize.check(ctx.pool_id, single_params(request))
        if checked.identity_provider not in (None, COGNITO):
            # Cognito: a named federated provider is where the browser signs in.
            return await _to_provider(request, services, checked)
        if checked.prompt is not Prompt.LOGIN:
            signed_in = await services.login_sessions.current(
                ctx.pool_id, read_session_cookie(request)
            )
            if signed_in is not None:
                return redirect(await services.authorize.complete(checked, signed_in))
        if checked.prompt is Prompt.NONE:
            # OpenID Connect Core 3.1.2.6: no form may be shown, and nobody is signed in.
            error = LoginRequired("The user is not signed in.")
            fragment = checked.response_type.value == "token"
            raise Redirectable(error, checked.redirect_uri, checked.state, fragment)
    except Redirectable as refused:
        return redirect(refused.location())
    except OAuthError as error:
        return error_page(request, error)
    return redirect(ctx.url("/login", checked.to_query()))
