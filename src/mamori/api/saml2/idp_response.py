"""/saml2/idpresponse, the assertion consumer service (HTTP-POST binding): the IdP's POSTed
SAMLResponse and RelayState are checked (services/federation/saml.py) and what they proved is
sealed and carried by a 303 to a GET of the same endpoint, because the cross-site POST does
not carry the SameSite=Lax `mamori_federation` cookie; the GET checks the browser binding,
then finishes as /oauth2/idpresponse does (a login session, AuthorizeService's redirect).
Until the authorization request is known its errors are the error page; after, an OAuth error
redirect to the app."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping

from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response

from mamori.api.forms import BodyTooLarge, read_body
from mamori.api.hosted_ui.errors import error_page
from mamori.api.hosted_ui.headers import secure
from mamori.api.oauth2.authorize import redirect, refused, single_params
from mamori.api.oauth2.context import domain_of
from mamori.api.oauth2.session_cookie import (
    is_https,
    read_federation_cookie,
    set_session_cookie,
)
from mamori.domain.errors import ServiceError
from mamori.protocols.forms import FORM_TYPE, FormSyntaxError, media_type, parse_form
from mamori.protocols.oauth2.errors import InvalidRequest, OAuthError
from mamori.services.container import Services
from mamori.services.federation.saml import MAX_SAML_RESPONSE, SamlSignInError
from mamori.services.federation.saml_keys import ACS_PATH
from mamori.services.federation.states import StateError
from mamori.services.oauth.authorize import Redirectable

# SAMLResponse (100,000 characters, as Cognito takes), RelayState and little else.
_MAX_BODY = MAX_SAML_RESPONSE + 16 * 1024
_MAX_FIELDS = 8
_BODY_SECONDS = 30.0
_ANSWER = "answer"


async def _read_form(request: Request) -> dict[str, str]:
    if media_type(request.headers.get("content-type", "")) != FORM_TYPE:
        raise InvalidRequest(f"Content-Type must be {FORM_TYPE}.")
    try:
        return parse_form(await read_body(request, _MAX_BODY, _BODY_SECONDS), _MAX_FIELDS)
    except BodyTooLarge as exc:
        raise InvalidRequest("The SAML response is too long.") from exc
    except (TimeoutError, ClientDisconnect) as exc:
        raise InvalidRequest("The SAML response was not received.") from exc
    except FormSyntaxError as exc:
        raise InvalidRequest("The SAML response is not a valid form.") from exc


async def _to_app(
    request: Request, services: Services, query: Mapping[str, str], error: OAuthError
) -> Response:
    """`error` for the app at its checked redirect_uri; the error page when the request
    itself is no good."""
    ctx = domain_of(request)
    try:
        checked = await services.authorize.check(ctx.pool_id, dict(query))
    except Redirectable as back:
        return redirect(back.location())
    except OAuthError as bad:
        return error_page(request, bad)
    return redirect(refused(checked, error).location())


async def saml_response_post(request: Request, services: Services) -> Response:
    """POST /saml2/idpresponse: the IdP's response, checked, then on to the GET."""
    ctx = domain_of(request)
    if services.saml is None:
        return error_page(request, InvalidRequest("No SAML providers are served here."))
    try:
        form = await _read_form(request)
        sealed = await services.saml.receive(
            ctx.pool_id, ctx.base_url, form.get("SAMLResponse"), form.get("RelayState")
        )
    except SamlSignInError as exc:
        if exc.request is None:
            return error_page(request, exc.error)
        return await _to_app(request, services, exc.request, exc.error)
    except OAuthError as error:
        return error_page(request, error)
    # 303: the browser GETs the same endpoint, a top-level navigation that carries the
    # SameSite=Lax binding cookie.
    location = ctx.url(ACS_PATH) + "?" + urllib.parse.urlencode({_ANSWER: sealed})
    return secure(RedirectResponse(location, status_code=303))


async def saml_response_get(request: Request, services: Services) -> Response:
    """GET /saml2/idpresponse?answer=...: the verified answer, finished in the browser that
    started the sign-in."""
    ctx = domain_of(request)
    if services.saml is None:
        return error_page(request, InvalidRequest("No SAML providers are served here."))
    try:
        params = single_params(request)
        sealed = params.get(_ANSWER)
        query = services.saml.answer_request(sealed)
        checked = await services.authorize.check(ctx.pool_id, query)
        try:
            done = await services.saml.finish(ctx.pool_id, sealed, read_federation_cookie(request))
        except SamlSignInError as exc:
            return redirect(refused(checked, exc.error).location())
    except StateError:
        return error_page(
            request,
            InvalidRequest(
                "The sign-in with the identity provider was not started in this browser, "
                "or took too long. Please start again."
            ),
        )
    except Redirectable as back:
        return redirect(back.location())
    except OAuthError as error:
        return error_page(request, error)
    except ServiceError as exc:
        # The pool refused what the IdP sent (a required attribute missing, one the schema
        # refuses, an email another user signs in with): nothing was written.
        return error_page(request, InvalidRequest(exc.message))
    value = await services.login_sessions.start(ctx.pool_id, done.signed_in, done.login)
    try:
        location = await services.authorize.complete(checked, done.signed_in)
    except Redirectable as back:
        return redirect(back.location())
    response = redirect(location)
    set_session_cookie(response, ctx, value, is_https(ctx))
    return response


async def saml_response(request: Request, services: Services) -> Response:
    """/saml2/idpresponse: POST (the IdP's form) and GET (the 303 that follows it)."""
    if request.method == "POST":
        return await saml_response_post(request, services)
    return await saml_response_get(request, services)
