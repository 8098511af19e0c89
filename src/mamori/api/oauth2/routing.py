"""The hosted domain's routing: which requests are a pool domain's, and the routes it serves.

A request reaches a pool's domain routes (the OAuth endpoints, discovery, the hosted pages) two
ways: by Host (`<prefix>.<auth_domain>` or a registered custom domain), at `/`; or on any host
this server answers, by path prefix `/<poolId>/...` (set-ups without wildcard DNS). Either way
the DomainContext in the request's state names the base URL of the form used, so discovery and
every redirect stay on it (docs/oauth.md). The domain's app answers a method a route doesn't
take, or a path it doesn't have, itself: RFC 6749 JSON on the back-channel endpoints, the
error page elsewhere, with the pages' security headers on every answer.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mamori.api.hosted_ui.errors import error_page
from mamori.api.hosted_ui.headers import SecurityHeaders
from mamori.api.hosted_ui.routes import hosted_ui_routes
from mamori.api.hosts import host_name
from mamori.api.oauth2.authorize import authorize
from mamori.api.oauth2.backchannel import answer
from mamori.api.oauth2.context import DomainContext
from mamori.api.oauth2.discovery import domain_jwks, domain_openid_configuration
from mamori.api.oauth2.idp_response import idp_response
from mamori.api.oauth2.introspect import introspect
from mamori.api.oauth2.logout import logout
from mamori.api.oauth2.revoke import revoke
from mamori.api.oauth2.token import token
from mamori.api.oauth2.userinfo import user_info
from mamori.api.saml2.idp_response import saml_response
from mamori.api.saml2.logout import saml_logout
from mamori.api.saml2.metadata import saml_metadata
from mamori.domain.ids import POOL_ID_IN_PATH
from mamori.protocols.oauth2.errors import InvalidRequest
from mamori.services.container import Services

# Cognito's user pool id: `<region>_<letters and digits>`; "identity" and "admin" never match.
_POOL_ID = POOL_ID_IN_PATH
# The per-pool JWKS is the same document whichever form asked for it: the API's route answers
# it by path without a domain lookup (resource servers fetch it, not browsers); so is forward
# auth (api/forward_auth.py: proxies call it, for pools with or without a domain).
_PREFIX_PASSTHROUGH = frozenset({"/.well-known/jwks.json", "/forward-auth"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# A DNS name or an IP literal: a base URL built from the Host header can't carry a path or
# userinfo (with allowed_hosts "*" any Host reaches the path-prefix form).
_HOST_NAME = re.compile(r"[a-z0-9_.-]+|[0-9a-f:.]+")
# Endpoints that clients, not browsers, call: their errors are JSON (RFC 6749 section 5.2).
_BACK_CHANNEL = frozenset(
    {"/oauth2/token", "/oauth2/revoke", "/oauth2/userInfo", "/oauth2/introspect"}
)


class PoolDomains(Protocol):
    """What routing needs of the domains (services/userpools/domains.py DomainService)."""

    async def pool_for_host(self, host: str) -> str | None: ...

    async def domain_of_pool(self, pool_id: str) -> str | None: ...


def _host_header(scope: Scope) -> str | None:
    hosts = [v for k, v in scope.get("headers", ()) if k.lower() == b"host"]
    if len(hosts) != 1:
        return None
    header = hosts[0].decode("latin-1")
    return header if _HOST_NAME.fullmatch(host_name(header)) else None


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _port(value: str) -> str:
    if value.startswith("["):
        after = value.partition("]")[2]
        return after[1:] if after.startswith(":") else ""
    return value.split(":", 1)[1] if value.count(":") == 1 else ""


def origin(scope: Scope, header: str) -> str:
    """scheme://host[:port] as the request named it: the scheme the request came by (from a
    trusted proxy's X-Forwarded-Proto, api/proxies.py), the Host lower-cased, a port only when
    it is digits and not the scheme's default (a Host can't smuggle a path or user here)."""
    scheme = str(scope.get("scheme", "http"))
    name = host_name(header)
    port = _port(header.strip())
    netloc = f"[{name}]" if ":" in name else name
    if port.isdigit() and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    return f"{scheme}://{netloc}"


def _route_path(scope: Scope) -> str:
    """The path below the app's root (the `/<poolId>` prefix, once it is set)."""
    root = str(scope.get("root_path", ""))
    path = str(scope["path"])
    return path[len(root) :] if root and path.startswith(root) else path


