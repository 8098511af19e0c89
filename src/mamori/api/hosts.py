"""The Host allow-list: a request whose Host header names no host this server answers to is
refused before any route runs (DNS rebinding; the signed Host must be ours)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mamori.api.errors import error_response
from mamori.domain.errors import NotAuthorizedException

# Load balancers and orchestrators probe readiness by address; /health tells nothing worth
# rebinding a browser for.
_UNCHECKED_PATHS = frozenset({"/health"})


def host_name(header: str) -> str:
    """`Example.com:443` -> `example.com`, `[::1]:9229` -> `::1`; the port does not count."""
    value = header.strip().lower()
    if value.startswith("["):
        name, bracket, _ = value[1:].partition("]")
        return name if bracket else ""
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


HostLookup = Callable[[str], Awaitable[str | None]]


class HostAllowList:
    """Answers only Host names in `allowed` (lower case, IPv6 without brackets); "*": any.

    Pool domains too: any name under `auth_domain` (`<prefix>.<auth_domain>`: the domain
    router answers 404 for a prefix nobody registered), and, for a name allowed no other way,
    `lookup` (a registered custom domain -> its pool id, kept in the request's state for the
    domain router, api/oauth2/routing.py, so the name is looked up once)."""

    def __init__(
        self,
        app: ASGIApp,
        allowed: Iterable[str],
        auth_domain: str = "",
        lookup: HostLookup | None = None,
    ) -> None:
        self.app = app
        self.allowed = frozenset(allowed)
        self.any = "*" in self.allowed
        self.suffix = "." + auth_domain.lower() if auth_domain else ""
        self.lookup = lookup

    async def _allows(self, name: str, scope: Scope) -> bool:
        if name in self.allowed or (self.suffix and name.endswith(self.suffix)):
            return True
        if self.lookup is None or not name:
            return False
        pool_id = await self.lookup(name)
        if pool_id is None:
            return False
        scope.setdefault("state", {})["domain_pool"] = pool_id
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.any or scope.get("path") in _UNCHECKED_PATHS:
            await self.app(scope, receive, send)
            return
        hosts = [v for k, v in scope.get("headers", ()) if k.lower() == b"host"]
        shown = hosts[0].decode("latin-1") if len(hosts) == 1 else ""
        if len(hosts) == 1 and await self._allows(host_name(shown), scope):
            await self.app(scope, receive, send)
            return
        message = (
            f"The Host header {shown[:255]!r} names no host this server answers to."
            if len(hosts) == 1
            else "A request must carry exactly one Host header."
        )
        state = scope.setdefault("state", {})
        if scope.get("path") == "/" and scope.get("method") == "POST":
            # The AWS JSON wire: a Cognito error, with the HTTP status Cognito gives client errors.
            error = NotAuthorizedException(message)
            state["error"] = error.code
            response = error_response(error, state.get("request_id", ""))
            response.status_code = 400
        else:
            state["error"] = "HostNotAllowed"
            response = Response(
                json.dumps({"error": message}), status_code=400, media_type="application/json"
            )
        await response(scope, receive, send)
