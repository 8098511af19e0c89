"""The purge of expired refresh sessions, codes, authorization codes and hosted-login sessions
and of old outbox messages, in-process with a frozen clock (revocation outlives every token it
covers; messages go after their retention), and the server's periodic purge, which starts with
the app and stops at shutdown (`mamori purge` itself: tests/cli/test_purge.py)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from tests.support.factories import PASSWORD
from tests.support.inprocess import FrozenClock, fresh_database, services_on
from tests.support.purge import codes_in_outbox, message, put_code, session
from tests.support.stores import open_stores

from mamori.api.aws.cognito_idp.challenges import sign_in_request
from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.app import create_app
from mamori.config import load_settings
from mamori.domain.errors import NotAuthorizedException
from mamori.domain.ids import PoolId
from mamori.domain.oauth.authorization import AuthorizationGrant, SignedIn
from mamori.services.purge import SESSION_GRACE
from mamori.wiring import build_services, purger_for


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Iterator[str]:
    with fresh_database(tmp, request.param) as url:
        yield url


# --- in-process, frozen clock
@pytest.mark.anyio
async def test_revoked_sessions_are_kept_until_no_token_can_need_them(
    database: str, tmp: Path
) -> None:
    clock = FrozenClock()
    now = clock.now()
    async with services_on(database, tmp, clock) as s, open_stores(database) as stores:
        recent = session(now - timedelta(hours=1), "recent")
        old = session(now - timedelta(days=2), "old")
        live = session(now + timedelta(days=1), "live")
        for each in (recent, old, live):
            await stores.sessions.add_session(each)
            await stores.sessions.revoke_origin(each.pool_id, each.origin_jti)
        expired_code = await put_code(stores, now - timedelta(seconds=1))
        live_code = await put_code(stores, now + timedelta(minutes=5))

        dry = await s.purger.purge(dry_run=True)
        assert (dry.sessions, dry.codes) == (1, 1)
        assert await stores.sessions.get_session(old.digest) is not None

        purged = await s.purger.purge()
        assert (purged.sessions, purged.codes, purged.dry_run) == (1, 1, False)
        # Expired an hour ago: an access token from it may still be valid, so its revocation
        # must still be on record; two days ago: nothing issued from it is valid any more.
        assert await stores.sessions.is_origin_revoked(recent.pool_id, "recent")
        assert await stores.sessions.get_session(old.digest) is None
        assert await stores.sessions.get_session(live.digest) == replace(live, revoked=True)
        pool_id = PoolId("us-east-1_Purge0000")
        assert await stores.codes.get_code(pool_id, expired_code, "signup") is None
        assert await stores.codes.get_code(pool_id, live_code, "signup") is not None

        clock.advance(days=1)  # `recent` expired a day and an hour ago: the grace, not more
        assert (await s.purger.purge()).sessions == 0
        clock.advance(seconds=1)
        assert (await s.purger.purge()).sessions == 1
        assert not await stores.sessions.is_origin_revoked(recent.pool_id, "recent")


@pytest.mark.anyio
async def test_an_access_token_stays_revoked_for_its_whole_life(database: str, tmp: Path) -> None:
    """The hazard the session grace guards against, end to end: a day-long access token taken
    just before its refresh session expires, then revoked, must stay revoked through every
    purge until it has expired itself."""
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "purge"))
        client = await s.clients.create_user_pool_client(
            pool.id,
            client_in(
                {
                    "ClientName": "long-access",
                    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                    "AccessTokenValidity": 1,
                    "RefreshTokenValidity": 60,
                    "TokenValidityUnits": {"AccessToken": "days", "RefreshToken": "minutes"},
                }
            ),
            False,
        )
        await s.admin_users.admin_create_user(pool.id, "pat", {}, None, "SUPPRESS", ())
        await s.admin_users.admin_set_user_password(pool.id, "pat", PASSWORD, permanent=True)
        creds = {"USERNAME": "pat", "PASSWORD": PASSWORD}
        signed = (
            await s.auth.initiate_auth(client.id, sign_in_request("USER_PASSWORD_AUTH", creds))
        ).result
        assert signed is not None and signed.refresh_token
        session_expires = clock.now() + timedelta(minutes=60)
        clock.advance(minutes=59)  # one minute before the refresh session expires
        refreshed = (
            await s.auth.initiate_auth(
                client.id,
                sign_in_request("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": signed.refresh_token}),
            )
        ).result
        assert refreshed is not None
        access = refreshed.access_token
        await s.auth.revoke_token(signed.refresh_token, client.id, None)

        # The session expired a minute later; the token lives a day from its refresh.
        clock.advance(days=1, seconds=-1)
        assert (await s.purger.purge()).sessions == 0
        with pytest.raises(NotAuthorizedException, match="revoked"):
            await s.tokens.check_access_token(access)
        # Until the session is past the grace it stays; then it goes, and by then the token
        # has long expired.
        clock.advance(seconds=(session_expires + SESSION_GRACE - clock.now()).total_seconds())
        assert (await s.purger.purge()).sessions == 0
        clock.advance(seconds=1)
        assert (await s.purger.purge()).sessions == 1
        with pytest.raises(NotAuthorizedException, match="expired"):
            await s.tokens.check_access_token(access)


@pytest.mark.anyio
async def test_phantom_reset_codes_are_purged_when_they_expire(database: str, tmp: Path) -> None:
    """ForgotPassword for a username nobody holds stores a code too (so that it takes the same
    time and writes as for a real user): those must not pile up."""
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "phantoms"))
        client = await s.clients.create_user_pool_client(
            pool.id,
            client_in({"ClientName": "web", "PreventUserExistenceErrors": "ENABLED"}),
            False,
        )
        for i in range(3):
            await s.recovery.forgot_password(client.id, f"nobody-{i}", None)
        assert (await s.purger.purge(dry_run=True)).codes == 0
        clock.advance(hours=1, seconds=1)  # a reset code lives an hour
        assert (await s.purger.purge(dry_run=True)).codes == 3
        assert (await s.purger.purge()).codes == 3
        assert (await s.purger.purge()).codes == 0


@pytest.mark.anyio
async def test_outbox_messages_go_after_their_retention(database: str, tmp: Path) -> None:
    """Messages hold codes and temporary passwords in clear: kept a week, then deleted."""
    clock = FrozenClock()
    now = clock.now()
    async with services_on(database, tmp, clock) as s, open_stores(database) as stores:
        for created, code in ((now - timedelta(days=8), "old"), (now, "new")):
            await stores.outbox.send(message(created, code))

        dry = await s.purger.purge(dry_run=True)
        assert (dry.messages, dry.messages_before) == (1, now - timedelta(days=7))
        assert await codes_in_outbox(stores) == ["old", "new"]

        assert (await s.purger.purge()).messages == 1
        assert await codes_in_outbox(stores) == ["new"]
        clock.advance(days=7)  # created exactly a retention ago: not before the cutoff, kept
        assert (await s.purger.purge()).messages == 0
        clock.advance(seconds=1)
        assert (await s.purger.purge()).messages == 1
        assert await codes_in_outbox(stores) == []


@pytest.mark.anyio
async def test_a_retention_of_zero_keeps_the_outbox_forever(database: str, tmp: Path) -> None:
    clock = FrozenClock()
    async with (
        services_on(database, tmp, clock, outbox_retention_hours=0) as s,
        open_stores(database) as stores,
    ):
        await stores.outbox.send(message(clock.now() - timedelta(days=3650), "ancient"))
        await put_code(stores, clock.now() - timedelta(seconds=1))
        purged = await s.purger.purge()
        assert (purged.messages, purged.messages_before, purged.codes) == (0, None, 1)
        assert await codes_in_outbox(stores) == ["ancient"]


# --- the server's periodic purge
def purge_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "mamori.purge"]


async def wait_for(condition: Any, seconds: float = 10) -> None:
    with anyio.fail_after(seconds):
        while not await condition():
            await anyio.sleep(0.05)


@pytest.mark.anyio
async def test_the_server_purges_every_interval_and_stops_at_shutdown(
    database: str, tmp: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mamori.purge")
    settings = load_settings(
        {
            "database_url": database,
            "data_dir": str(tmp),
            "master_key": base64.b64encode(secrets.token_bytes(32)).decode(),
            "purge_interval_seconds": 1,
        },
        environ={},
    )
    clock = FrozenClock()
    runtime = build_services(settings, clock=clock)
    app = create_app(runtime, settings)
    async with open_stores(database) as stores:
        first = session(clock.now() - timedelta(days=2))
        await stores.sessions.add_session(first)

        def gone(digest: str) -> Any:
            async def check() -> bool:
                return await stores.sessions.get_session(digest) is None

            return check

        async with app.router.lifespan_context(app):
            (task,) = [t for t in asyncio.all_tasks() if t.get_name() == "mamori-purge"]
            await wait_for(_at_least(caplog, 1))  # the first run, at start-up
            assert await gone(first.digest)()
            second = session(clock.now() - timedelta(days=3))
            await stores.sessions.add_session(second)
            await put_code(stores, clock.now() - timedelta(minutes=1))
            await stores.outbox.send(message(clock.now() - timedelta(days=8)))
            await wait_for(_at_least(caplog, 2))  # a second run, an interval later
            assert await gone(second.digest)()
        assert task.cancelled()
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "mamori-purge"]
    first_run, second_run = purge_lines(caplog)[:2]
    assert (first_run["event"], first_run["sessions"], first_run["codes"]) == ("purge", 1, 0)
    assert first_run["messages"] == 0
    assert (second_run["sessions"], second_run["codes"], second_run["messages"]) == (1, 1, 1)


@pytest.mark.anyio
async def test_the_periodic_purge_is_off_at_zero(tmp: Path) -> None:
    settings = load_settings(
        {
            "data_dir": str(tmp),
            "master_key": base64.b64encode(secrets.token_bytes(32)).decode(),
            "purge_interval_seconds": 0,
        },
        environ={},
    )
    with fresh_database(tmp, "sqlite") as url:
        settings = replace(settings, database_url=url)
        app = create_app(build_services(settings), settings)
        async with app.router.lifespan_context(app):
            assert not [t for t in asyncio.all_tasks() if t.get_name() == "mamori-purge"]


@pytest.mark.anyio
async def test_a_database_error_is_logged_and_tried_again(
    tmp: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """On a database without the tables (a real driver error), the loop logs and carries on."""
    caplog.set_level(logging.INFO, logger="mamori.purge")
    settings = load_settings(
        {"database_url": f"sqlite:///{tmp / 'empty.db'}", "data_dir": str(tmp)}, environ={}
    )
    async with purger_for(settings) as purger:
        with anyio.move_on_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(purger.run_periodically, 0.05)
                await wait_for(_at_least(caplog, 3))
                tg.cancel_scope.cancel()
    lines = purge_lines(caplog)
    assert len(lines) >= 3
    assert all(x["error"] == "OperationalError" for x in lines)
    assert "no such table" in lines[0]["reason"]


def _at_least(caplog: pytest.LogCaptureFixture, n: int) -> Any:
    async def check() -> bool:
        return len(purge_lines(caplog)) >= n

    return check


@pytest.mark.anyio
async def test_expired_authorization_codes_are_purged(database: str, tmp: Path) -> None:
    """OAuth codes live five minutes; after that the purge deletes them, used or not."""
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        grant = AuthorizationGrant(
            pool_id="us-east-1_purge", client_id="c", sub="s", redirect_uri="https://a/cb",
            scopes=("openid",), auth_time=0,
        )  # fmt: skip
        for _ in range(2):
            await s.authorization_codes.issue(grant)
        clock.advance(minutes=4)
        await s.authorization_codes.issue(grant)
        assert (await s.purger.purge(dry_run=True)).authorization_codes == 0
        clock.advance(minutes=1, seconds=1)
        assert (await s.purger.purge(dry_run=True)).authorization_codes == 2
        assert (await s.purger.purge()).authorization_codes == 2
        assert (await s.purger.purge()).authorization_codes == 0
        clock.advance(minutes=4)
        assert (await s.purger.purge()).authorization_codes == 1


@pytest.mark.anyio
async def test_expired_login_sessions_are_purged(database: str, tmp: Path) -> None:
    """A hosted-login session lives an hour (login_session_seconds); after that the purge
    deletes it, whether or not its user ever came back."""
    clock = FrozenClock()
    async with services_on(database, tmp, clock) as s:
        for sub in ("pat", "sam"):
            await s.login_sessions.start("us-east-1_purge", SignedIn(sub, 0))
        clock.advance(minutes=30)
        await s.login_sessions.start("us-east-1_purge", SignedIn("kim", 0))
        assert (await s.purger.purge(dry_run=True)).login_sessions == 0
        clock.advance(minutes=30)  # expiring now: already refused, gone at the next purge
        assert (await s.purger.purge(dry_run=True)).login_sessions == 0
        clock.advance(seconds=1)
        assert (await s.purger.purge(dry_run=True)).login_sessions == 2
        assert (await s.purger.purge()).login_sessions == 2
        assert (await s.purger.purge()).login_sessions == 0
        clock.advance(minutes=30)
        assert (await s.purger.purge()).login_sessions == 1
