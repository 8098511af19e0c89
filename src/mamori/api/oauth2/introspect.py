"""POST /oauth2/introspect (RFC 7662), an extension Cognito lacks: a client of the domain's pool,
authenticated as at the token endpoint (RFC 6749 section 2.3.1) and holding a secret, asks
whether an access token is active; `{"active": false}` says nothing more."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mamori.api.oauth2.backchannel import answer, oauth_error, present, read_form, required
from mamori.api.oauth2.context import domain_of
from mamori.protocols.oauth2.client_auth import client_credentials, is_basic
from mamori.protocols.oauth2.errors import OAuthError
from mamori.services.container import Services


async def introspect(request: Request, services: Services) -> Response:
    ctx = domain_of(request)
    authorization = request.headers.get("authorization")
    basic = is_basic(authorization)
    try:
        form = await read_form(request)
        token = required(form, "token")
        # Section 2.1: token_type_hint is only a hint; every token is tried as an access token.
        present(form, "token_type_hint")
        pool, client = await services.oauth_grants.client(
            ctx.pool_id, client_credentials(authorization, form)
        )
        claims = await services.introspection.introspect(pool, client, token)
    except OAuthError as exc:
        return oauth_error(exc, basic)
    if claims is None:
        return answer({"active": False})
    # Section 2.2: the token's own claims (scope, client_id, username, sub, exp, iat, iss,
    # jti, token_use, auth_time, cognito:groups, ...) and the RFC's token_type.
    return answer({"active": True, **claims, "token_type": "Bearer"})
