"""The Purger and the auth-event log: events created before now minus the retention go (in
batches of the purge's size), a dry run only counts them, and without the store none are
asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.support.inprocess import FrozenClock

from mamori.services.purge import Purger

pytestmark = pytest.mark.anyio
START = datetime(2030, 1, 1, 12, tzinfo=UTC)


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


class Store:
    """Every purge port, answering zero, recording what the auth-event port is asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, datetime, int | None]] = []

    async def count_sessions_expired_before(self, cutoff: datetime) -> int:
        return 0

    async def delete_sessions_expired_before(self, cutoff: datetime, batch: int) -> int:
        return 0

    async def count_codes_expired_before(self, cutoff: datetime) -> int:
        return 0

    async def delete_codes_expired_before(self, cutoff: datetime, batch: int) -> int:
        return 0

    async def count_messages_created_before(self, cutoff: datetime) -> int:
        return 0

    async def delete_messages_created_before(self, cutoff: datetime, batch: int) -> int:
        return 0

    async def count_auth_events_before(self, cutoff: datetime) -> int:
        self.asked.append(("count", cutoff, None))
        return 4

    async def delete_auth_events_before(self, cutoff: datetime, batch: int) -> int:
        self.asked.append(("delete", cutoff, batch))
        return 4


async def test_events_older_than_the_retention_go_in_batches() -> None:
    store = Store()
    purge = Purger(
        store,
        store,
        store,
        None,
        FrozenClock(START),
        batch=250,
        auth_events=store,
        auth_event_retention=timedelta(days=30),
    )
    purged = await purge.purge()
    assert purged.auth_events == 4
    assert purged.auth_events_before == START - timedelta(days=30)
    assert store.asked == [("delete", START - timedelta(days=30), 250)]
    counted = await purge.purge(dry_run=True)
    assert counted.auth_events == 4 and counted.dry_run
    assert store.asked[-1] == ("count", START - timedelta(days=30), None)


async def test_cognitos_ninety_days_by_default_and_nothing_without_the_store() -> None:
    store = Store()
    purged = await Purger(store, store, store, None, FrozenClock(START), auth_events=store).purge()
    assert purged.auth_events_before == START - timedelta(days=90)
    alone = await Purger(store, store, store, None, FrozenClock(START)).purge()
    assert (alone.auth_events, alone.auth_events_before) == (0, None)
