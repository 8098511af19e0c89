"""Offline verification of a pool's JWTs, as a resource server would do it: JWKS + PyJWT."""

from __future__ import annotations

from typing import Any

import jwt
from tests.support.live import Server


def jwks_url(server: Server, pool_id: str) -> str:
    return f"{server.url}/{pool_id}/.well-known/jwks.json"


def verify(
    server: Server, pool_id: str, token: str, audience: str | None = None, **options: bool
) -> dict[str, Any]:
    """Claims of `token` after checking its RS256 signature with the pool's published JWKS,
    its expiry and its issuer (and audience, for ID tokens, when given)."""
    key = jwt.PyJWKClient(jwks_url(server, pool_id), cache_keys=False).get_signing_key_from_jwt(
        token
    )
    return dict(
        jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            issuer=f"{issuer_base(server)}/{pool_id}",
            audience=audience,
            options={"verify_aud": audience is not None, **options},
        )
    )


def issuer_base(server: Server) -> str:
    return server.url


def unverified(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))
