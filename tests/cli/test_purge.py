"""`mamori purge` against a database (dry run, deletions, the outbox's retention, unreachable and
broken databases), and the purge's settings: the server's interval and the outbox's retention."""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.support.inprocess import fresh_database
from tests.support.live import CHEAP_HASHING
from tests.support.purge import message, put_code, session
from tests.support.stores import open_stores

from mamori.adapters.store.sql.connection.engine import migrate
from mamori.adapters.store.sql.login_sessions import SqlLoginSessionStore
from mamori.config import ConfigError, load_settings
from mamori.services.oauth.ports import LoginSession
from mamori.services.tokens.ports import RefreshSession

MAMORI = [sys.executable, "-m", "mamori.cli"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Iterator[str]:
    with fresh_database(tmp, request.param) as url:
        yield url


def mamori(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """`mamori` with no MAMORI_* variable but `settings`, given as MAMORI_<NAME>."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    env.update({f"MAMORI_{name.upper()}": value for name, value in settings.items()})
    return subprocess.run(
        [*MAMORI, *args],
        env={**env, **CHEAP_HASHING},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def login(expires: datetime) -> LoginSession:
    created = expires - timedelta(hours=1)
    return LoginSession(secrets.token_hex(32), "us-east-1_Purge0000", "pat", 0, created, expires)


def test_mamori_purge(database: str, tmp: Path) -> None:
    now = datetime.now(UTC)

    async def seed() -> list[RefreshSession]:
        async with open_stores(database) as stores:
            made = [
                session(now - timedelta(days=3)),
                session(now - timedelta(days=2)),
                session(now - timedelta(hours=1)),  # within the grace: kept
                session(now + timedelta(days=1)),
            ]
            for each in made:
                await stores.sessions.add_session(each)
            for expires in (now - timedelta(hours=1), now - timedelta(days=9), now + timedelta(1)):
                await put_code(stores, expires)
            for created in (now - timedelta(days=8), now - timedelta(days=6), now):
                await stores.outbox.send(message(created))  # a week's retention: one goes
            for expires in (now - timedelta(minutes=1), now + timedelta(hours=1)):
                await SqlLoginSessionStore(stores.engine).add_login(login(expires))
            return made

    async def remaining() -> tuple[int, int, int, int]:
        async with open_stores(database) as stores:
            far = now + timedelta(days=365)
            return (
                await stores.sessions.count_sessions_expired_before(far),
                await stores.codes.count_codes_expired_before(far),
                await stores.outbox.count_messages_created_before(far),
                await SqlLoginSessionStore(stores.engine).count_login_sessions_expired_before(far),
            )

    asyncio.run(seed())
    where = ["--database-url", database, "--data-dir", str(tmp / "data")]

    dry = mamori("purge", *where, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[0].startswith("refresh sessions: 2 would be deleted (expired before ")
    assert lines[1].startswith("codes: 2 would be deleted (expired before ")
    assert lines[2].startswith("outbox messages: 1 would be deleted (created before ")
    assert lines[4].startswith("login sessions: 1 would be deleted (expired before ")
    assert asyncio.run(remaining()) == (4, 3, 3, 2)

    done = mamori("purge", *where)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("refresh sessions: 2 deleted (expired before ")
    assert lines[1].startswith("codes: 2 deleted (expired before ")
    assert lines[2].startswith("outbox messages: 1 deleted (created before ")
    assert lines[4].startswith("login sessions: 1 deleted (expired before ")
    cutoff = datetime.fromisoformat(lines[2].split("created before ")[1].rstrip(")"))
    assert abs(now - timedelta(days=7) - cutoff) < timedelta(minutes=1)  # a week before the run
    assert asyncio.run(remaining()) == (2, 1, 2, 1)
    # Nothing needs the data directory: no master key or credentials are made for a purge.
    assert not (tmp / "data" / "master.key").exists()

    again = mamori("purge", *where)
    assert again.returncode == 0, again.stderr
    assert "refresh sessions: 0 deleted" in again.stdout and "codes: 0 deleted" in again.stdout
    assert (
        "outbox messages: 0 deleted" in again.stdout and "login sessions: 0 deleted" in again.stdout
    )


def test_mamori_purge_keeps_the_outbox_at_a_retention_of_zero(database: str, tmp: Path) -> None:
    async def seed() -> None:
        async with open_stores(database) as stores:
            await stores.outbox.send(message(datetime.now(UTC) - timedelta(days=365)))

    async def messages() -> int:
        async with open_stores(database) as stores:
            return len(await stores.outbox.list_messages(None, None, 100))

    asyncio.run(seed())
    where = ["--database-url", database, "--data-dir", str(tmp / "data")]
    for dry_run in (["--dry-run"], []):
        done = mamori("purge", *where, *dry_run, outbox_retention_hours="0")
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[2] == "outbox messages: kept (outbox_retention_hours = 0)"
    assert asyncio.run(messages()) == 1


def test_mamori_purge_on_an_unreachable_database(tmp: Path) -> None:
    result = mamori("purge", "--database-url", "postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 2
    assert result.stderr.startswith("mamori: database postgresql://nobody@127.0.0.1:1/none: ")
    assert "Traceback" not in result.stderr


def test_mamori_purge_on_a_database_that_fails_after_migrating(tmp: Path) -> None:
    # Migrated, then a table goes (the database changed under it): one line, no traceback.
    path = tmp / "broken.db"
    url = f"sqlite:///{path}"
    migrate(url)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE refresh_sessions")
    result = mamori("purge", "--database-url", url)
    assert result.returncode == 2
    assert result.stderr.startswith(f"mamori: database {url}: ")
    assert "refresh_sessions" in result.stderr and "Traceback" not in result.stderr


def test_the_interval_setting() -> None:
    assert load_settings(environ={}).purge_interval_seconds == 3600
    env = {"MAMORI_PURGE_INTERVAL_SECONDS": "0"}
    assert load_settings(environ=env).purge_interval_seconds == 0
    with pytest.raises(ConfigError, match="purge_interval_seconds must be 0"):
        load_settings({"purge_interval_seconds": -1}, environ={})


def test_the_outbox_retention_setting(tmp: Path) -> None:
    assert load_settings(environ={}).outbox_retention_hours == 168  # a week
    env = {"MAMORI_OUTBOX_RETENTION_HOURS": "0"}
    assert load_settings(environ=env).outbox_retention_hours == 0
    toml = tmp / "mamori.toml"
    toml.write_text("[mamori]\noutbox_retention_hours = 720\n")
    assert load_settings(environ={}, config_file=toml).outbox_retention_hours == 720
    for wrong in (-1, 876001):
        with pytest.raises(ConfigError, match="outbox_retention_hours must be 0"):
            load_settings({"outbox_retention_hours": wrong}, environ={})
