"""`/{UserPoolId}/forward-auth` (a mamori extension): the endpoint Caddy's forward_auth, nginx's
auth_request and Traefik's ForwardAuth call for each request they pass on. 200 with the identity
in X-Mamori-* headers for the proxy to copy; RFC 6750 section 3's 401/403 otherwise."""

from __future__ import annotations

import re
import urllib.parse

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mamori.domain.ids import POOL_ID_IN_PATH
from mamori.protocols.oauth2.errors import InvalidRequest, OAuthError
from mamori.services.tokens.forward_auth import ForwardAuth, Requirements

# Proxies call with the method of the request they check (nginx, Traefik) or GET (Caddy).
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_MAX_QUERY = 4096
# Only a well-formed pool id: it is echoed in WWW-Authenticate's realm; anything else is 404.
_PATH = re.compile(rf"/({POOL_ID_IN_PATH.pattern})/forward-auth")
# Visible ASCII except `%` (the escape) stays as it is; anything else is percent-encoded (UTF-8),
# so a username or group in any script is a valid header value.
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")


def _header(text: str, also: str = "") -> str:
    return urllib.parse.quote(text, safe="".join(c for c in _SAFE if c not in also))


def _challenge(pool_id: str, error: OAuthError | None) -> Response:
    value = f'Bearer realm="{pool_id}"'
    status = 401
    if error is not None:
        # RFC 6750 section 3: error_description is %x20-21 / %x23-5B / %x5D-7E.
        text = "".join(c for c in error.description if 0x20 <= ord(c) <= 0x7E and c not in '"\\')
        value += f', error="{error.error}", error_description="{text}"'
        status = error.status
    return Response(status_code=status, headers={**_NO_STORE, "WWW-Authenticate": value})


def _requirements(request: Request) -> Requirements:
    """From the query the proxy's configuration sets: `client_id` (any of; repeated or
    comma-separated), `scope` (all of; repeated or space-separated), `group` (any of)."""
    if len(request.url.query) > _MAX_QUERY:
        raise InvalidRequest("The query is too long.")
    wanted: dict[str, set[str]] = {"client_id": set(), "scope": set(), "group": set()}
    for name, value in urllib.parse.parse_qsl(request.url.query, keep_blank_values=True):
        if name not in wanted:
            raise InvalidRequest(f"Unknown parameter {name[:40]!r}: use client_id, scope, group.")
        separator = " " if name == "scope" else ","
        wanted[name].update(v.strip() for v in value.split(separator) if v.strip())
    return Requirements(
        frozenset(wanted["client_id"]), frozenset(wanted["scope"]), frozenset(wanted["group"])
    )


async def forward_auth(request: Request, checks: ForwardAuth) -> Response:
    pool_id = request.path_params["pool_id"]
    try:
        wanted = _requirements(request)
    except InvalidRequest as exc:
        return _challenge(pool_id, exc)
    headers = request.headers.getlist("authorization")
    if not headers:
        return _challenge(pool_id, None)  # RFC 6750 3.1: no credentials, no error code
    scheme, _, token = headers[0].strip().partition(" ")
    if len(headers) > 1 or scheme.lower() != "bearer" or not token.strip():
        return _challenge(pool_id, InvalidRequest("Send one Authorization: Bearer header."))
    try:
        bearer = await checks.check(pool_id, token.strip(), wanted)
    except OAuthError as exc:
        return _challenge(pool_id, exc)
    # Every header on every 200, empty when the token has no such thing (a client_credentials
    # token: no username, no groups): a proxy that copies only the headers present would leave
    # the caller's own value in place, and Caddy 2.6 copies an absent one as its placeholder.
    out = {
        **_NO_STORE,
        "X-Mamori-Sub": _header(bearer.sub),
        "X-Mamori-Username": "" if bearer.username is None else _header(bearer.username),
        "X-Mamori-Groups": ",".join(_header(g, also=",") for g in bearer.groups),
        "X-Mamori-Scope": " ".join(_header(s) for s in bearer.scopes),
        "X-Mamori-Client-Id": _header(bearer.client_id),
    }
    return Response(status_code=200, headers=out)


class ForwardAuthRoute:
    """ASGI middleware answering `/{UserPoolId}/forward-auth` itself, in front of CORS and the
    domain routing. nginx and Traefik send the caller's method and headers: a caller's OPTIONS
    with Origin and Access-Control-Request-Method must be checked like any other request,
    never answered as a CORS preflight (a 200 the proxy would take for a yes)."""

    def __init__(self, app: ASGIApp, checks: ForwardAuth) -> None:
        self.app = app
        self.checks = checks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = _PATH.fullmatch(str(scope.get("path", ""))) if scope["type"] == "http" else None
        if found is None or scope.get("method") not in METHODS:
            await self.app(scope, receive, send)
            return
        scope["path_params"] = {"pool_id": found.group(1)}
        response = await forward_auth(Request(scope, receive), self.checks)
        await response(scope, receive, send)
