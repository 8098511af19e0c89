"""Per-pool JWKS and OpenID discovery documents, as Cognito publishes them."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from mamori.domain.errors import ResourceNotFoundException
from mamori.domain.ids import PoolId
from mamori.services.container import Services


def _not_found(pool_id: str) -> Response:
    return JSONResponse({"message": f"User pool {pool_id} does not exist."}, status_code=404)


async def jwks(services: Services, pool_id: str) -> Response:
    try:
        body = await services.keys.jwks(PoolId(pool_id))
    except ResourceNotFoundException:
        return _not_found(pool_id)
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})


def _endpoints(base_url: str) -> dict[str, object]:
    """The domain's endpoints, as Cognito names them in a pool with a domain (its
    end_session_endpoint since 2024), and what they support."""
    return {
        "authorization_endpoint": f"{base_url}/oauth2/authorize",
        "end_session_endpoint": f"{base_url}/logout",
        "revocation_endpoint": f"{base_url}/oauth2/revoke",
        "token_endpoint": f"{base_url}/oauth2/token",
        "userinfo_endpoint": f"{base_url}/oauth2/userInfo",
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": [
            "authorization_code",
            "implicit",
            "refresh_token",
            "client_credentials",
        ],
    }


async def openid_configuration(
    services: Services, pool_id: str, domain_url: str | None = None
) -> Response:
    """The pool's discovery document. `domain_url`: the base URL of the pool's domain as the
    request reached it (api/oauth2/context.py), when it has one: the document then names the
    domain's endpoints. The issuer and jwks_uri are the pool's whichever form asked."""
    try:
        await services.pools.require(pool_id)
    except ResourceNotFoundException:
        return _not_found(pool_id)
    issuer = services.tokens.issuer(pool_id)
    return JSONResponse(
        {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            **(_endpoints(domain_url) if domain_url is not None else {}),
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "response_types_supported": ["code", "token"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": [
                "sub",
                "email",
                "email_verified",
                "phone_number",
                "phone_number_verified",
                "cognito:username",
                "cognito:groups",
            ],
        }
    )
