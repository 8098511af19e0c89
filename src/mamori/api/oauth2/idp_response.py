"""GET /oauth2/idpresponse: a federated provider's answer (api/oauth2/authorize.py sent the
browser there), finishing the hosted flow as the login page does: a login session (its
cookie) and AuthorizeService's redirect with a code or tokens.

The provider's `state` is sealed (services/federation/states.py) and bound to this browser by
a random cookie, so an answer can't be finished in a browser that did not start it. Until the
state is opened the original request is unknown: its errors are the error page; after, an OAuth
error redirect to the client. Claims the pool's attribute rules refuse are the error page.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mamori.api.hosted_ui.errors import error_page
from mamori.api.oauth2.authorize import IDP_RESPONSE, redirect, refused, single_params
from mamori.api.oauth2.context import domain_of
from mamori.api.oauth2.session_cookie import (
    is_https,
    read_federation_cookie,
    set_session_cookie,
)
from mamori.domain.errors import ServiceError
from mamori.protocols.oauth2.errors import InvalidRequest, OAuthError
from mamori.services.container import Services
from mamori.services.federation.oidc import FederationError
from mamori.services.federation.states import StateError
from mamori.services.oauth.authorize import Redirectable


async def idp_response(request: Request, services: Services) -> Response:
    """GET /oauth2/idpresponse: the provider's code (or error) and the state mamori sent."""
    ctx = domain_of(request)
    if services.federation is None:
        return error_page(request, InvalidRequest("No identity providers are served here."))
    try:
        params = single_params(request)
        try:
            state = services.federation.open_state(
                ctx.pool_id, params.get("state"), read_federation_cookie(request)
            )
        except StateError:
            return error_page(
                request,
                InvalidRequest(
                    "The sign-in with the identity provider was not started in this browser, "
                    "or took too long. Please start again."
                ),
            )
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
