"""HashThreads: results and errors reach the caller, results are handed over together only
while enough hashes wait behind them, cancelled callers cost no hash, several event loops
share one set of threads, and the threads stop when closed or collected."""

from __future__ import annotations

import asyncio
import gc
import threading
import time

import pytest

from mamori.services.security.hash_threads import HashThreads

WAIT = 10.0  # seconds a test waits for a thread before it fails


def hold(event: threading.Event, value: object = None) -> object:
    assert event.wait(WAIT), "never released"
    return value


def test_results_and_errors_reach_the_caller() -> None:
    threads = HashThreads(2)

    def fail() -> None:
        raise ValueError("bad hash")

    async def main() -> None:
        assert await threads.run(pow, 3, 4) == 81
        with pytest.raises(ValueError, match="bad hash"):
            await threads.run(fail)
        assert await asyncio.gather(*(threads.run(str, i) for i in range(20))) == [
            str(i) for i in range(20)
        ]

    asyncio.run(main())
    threads.close()


@pytest.mark.parametrize("waiting", [1, 4, 6])
def test_a_result_is_handed_over_at_once_without_a_deep_backlog(waiting: int) -> None:
    """Fewer than two batches' worth waiting behind a result: it does not wait for them."""
    threads = HashThreads(1, batch=4)
    first, rest = threading.Event(), threading.Event()

    async def main() -> None:
        a = asyncio.ensure_future(threads.run(hold, first, "a"))
        await asyncio.sleep(0.05)  # the thread holds "a"
        behind = [asyncio.ensure_future(threads.run(hold, rest, i)) for i in range(waiting)]
        await asyncio.sleep(0.05)
        first.set()
        assert await asyncio.wait_for(a, WAIT) == "a"
        assert not any(f.done() for f in behind)
        rest.set()
        assert await asyncio.wait_for(asyncio.gather(*behind), WAIT) == list(range(waiting))

    asyncio.run(main())
    threads.close()


def test_under_a_deep_backlog_results_are_handed_over_together() -> None:
    threads = HashThreads(1, batch=4)
    first, last = threading.Event(), threading.Event()
    ran: list[str] = []

    def quick(name: str) -> str:
        ran.append(name)
        return name

    async def main() -> None:
        a = asyncio.ensure_future(threads.run(hold, first, "a"))
        await asyncio.sleep(0.05)  # the thread holds "a"
        rest = [asyncio.ensure_future(threads.run(quick, n)) for n in "bcd"]
        later = [asyncio.ensure_future(threads.run(hold, last, n)) for n in "efgh"]
        await asyncio.sleep(0.05)  # seven queued behind it: a batch, and a batch more
        first.set()
        assert await asyncio.wait_for(a, WAIT) == "a"
        # "a" waited for the three hashes that filled its batch, settled in the same callback.
        assert ran == ["b", "c", "d"]
        assert [f.done() for f in rest] == [True, True, True]
        assert not any(f.done() for f in later)
        last.set()
        done = await asyncio.wait_for(asyncio.gather(*rest, *later), WAIT)
        assert done == list("bcdefgh")

    asyncio.run(main())
    threads.close()


def test_a_cancelled_caller_costs_no_hash() -> None:
    threads = HashThreads(1)
    first = threading.Event()
    ran: list[str] = []

    async def main() -> None:
        a = asyncio.ensure_future(threads.run(hold, first, "a"))
        await asyncio.sleep(0.05)
        b = asyncio.ensure_future(threads.run(ran.append, "b"))
        await asyncio.sleep(0.01)
        b.cancel()
        first.set()
        assert await asyncio.wait_for(a, WAIT) == "a"
        assert await asyncio.wait_for(threads.run(ran.append, "c"), WAIT) is None
        assert b.cancelled()

    asyncio.run(main())
    assert ran == ["c"]
    threads.close()


def test_several_event_loops_share_the_threads() -> None:
    threads = HashThreads(1)
    results: dict[int, list[int]] = {}

    def caller(k: int) -> None:
        async def main() -> list[int]:
            return list(await asyncio.gather(*(threads.run(pow, k, i) for i in range(10))))

        results[k] = asyncio.run(main())

    callers = [threading.Thread(target=caller, args=(k,)) for k in (2, 3, 5)]
    for c in callers:
        c.start()
    for c in callers:
        c.join(WAIT)
    assert results == {k: [k**i for i in range(10)] for k in (2, 3, 5)}
    threads.close()


def test_a_closed_loop_does_not_stop_the_threads() -> None:
    threads = HashThreads(1)
    started, release = threading.Event(), threading.Event()

    def blocked() -> None:
        started.set()
        hold(release)

    loop = asyncio.new_event_loop()
    task = loop.create_task(threads.run(blocked))
    loop.run_until_complete(asyncio.wait([task], timeout=0.01))
    assert started.wait(WAIT)
    task.cancel()
    loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    loop.close()  # the hash under way finishes into a closed loop
    release.set()

    async def main() -> int:
        return await asyncio.wait_for(threads.run(pow, 2, 10), WAIT)

    assert asyncio.run(main()) == 1024
    threads.close()


def _alive(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(name)]


def _wait_gone(name: str) -> None:
    deadline = time.monotonic() + WAIT
    while _alive(name) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _alive(name) == []


def test_threads_stop_when_closed_or_collected() -> None:
    closed = HashThreads(2, name="hash-test-closed")
    asyncio.run(closed.run(pow, 2, 2))
    assert len(_alive("hash-test-closed")) == 2
    closed.close()
    closed.close()  # idempotent
    _wait_gone("hash-test-closed")
    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(closed.run(pow, 2, 2))  # refused, not queued for threads that are gone

    dropped = HashThreads(2, name="hash-test-dropped")
    asyncio.run(dropped.run(pow, 2, 2))
    assert len(_alive("hash-test-dropped")) == 2
    del dropped
    gc.collect()
    _wait_gone("hash-test-dropped")


def test_no_threads_until_the_first_hash() -> None:
    HashThreads(2, name="hash-test-idle")
    assert _alive("hash-test-idle") == []
    with pytest.raises(ValueError):
        HashThreads(0)
