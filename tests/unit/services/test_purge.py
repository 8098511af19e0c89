"""The Purger with fake stores and a frozen clock: cutoffs, dry runs, the outbox's retention,
the periodic loop."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from tests.support.inprocess import FrozenClock

from mamori.services.purge import SESSION_GRACE, TOKEN_LIFETIME_MAX, Purger
from mamori.services.userpools.clients import _TOKEN_RANGES

pytestmark = pytest.mark.anyio
START = datetime(2030, 1, 1, 12, tzinfo=UTC)
WEEK = timedelta(days=7)


class FakeStore:
    """Every purge port; records every call and fails the first `failures` deletes."""

    def __init__(self, failures: int = 0) -> None:
        self.calls: list[tuple[str, datetime, int | None]] = []
        self.failures = failures
        self.deleted = anyio.Event()

    async def count_sessions_expired_before(self, cutoff: datetime) -> int:
        self.calls.append(("count sessions", cutoff, None))
        return 3

    async def delete_sessions_expired_before(self, cutoff: datetime, batch: int) -> int:
        self.calls.append(("delete sessions", cutoff, batch))
        if self.failures:
            self.failures -= 1
            raise OSError("database unreachable\nsecond line")
        return 3

    async def count_codes_expired_before(self, cutoff: datetime) -> int:
        self.calls.append(("count codes", cutoff, None))
        return 5

    async def delete_codes_expired_before(self, cutoff: datetime, batch: int) -> int:
        self.calls.append(("delete codes", cutoff, batch))
        if sum(1 for c in self.calls if c[0] == "delete codes") >= 2:
            self.deleted.set()
        return 5

    async def count_messages_created_before(self, cutoff: datetime) -> int:
        self.calls.append(("count messages", cutoff, None))
        return 7

    async def delete_messages_created_before(self, cutoff: datetime, batch: int) -> int:
        self.calls.append(("delete messages", cutoff, batch))
        return 7


def purger(store: FakeStore, clock: FrozenClock, retention: timedelta | None = WEEK) -> Purger:
    return Purger(store, store, store, retention, clock, batch=250)


def test_sessions_outlive_every_token_checked_against_them() -> None:
    """A deleted session un-revokes its tokens: it must outlast the longest-lived one, which
    is the longest validity a client may give an access or ID token."""
    longest = max(high for name, _, high, _ in _TOKEN_RANGES if name != "RefreshTokenValidity")
    assert timedelta(seconds=longest) <= TOKEN_LIFETIME_MAX
    assert TOKEN_LIFETIME_MAX < SESSION_GRACE


async def test_cutoffs_follow_the_clock() -> None:
    clock = FrozenClock(START)
    purge = purger(FakeStore(), clock)
    assert purge.cutoffs() == (START - SESSION_GRACE, START, START - WEEK)
    clock.advance(days=2)
    later = START + timedelta(days=2)
    assert purge.cutoffs() == (later - SESSION_GRACE, later, later - WEEK)
    assert purger(FakeStore(), clock, None).cutoffs()[2] is None


async def test_purge_deletes_in_batches_and_a_dry_run_only_counts() -> None:
    store = FakeStore()
    purge = purger(store, FrozenClock(START))
    dry = await purge.purge(dry_run=True)
    assert (dry.sessions, dry.codes, dry.messages, dry.dry_run) == (3, 5, 7, True)
    assert store.calls == [
        ("count sessions", START - SESSION_GRACE, None),
        ("count codes", START, None),
        ("count messages", START - WEEK, None),
    ]
    store.calls.clear()
    done = await purge.purge()
    assert (done.sessions, done.codes, done.messages, done.dry_run) == (3, 5, 7, False)
    assert (done.sessions_before, done.codes_before) == (START - SESSION_GRACE, START)
    assert done.messages_before == START - WEEK
    assert store.calls == [
        ("delete sessions", START - SESSION_GRACE, 250),
        ("delete codes", START, 250),
        ("delete messages", START - WEEK, 250),
    ]


@pytest.mark.parametrize("dry_run", [True, False])
async def test_a_retention_of_none_keeps_every_message(dry_run: bool) -> None:
    store = FakeStore()
    purged = await purger(store, FrozenClock(START), None).purge(dry_run=dry_run)
    assert (purged.messages, purged.messages_before) == (0, None)
    assert not [c for c in store.calls if c[0].endswith("messages")]
    assert (purged.sessions, purged.codes) == (3, 5)  # the rest is purged as ever


@pytest.mark.parametrize("retention", [timedelta(0), timedelta(hours=-1)])
async def test_a_retention_must_be_positive(retention: timedelta) -> None:
    # Zero would delete every message the moment it is sent, codes still in use included.
    with pytest.raises(ValueError, match="message_retention"):
        purger(FakeStore(), FrozenClock(START), retention)


async def test_the_periodic_purge_logs_failures_and_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="mamori.purge")
    store = FakeStore(failures=2)
    purge = purger(store, FrozenClock(START))
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(purge.run_periodically, 0.01)
            await store.deleted.wait()  # two failed runs, then two that worked
            tg.cancel_scope.cancel()
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "mamori.purge"]
    failed = {
        "event": "purge",
        "error": "OSError",
        "reason": "database unreachable",
        "retry_seconds": 0.01,
    }
    assert lines[:2] == [failed, failed]
    assert [r.levelname for r in caplog.records[:2]] == ["ERROR", "ERROR"]
    worked = lines[2]
    assert (worked["event"], worked["sessions"], worked["codes"]) == ("purge", 3, 5)
    assert worked["messages"] == 7
    assert [c[0] for c in store.calls].count("delete sessions") == 4
