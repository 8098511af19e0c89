"""GET and POST /oauth2/userInfo (OpenID Connect Core 5.3): the user's claims for a bearer access
token with the `openid` scope; errors as RFC 6750 section 3 gives them, in WWW-Authenticate."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mamori.api.oauth2.backchannel import NO_STORE, answer
from mamori.api.oauth2.context import domain_of
from mamori.protocols.oauth2.errors import InvalidRequest, InvalidToken, OAuthError
from mamori.services.container import Services


def _quoted(text: str) -> str:
    # RFC 6750 section 3: error_description is %x20-21 / %x23-5B / %x5D-7E.
    return "".join(c for c in text if 0x20 <= ord(c) <= 0x7E and c not in '"\\')


def _challenge(error: OAuthError | None) -> Response:
    value = 'Bearer realm="userInfo"'
    status = 401
    if error is not None:
        value += f', error="{error.error}"'
        if error.description:
            value += f', error_description="{_quoted(error.description)}"'
        status = error.status
    return Response(status_code=status, headers={**NO_STORE, "WWW-Authenticate": value})


async def user_info(request: Request, services: Services) -> Response:
    ctx = domain_of(request)
    header = request.headers.get("authorization")
    if header is None:
        # Section 3.1: no credentials at all get the bare challenge, no error code.
        return _challenge(None)
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _challenge(InvalidRequest("Send the access token as Authorization: Bearer."))
    try:
        claims = await services.user_info.user_info(ctx.pool_id, token.strip())
    except InvalidToken as exc:
        return _challenge(exc)
    except OAuthError as exc:  # insufficient_scope
        return _challenge(exc)
    return answer(claims)
