"""services/oauth/login_sessions.py on the real services and a frozen clock: a session lives
login_session_seconds, belongs to one pool, and stops with the user (disabled, deleted)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.support.inprocess import FrozenClock, fresh_database, services_on

from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.domain.oauth.authorization import SignedIn


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Any:
    with fresh_database(tmp, request.param) as url:
        yield url


@pytest.mark.anyio
async def test_a_session_lives_its_hour_in_its_own_pool(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "sso"))
        other = await s.pools.create_user_pool(pool_in({}, "other"))
        await s.admin_users.admin_create_user(pool.id, "kim", {}, None, "SUPPRESS", ())
        user = await s.users.require_in_pool(pool.id, "kim")
        signed_in = SignedIn(user.sub, 1_900_000_000)
        value = await s.login_sessions.start(pool.id, signed_in)
        assert len(value) >= 43
        assert await s.login_sessions.current(pool.id, value) == signed_in
        assert await s.login_sessions.current(other.id, value) is None
        for bad in (None, "", "x" * 500, value + "x"):
            assert await s.login_sessions.current(pool.id, bad) is None
        clock.advance(seconds=3599)
        assert await s.login_sessions.current(pool.id, value) == signed_in
        clock.advance(seconds=1)
        assert await s.login_sessions.current(pool.id, value) is None

        second = await s.login_sessions.start(pool.id, signed_in)
        await s.login_sessions.end(other.id, second)  # another pool's logout can't end it
        assert await s.login_sessions.current(pool.id, second) == signed_in
        await s.login_sessions.end(pool.id, second)
        assert await s.login_sessions.current(pool.id, second) is None


@pytest.mark.anyio
async def test_a_session_stops_with_its_user(database: str, tmp: Path) -> None:
    async with services_on(database, tmp, FrozenClock(), login_session_seconds=60) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "sso"))
        await s.admin_users.admin_create_user(pool.id, "kim", {}, None, "SUPPRESS", ())
        user = await s.users.require_in_pool(pool.id, "kim")
        value = await s.login_sessions.start(pool.id, SignedIn(user.sub, 1))
        await s.admin_users.admin_set_enabled(pool.id, "kim", False)
        assert await s.login_sessions.current(pool.id, value) is None
        await s.admin_users.admin_set_enabled(pool.id, "kim", True)
        # Disabling ended the session for good, as it ends the user's refresh tokens.
        assert await s.login_sessions.current(pool.id, value) is None
        value = await s.login_sessions.start(pool.id, SignedIn(user.sub, 2))
        await s.admin_users.admin_delete_user(pool.id, "kim")
        assert await s.login_sessions.current(pool.id, value) is None


@pytest.mark.anyio
async def test_global_sign_out_ends_the_users_sessions(database: str, tmp: Path) -> None:
    async with services_on(database, tmp, FrozenClock()) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "sso"))
        for name in ("kim", "lee"):
            await s.admin_users.admin_create_user(pool.id, name, {}, None, "SUPPRESS", ())
        kim = await s.users.require_in_pool(pool.id, "kim")
        lee = await s.users.require_in_pool(pool.id, "lee")
        first = await s.login_sessions.start(pool.id, SignedIn(kim.sub, 1))
        second = await s.login_sessions.start(pool.id, SignedIn(kim.sub, 2))
        other = await s.login_sessions.start(pool.id, SignedIn(lee.sub, 3))
        await s.auth.admin_user_global_sign_out(pool.id, "kim")
        assert await s.login_sessions.current(pool.id, first) is None
        assert await s.login_sessions.current(pool.id, second) is None
        assert await s.login_sessions.current(pool.id, other) == SignedIn(lee.sub, 3)
        # A later sign-in starts a new session as usual.
        again = await s.login_sessions.start(pool.id, SignedIn(kim.sub, 4))
        assert await s.login_sessions.current(pool.id, again) == SignedIn(kim.sub, 4)
