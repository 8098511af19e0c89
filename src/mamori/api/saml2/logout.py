"""GET /saml2/logout, single logout (HTTP-Redirect binding). The IdP's LogoutResponse to the
LogoutRequest /logout sent continues that logout to its target; an IdP's own LogoutRequest
(signed, from a provider whose IDPSignout is on) ends the sessions its NameID signed in and is
answered with a LogoutResponse. Anything else is the error page, never a redirect."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mamori.api.hosted_ui.errors import error_page
from mamori.api.oauth2.authorize import redirect, single_params
from mamori.api.oauth2.context import domain_of
from mamori.protocols.oauth2.errors import InvalidRequest, OAuthError
from mamori.services.container import Services


async def saml_logout(request: Request, services: Services) -> Response:
    ctx = domain_of(request)
    if services.saml_logout is None:
        return error_page(request, InvalidRequest("No SAML providers are served here."))
    try:
        query = single_params(request)
    except OAuthError as error:
        return error_page(request, error)
    raw_query = request.scope.get("query_string", b"").decode("latin-1")
    location, ended = await services.saml_logout.logout_answer(
        ctx.pool_id, ctx.base_url, query, raw_query
    )
    if ended is not None:
        await services.login_sessions.end_saml(ctx.pool_id, ended.provider_name, ended.name_id)
    if location is None:
        return error_page(
            request, InvalidRequest("The single logout message is not one this pool expects.")
        )
    return redirect(location)
