"""services/userpools/identity_providers.py on the real services: the 300-provider quota, the
modification time an update moves, and the reads the federation flows use, on both databases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.inprocess import FrozenClock, fresh_database, services_on

from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.domain.errors import LimitExceededException, ResourceNotFoundException
from mamori.domain.userpools.identity_providers import (
    MAX_PROVIDERS_PER_POOL,
    ProviderDraft,
    ProviderType,
)

OIDC = {
    "client_id": "c",
    "client_secret": "s",
    "attributes_request_method": "GET",
    "oidc_issuer": "https://idp.example.com",
    "authorize_scopes": "openid",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Any:
    with fresh_database(tmp, request.param) as url:
        yield url


@pytest.mark.anyio
async def test_quota_times_and_reads(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        idps = s.identity_providers
        pool = await s.pools.create_user_pool(pool_in({}, "idps"))
        first = await idps.create_identity_provider(
            pool.id, ProviderDraft("P000", ProviderType.OIDC, OIDC, idp_identifiers=("p0",))
        )
        for n in range(1, MAX_PROVIDERS_PER_POOL):
            await idps.create_identity_provider(
                pool.id, ProviderDraft(f"P{n:03}", ProviderType.OIDC, OIDC)
            )
        with pytest.raises(LimitExceededException):
            await idps.create_identity_provider(
                pool.id, ProviderDraft("OneTooMany", ProviderType.OIDC, OIDC)
            )

        clock.advance(minutes=5)
        updated = await idps.update_identity_provider(
            pool.id, ProviderDraft("P000", details={"authorize_scopes": "openid email"})
        )
        assert updated.created == first.created
        assert updated.modified == first.modified + timedelta(minutes=5)
        assert updated.details["client_secret"] == "s"  # merged, not replaced
        assert updated.idp_identifiers == ("p0",)  # left out: kept

        assert (await idps.provider(pool.id, "P000")) == updated
        assert (await idps.by_identifier(pool.id, "p0")).name == "P000"
        assert len(await idps.providers_of(pool.id)) == MAX_PROVIDERS_PER_POOL
        with pytest.raises(ResourceNotFoundException):
            await idps.provider(pool.id, "Nope")
        with pytest.raises(ResourceNotFoundException):
            await idps.by_identifier(pool.id, "nope")
