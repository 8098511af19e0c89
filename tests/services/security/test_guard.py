"""The lockout's back-off in-process on a frozen clock: the lock doubles, and fifteen quiet
minutes reset it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.factories import PASSWORD
from tests.support.guard import (
    LOCKED,
    USER_FLOWS,
    WRONG,
)
from tests.support.inprocess import FrozenClock, fresh_database, services_on

from mamori.api.aws.cognito_idp.challenges import sign_in_request
from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.domain.errors import NotAuthorizedException


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path, request.param) as url:
        yield url


@pytest.mark.anyio
async def test_the_lock_doubles_and_fifteen_quiet_minutes_reset_it(
    database: str, tmp_path: Path
) -> None:
    clock = FrozenClock()
    # Without the per-username limit: thirty attempts in a frozen minute are this test's own.
    async with services_on(database, tmp_path, clock, rate_limit_user_per_second=0) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "backoff"))
        client = await s.clients.create_user_pool_client(
            pool.id, client_in({"ClientName": "c", "ExplicitAuthFlows": USER_FLOWS}), False
        )
        await s.admin_users.admin_create_user(pool.id, "ann", {}, PASSWORD, "SUPPRESS", ())
        await s.admin_users.admin_set_user_password(pool.id, "ann", PASSWORD, permanent=True)

        async def attempt(password: str) -> str:
            try:
                await s.auth.initiate_auth(
                    client.id,
                    sign_in_request(
                        "USER_PASSWORD_AUTH", {"USERNAME": "ann", "PASSWORD": password}
                    ),
                )
            except NotAuthorizedException as exc:
                return exc.message
            return "ok"

        for _ in range(5):
            assert await attempt("Wr0ng-Password!") == WRONG
        # Locked for 1 s, then each failure the moment a lock ends locks twice as long.
        for seconds in (1, 2, 4, 8, 16):
            clock.advance(seconds=seconds - 0.01)
            assert await attempt(PASSWORD) == LOCKED  # tried during the lock: no change
            clock.advance(seconds=0.01)
            assert await attempt("Wr0ng-Password!") == WRONG

        # Fifteen minutes without a failure: the count starts again (five free failures).
        assert await attempt(PASSWORD) == LOCKED
        clock.advance(minutes=15)
        for _ in range(5):
            assert await attempt("Wr0ng-Password!") == WRONG
        assert await attempt(PASSWORD) == LOCKED
        clock.advance(seconds=1)
        assert await attempt(PASSWORD) == "ok"
        # ...and so does a success.
        for _ in range(5):
            assert await attempt("Wr0ng-Password!") == WRONG
        assert await attempt(PASSWORD) == LOCKED
