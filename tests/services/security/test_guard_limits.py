"""Rate limits in-process on a frozen clock: one address gets its burst, then its rate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.cognito import unique
from tests.support.factories import PASSWORD
from tests.support.inprocess import FrozenClock, fresh_database, services_on

from mamori.api.aws.cognito_idp.challenges import sign_in_request
from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.domain.errors import TooManyRequestsException

FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_AUTH"]


# --- item 8: a burst beyond rate + burst is refused (the fixed minute let 72 a second through)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path, request.param) as url:
        yield url


@pytest.mark.anyio
async def test_one_address_gets_its_burst_then_its_rate(database: str, tmp_path: Path) -> None:
    clock = FrozenClock()
    limits = {
        "rate_limit_ip_per_second": 20,
        "rate_limit_ip_burst": 5,
        "rate_limit_user_per_second": 0,
    }
    async with services_on(database, tmp_path, clock, **limits) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "burst"))
        client = await s.clients.create_user_pool_client(
            pool.id, client_in({"ClientName": "c", "ExplicitAuthFlows": FLOWS}), False
        )

        async def attempt() -> str:
            try:
                await s.auth.initiate_auth(
                    client.id,
                    sign_in_request(
                        "USER_PASSWORD_AUTH", {"USERNAME": unique(), "PASSWORD": PASSWORD}
                    ),
                    "203.0.113.9",
                )
            except TooManyRequestsException:
                return "throttled"
            except Exception as exc:
                return type(exc).__name__
            return "ok"

        answers = [await attempt() for _ in range(72)]  # 72 in one instant
        assert answers[:5] == ["UserNotFoundException"] * 5
        assert answers[5:] == ["throttled"] * 67
        clock.advance(seconds=0.05)  # 1/20 s: one token
        assert [await attempt() for _ in range(2)] == ["UserNotFoundException", "throttled"]
        clock.advance(seconds=1)  # a second idle refills the burst, not 20
        assert [await attempt() for _ in range(6)].count("throttled") == 1
