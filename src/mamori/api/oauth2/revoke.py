"""POST /oauth2/revoke (RFC 7009): a refresh token and every token of its sign-in, for the
client it was issued to; 200 with an empty body, as Cognito answers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mamori.api.oauth2.backchannel import NO_STORE, oauth_error, read_form, required
from mamori.api.oauth2.context import domain_of
from mamori.protocols.oauth2.client_auth import client_credentials, is_basic
from mamori.protocols.oauth2.errors import OAuthError
from mamori.services.container import Services


async def revoke(request: Request, services: Services) -> Response:
    ctx = domain_of(request)
    authorization = request.headers.get("authorization")
    basic = is_basic(authorization)
    grants = services.oauth_grants
    try:
        form = await read_form(request)
        token = required(form, "token")
        pool, client = await grants.client(ctx.pool_id, client_credentials(authorization, form))
        await grants.revoke(pool, client, token)
    except OAuthError as exc:
        return oauth_error(exc, basic)
    return Response(status_code=200, headers=NO_STORE)
