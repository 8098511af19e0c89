"""The identity issuer's public OpenID discovery document and JWKS, which STS fetches to verify
the tokens GetOpenIdToken and GetCredentialsForIdentity sign."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from mamori.services.container import Services

_CACHE = {"Cache-Control": "public, max-age=300"}


async def identity_jwks(services: Services) -> Response:
    return JSONResponse(await services.identity.tokens.jwks(), headers=_CACHE)


async def identity_openid_configuration(services: Services) -> Response:
    return JSONResponse(services.identity.tokens.discovery(), headers=_CACHE)
