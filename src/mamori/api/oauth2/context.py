"""Which pool a hosted-domain request is for, and the base URL its links and redirects use.

The domain router (api/oauth2/routing.py) finds the pool by Host (`<prefix>.<auth_domain>` or a
custom domain) or by path prefix (`/<poolId>/...`) and puts a DomainContext in the request's
state; every endpoint and page reads it with `domain_of` and builds its URLs with `url`, so
discovery and redirects name whichever form the request used.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.requests import Request


@dataclass(frozen=True)
class DomainContext:
    pool_id: str
    # scheme://host[:port] for a domain host, scheme://host[:port]/<poolId> by path prefix.
    base_url: str
    # The path cookies are scoped to: "/" on a domain host, "/<poolId>/" by path prefix.
    cookie_path: str = "/"

    def url(self, path: str, query: Mapping[str, str] | None = None) -> str:
        """`path` starts with "/": "/login", "/oauth2/token"."""
        out = self.base_url + path
        if query:
            out += "?" + urllib.parse.urlencode(dict(query))
        return out


def domain_of(request: Request) -> DomainContext:
    ctx = request.scope.get("state", {}).get("domain")
    if not isinstance(ctx, DomainContext):
        raise LookupError("not a hosted-domain request")
    return ctx