class DomainRouting:
    """ASGI middleware in front of the API's routes: sends a pool domain's requests to
    `domain_app` with a DomainContext in `scope["state"]["domain"]`, everything else on."""

    def __init__(
        self,
        app: ASGIApp,
        domain_app: ASGIApp,
        domains: PoolDomains,
        api_hosts: Iterable[str],
    ) -> None:
        self.app = app
        self.domain_app = domain_app
        self.domains = domains
        # Hosts that are never a pool domain: no lookup for the API's own requests.
        self.api_hosts = frozenset(h for h in api_hosts if h != "*")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = _host_header(scope)
        state = scope.setdefault("state", {})
        if header is not None:
            pool_id = await self._pool_by_host(host_name(header), state)
            if pool_id is not None:
                state["domain"] = DomainContext(pool_id, origin(scope, header), "/")
                await self.domain_app(scope, receive, send)
                return
            if await self._by_prefix(scope, state, header):
                await self.domain_app(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _pool_by_host(self, name: str, state: dict[str, object]) -> str | None:
        found = state.get("domain_pool")  # HostAllowList looked this host up already
        if isinstance(found, str):
            return found
        if not name or name in self.api_hosts or _is_address(name):
            return None
        return await self.domains.pool_for_host(name)

    async def _by_prefix(self, scope: Scope, state: dict[str, object], header: str) -> bool:
        root = str(scope.get("root_path", ""))
        path = str(scope["path"])
        if root and path.startswith(root):
            path = path[len(root) :]
        first, slash, rest = path[1:].partition("/")
        if not slash or not _POOL_ID.fullmatch(first) or "/" + rest in _PREFIX_PASSTHROUGH:
            return False
        # Cognito: no domain, no OAuth endpoints; the API's per-pool routes answer instead.
        if await self.domains.domain_of_pool(first) is None:
            return False
        prefix = f"{root}/{first}"
        state["domain"] = DomainContext(first, origin(scope, header) + prefix, prefix + "/")
        scope["root_path"] = prefix
        return True


Handler = Callable[[Request, Services], Awaitable[Response]]


def _bound(handler: Handler, services: Services) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handler(request, services)

    return endpoint


def domain_routes(services: Services) -> list[BaseRoute]:
    """Every route of a pool's domain, paths relative to the domain's root."""
    routes: list[tuple[str, Handler, list[str]]] = [
        ("/oauth2/authorize", authorize, ["GET"]),
        ("/oauth2/token", token, ["POST"]),
        ("/oauth2/userInfo", user_info, ["GET", "POST"]),
        ("/oauth2/revoke", revoke, ["POST"]),
        ("/oauth2/introspect", introspect, ["POST"]),  # RFC 7662, an extension
        ("/oauth2/idpresponse", idp_response, ["GET", "POST"]),
        ("/logout", logout, ["GET"]),
        ("/saml2/idpresponse", saml_response, ["GET", "POST"]),
        ("/saml2/logout", saml_logout, ["GET"]),
        ("/saml2/metadata", saml_metadata, ["GET"]),
        ("/.well-known/openid-configuration", domain_openid_configuration, ["GET"]),
        ("/.well-known/jwks.json", domain_jwks, ["GET"]),
    ]
    bound: list[BaseRoute] = [Route(path, _bound(h, services), methods=m) for path, h, m in routes]
    return bound + hosted_ui_routes(services)  # the hosted pages (api/hosted_ui/routes.py)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's 404 (no such path) and 405 (a method the route doesn't take) as the domain
    answers its other errors. Neither the method nor the path is echoed back."""
    assert isinstance(exc, HTTPException)
    named = (exc.headers or {}).get("Allow", "")
    allow = ", ".join(sorted(m.strip() for m in named.split(",") if m.strip()))
    if exc.status_code == 405 and allow:
        error = InvalidRequest(f"This method is not allowed here; use {allow}.")
    else:
        error = InvalidRequest("Nothing is served at this address.")
    if _route_path(request.scope) in _BACK_CHANNEL:
        body = {"error": error.error, "error_description": error.description}
        response = answer(body, exc.status_code)
    else:
        response = error_page(request, error, exc.status_code)
    if allow:
        response.headers["Allow"] = allow  # RFC 9110 section 15.5.6: a 405 names the methods
    return response


def domain_app(services: Services) -> ASGIApp:
    """The app a pool's domain requests reach (DomainRouting's `domain_app`)."""
    app = Starlette(
        routes=domain_routes(services), exception_handlers={404: _http_error, 405: _http_error}
    )
    return SecurityHeaders(app)
