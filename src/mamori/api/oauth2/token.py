"""POST /oauth2/token (RFC 6749 section 3.2): the authorization_code, refresh_token and
client_credentials grants, for a client authenticated by HTTP Basic or the form."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mamori.api.oauth2.backchannel import answer, oauth_error, present, read_form, required
from mamori.api.oauth2.context import domain_of
from mamori.protocols.oauth2.client_auth import client_credentials, is_basic
from mamori.protocols.oauth2.errors import InvalidRequest, OAuthError, UnsupportedGrantType
from mamori.services.container import Services
from mamori.services.oauth.grants import TokenResponse

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")


def _body(result: TokenResponse) -> dict[str, str | int]:
    out: dict[str, str | int] = {"access_token": result.access_token}
    if result.id_token is not None:
        out["id_token"] = result.id_token
    if result.refresh_token is not None:
        out["refresh_token"] = result.refresh_token
    out["token_type"] = result.token_type
    out["expires_in"] = result.expires_in
    return out


async def token(request: Request, services: Services) -> Response:
    ctx = domain_of(request)
    authorization = request.headers.get("authorization")
    basic = is_basic(authorization)
    grants = services.oauth_grants
    try:
        form = await read_form(request)
        grant_type = present(form, "grant_type")
        if grant_type is None:
            raise InvalidRequest("grant_type is required.")
        if grant_type not in GRANT_TYPES:
            raise UnsupportedGrantType(f"{grant_type} is not a supported grant_type.")
        pool, client = await grants.client(ctx.pool_id, client_credentials(authorization, form))
        if grant_type == "authorization_code":
            result = await grants.authorization_code(
                pool,
                client,
                required(form, "code"),
                present(form, "redirect_uri"),
                present(form, "code_verifier"),
            )
        elif grant_type == "refresh_token":
            result = await grants.refresh_token(pool, client, required(form, "refresh_token"))
        else:
            result = await grants.client_credentials(pool, client, present(form, "scope"))
    except OAuthError as exc:
        return oauth_error(exc, basic)
    return answer(_body(result))
