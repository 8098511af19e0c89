"""GET /logout: ends the hosted-login session and clears its cookie, then redirects to one of
the client's LogoutURLs (`logout_uri`) or back to the login page (`redirect_uri` +
`response_type`, checked as /oauth2/authorize checks them); anything else is an error page,
never a redirect. A user signed in through a SAML provider whose IDPSignout is on goes to the
IdP first with a signed LogoutRequest; its LogoutResponse at /saml2/logout continues to the
same target (api/saml2/logout.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mamori.api.hosted_ui.errors import error_page
from mamori.api.oauth2.authorize import redirect, single_params
from mamori.api.oauth2.context import domain_of
from mamori.api.oauth2.session_cookie import clear_session_cookie, read_session_cookie
from mamori.protocols.oauth2.errors import OAuthError
from mamori.services.container import Services
from mamori.services.oauth.authorize import Redirectable


async def logout(request: Request, services: Services) -> Response:
    ctx = domain_of(request)
    try:
        target = await services.authorize.check_logout(ctx.pool_id, single_params(request))
    except Redirectable as refused:
        return redirect(refused.location())
    except OAuthError as error:
        return error_page(request, error)
    cookie = read_session_cookie(request)
    saml = await services.login_sessions.saml_of(ctx.pool_id, cookie)
    await services.login_sessions.end(ctx.pool_id, cookie)
    location = target if isinstance(target, str) else ctx.url("/login", target.to_query())
    if saml is not None and services.saml_logout is not None:
        # Cognito: with IDPSignout, /logout signs the user out of the SAML IdP as well.
        location = (
            await services.saml_logout.logout(ctx.pool_id, ctx.base_url, saml, location) or location
        )
    response = redirect(location)
    clear_session_cookie(response, ctx)
    return response
