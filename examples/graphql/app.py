"""The sample GraphQL API behind mamori's tokens: strawberry's ASGI app under Starlette, with
AppSync's directives enforced by mamori.verify.strawberry.

    MAMORI_ISSUER=http://127.0.0.1:9229/us-east-1_abc MAMORI_CLIENT_ID=... \
        python -m examples.graphql.app          # serves http://127.0.0.1:8000/graphql
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from examples.graphql.schema import make_schema
from starlette.applications import Starlette
from starlette.routing import Route

from mamori.verify import TokenUse, Verifier
from mamori.verify.strawberry import AppSyncAuth, AppSyncGraphQL, MamoriRevocation


def create_app(
    issuer: str,
    client_id: str,
    *,
    token_use: TokenUse | None = "access",  # noqa: S107 (not a secret)
    revocation_endpoint: str | None = None,
    revocation_ttl: float = 30.0,
) -> Starlette:
    """`issuer`: the pool's issuer URL; `revocation_endpoint`: mamori's URL, to refuse revoked
    access tokens (asked again once a token's answer is `revocation_ttl` seconds old), or None to
    trust signatures alone."""
    verifier = Verifier(issuer, client_ids=[client_id], token_use=token_use)
    revocation = (
        MamoriRevocation(revocation_endpoint, ttl=revocation_ttl) if revocation_endpoint else None
    )
    auth = AppSyncAuth(user_pools=verifier, is_revoked=revocation)
    graphql = AppSyncGraphQL(make_schema(auth.extension()), graphql_ide=None)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if revocation is not None:
            await revocation.aclose()

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["GET", "POST"])], lifespan=lifespan
    )


if __name__ == "__main__":
    import uvicorn

    issuer = os.environ["MAMORI_ISSUER"]
    app = create_app(
        issuer,
        os.environ["MAMORI_CLIENT_ID"],
        revocation_endpoint=issuer.rsplit("/", 1)[0],
    )
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
