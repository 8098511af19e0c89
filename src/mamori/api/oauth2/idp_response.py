"""GET /oauth2/idpresponse: a federated provider's answer (api/oauth2/authorize.py sent the
browser there), finishing the hosted flow as the login page does: a login session (its
cookie) and AuthorizeService's redirect with a code or tokens.

POST /oauth2/idpresponse: Sign in with Apple's form_post answer. A cross-site POST carries no
SameSite=Lax cookie, so the binding can't be checked there: the known fields are sealed
(services/federation/states.py seal_return, two minutes) and the browser sent with 303 to
GET /oauth2/idpresponse?answer=<sealed>, a top-level navigation that carries the cookie, where
the answer goes on exactly as a provider's GET answer (docs/security.md).

The provider's `state` is sealed (services/federation/states.py) and bound to this browser by
a random cookie, so an answer can't be finished in a browser that did not start it. Until the
state is opened the original request is unknown: its errors are the error page; after, an OAuth
error redirect to the client. Claims the pool's attribute rules refuse are the error page.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mamori.api.hosted_ui.errors import error_page
from mamori.api.hosted_ui.forms import FormError, read_form
from mamori.api.hosted_ui.headers import secure
from mamori.api.oauth2.authorize import (
    IDP_RESPONSE,
    MAX_QUERY,
    redirect,
    refused,
    single_params,
)
from mamori.api.oauth2.context import domain_of
from mamori.api.oauth2.session_cookie import (
    is_https,
    read_federation_cookie,
    set_session_cookie,
)
from mamori.domain.errors import ServiceError
from mamori.protocols.oauth2.errors import InvalidRequest, OAuthError
from mamori.services.container import Services
from mamori.services.federation.apple import PostedAnswerError
from mamori.services.federation.oidc import FederationError
from mamori.services.federation.states import StateError
from mamori.services.oauth.authorize import Redirectable

# The GET parameter that carries a POSTed answer, sealed, to the GET that finishes it.
ANSWER = "answer"
# A provider's POSTed answer: a code, our state, Apple's `user` JSON and ID token.
MAX_POSTED_BYTES = 32 * 1024
_NOT_STARTED_HERE = (
    "The sign-in with the identity provider was not started in this browser, "
    "or took too long. Please start again."
)


async def idp_response_posted(request: Request, services: Services) -> Response:
    """POST /oauth2/idpresponse: the provider's form_post answer, sealed and sent on with 303
    to the GET (the only place the browser's binding cookie is read). Nothing is decided here:
    a POST anyone can make gets no further than a GET with the same fields would."""
    ctx = domain_of(request)
    if services.federation is None:
        return error_page(request, InvalidRequest("No identity providers are served here."))
    try:
        fields = await read_form(request, MAX_POSTED_BYTES)
        sealed = services.federation.seal_posted(fields)
    except FormError as exc:
        return error_page(request, InvalidRequest(str(exc)), exc.status)
    except PostedAnswerError:
        return error_page(request, InvalidRequest("The identity provider's answer is too large."))
    location = ctx.url(IDP_RESPONSE, {ANSWER: sealed})
    if len(location.partition("?")[2]) > MAX_QUERY:
        return error_page(request, InvalidRequest("The identity provider's answer is too large."))
    # 303: the browser follows with a GET, whatever the method it came by (RFC 9110 15.4.4).
    return secure(RedirectResponse(location, status_code=303))


def _answer(request: Request, services: Services) -> dict[str, str]:
    """The provider's answer: the query, or the POSTed answer the query carries sealed (which
    comes alone). StateError for a sealed answer that is forged, expired or not ours."""
    assert services.federation is not None
    params = single_params(request)
    if ANSWER not in params:
        return params
    if len(params) != 1:
        raise InvalidRequest(f"The {ANSWER} parameter comes alone.")
    return services.federation.open_posted(params[ANSWER])


async def idp_response(request: Request, services: Services) -> Response:
    """GET /oauth2/idpresponse: the provider's code (or error) and the state mamori sent;
    POST: the same answer posted (`idp_response_posted`)."""
    if request.method == "POST":
        return await idp_response_posted(request, services)
    ctx = domain_of(request)
    if services.federation is None:
        return error_page(request, InvalidRequest("No identity providers are served here."))
    try:
        try:
            params = _answer(request, services)
            state = services.federation.open_state(
                ctx.pool_id, params.get("state"), read_federation_cookie(request)
            )
        except StateError:
            return error_page(request, InvalidRequest(_NOT_STARTED_HERE))
        checked = await services.authorize.check(ctx.pool_id, state.request)
    except Redirectable as back:
        return redirect(back.location())
    except OAuthError as error:
        return error_page(request, error)
    try:
        signed_in = await services.federation.finish(state, params, ctx.url(IDP_RESPONSE))
    except FederationError as exc:
        return redirect(refused(checked, exc.error).location())
    except ServiceError as exc:
        # The pool refused what the provider sent (a required attribute missing, one the
        # schema refuses, an email another user signs in with): nothing was written; the
        # user sees why.
        return error_page(request, InvalidRequest(exc.message))
    value = await services.login_sessions.start(ctx.pool_id, signed_in)
    try:
        location = await services.authorize.complete(checked, signed_in)
    except Redirectable as back:
        return redirect(back.location())
    response = redirect(location)
    set_session_cookie(response, ctx, value, is_https(ctx))
    return response
