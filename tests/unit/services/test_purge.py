"""The Purger with fake stores and a frozen clock: cutoffs, dry runs, the periodic loop."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from tests.support.inprocess import FrozenClock

from mamori.services.clients import _TOKEN_RANGES
from mamori.services.purge import SESSION_GRACE, TOKEN_LIFETIME_MAX, Purger

pytestmark = pytest.mark.anyio
START = datetime(2030, 1, 1, 12, tzinfo=UTC)


class FakeStore:
    """Both purge ports; records every call and fails the first `failures` deletes."""

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


def test_sessions_outlive_every_token_checked_against_them() -> None:
    """A deleted session un-revokes its tokens: it must outlast the longest-lived one, which
    is the longest validity a client may give an access or ID token."""
    longest = max(high for name, _, high, _ in _TOKEN_RANGES if name != "RefreshTokenValidity")
    assert timedelta(seconds=longest) <= TOKEN_LIFETIME_MAX
    assert TOKEN_LIFETIME_MAX < SESSION_GRACE


async def test_cutoffs_follow_the_clock() -> None:
    clock = FrozenClock(START)
    purger = Purger(FakeStore(), FakeStore(), clock)
    assert purger.cutoffs() == (START - SESSION_GRACE, START)
    clock.advance(days=2)
    assert purger.cutoffs() == (START + timedelta(days=2) - SESSION_GRACE, START + timedelta(2))


async def test_purge_deletes_in_batches_and_a_dry_run_only_counts() -> None:
    store = FakeStore()
    purger = Purger(store, store, FrozenClock(START), batch=250)
    dry = await purger.purge(dry_run=True)
    assert (dry.sessions, dry.codes, dry.dry_run) == (3, 5, True)
    assert store.calls == [
        ("count sessions", START - SESSION_GRACE, None),
        ("count codes", START, None),
    ]
    store.calls.clear()
    done = await purger.purge()
    assert (done.sessions, done.codes, done.dry_run) == (3, 5, False)
    assert (done.sessions_before, done.codes_before) == (START - SESSION_GRACE, START)
    assert store.calls == [
        ("delete sessions", START - SESSION_GRACE, 250),
        ("delete codes", START, 250),
    ]


async def test_the_periodic_purge_logs_failures_and_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="mamori.purge")
    store = FakeStore(failures=2)
    purger = Purger(store, store, FrozenClock(START))
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(purger.run_periodically, 0.01)
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
    assert [c[0] for c in store.calls].count("delete sessions") == 4
