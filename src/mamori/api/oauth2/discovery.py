"""The domain's well-known documents: OpenID discovery naming the domain's endpoints in the form
the request used (prefix host, custom domain or path prefix), and the pool's JWKS."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mamori.api.oauth2.context import domain_of
from mamori.api.wellknown import jwks, openid_configuration
from mamori.services.container import Services


async def domain_openid_configuration(request: Request, services: Services) -> Response:
    ctx = domain_of(request)
    return await openid_configuration(services, ctx.pool_id, ctx.base_url)


async def domain_jwks(request: Request, services: Services) -> Response:
    return await jwks(services, domain_of(request).pool_id)
