"""Offline verification of a pool's JWTs, as a resource server would do it: JWKS + PyJWT."""

from __future__ import annotations

from typing import Any

import jwt
from tests.support.live import Server


def jwks_url(server: Server, pool_id: str) -> str:
    return f"{server.url}/{pool_id}/.well-known/jwks.json"


def verify(server: Server, pool_id: str, token: str, audience: str | None = None) -> dict[str, Any]:
    """Claims of `token` after checking, against the pool's published JWKS only, its RS256
    signature, expiry and issuer (`<server URL>/<pool id>`), and its audience when given."""
    client = jwt.PyJWKClient(jwks_url(server, pool_id), cache_keys=False)
    key = client.get_signing_key_from_jwt(token)
    return dict(
        jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            issuer=f"{server.url}/{pool_id}",
            audience=audience,
            options={"verify_aud": audience is not None},
        )
    )


def unverified(token: str) -> dict[str, Any]:
    """Claims without any check: for comparing tokens already verified elsewhere."""
    return dict(jwt.decode(token, options={"verify_signature": False}))
