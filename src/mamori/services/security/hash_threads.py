"""The threads that run password hashes (argon2id, SRP verifiers) off the event loop.

argon2id is CPU- and memory-bound (19 MiB per call at OWASP's parameters): more hashes at once
than cores only thrash the caches, so a fixed set of threads runs them and waiting hashes queue
here, where a thread that finishes one takes the next at once (a limiter on the event loop
would leave the core idle until the loop got round to starting the next).

Under load a finished hash does not wake the event loop by itself: while enough other hashes
wait behind it, the thread runs them too and hands the results over together, up to `BATCH` at a
time, so the loop does several sign-ins' remaining work in one wake-up. Each wake-up after a
hash finds caches the hash has flushed (19 MiB through a 2 MiB L2); doing that work up to four
at a time took password sign-in from a median of 84% to 86-87% of the machine's argon2id rate on
a 2-core machine (docs/performance.md). A result is held only while enough hashes wait to fill
the batch and leave another batch's worth queued behind it: the requests behind it were waiting
anyway and the thread never runs dry for want of a request the loop has not yet answered. With
fewer waiting (light or moderate load: with 4 connections per server process, holding results
added latency and gained nothing) each result is handed over as soon as its hash is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from mamori.services.security.ports import CorePermits

T = TypeVar("T")

BATCH = 4  # results handed to the event loop together, at most (see the module docstring)
SPARE_PAUSE = 0.001  # seconds a spare thread leaves a permit it gave back to its waiter

# (function, arguments, the caller's loop, the future it awaits); None stops a thread.
_Job = tuple[Callable[..., Any], tuple[Any, ...], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]
# (future, succeeded, result or exception)
_Done = tuple["asyncio.Future[Any]", bool, Any]


class HashThreads:
    def __init__(
        self,
        threads: int,
        batch: int = BATCH,
        name: str = "mamori-hash",
        permits: CorePermits | None = None,
        spares: int = 0,
    ) -> None:
        """`permits`: when several server processes share the machine, each hash first takes
        one of these, so that the processes together never hash on more cores than there are.

        `spares` of the `threads` (with `permits` only) hash only on a permit free at that
        moment: they borrow the cores of processes that have nothing to hash (keep-alive
        connections spread unevenly over processes) and stay idle while every process is
        busy, so that the machine then runs one hashing thread per core, each reusing its
        own argon2 memory (four threads taking turns on two cores cost about 10% more CPU per
        sign-in: docs/performance.md, session 5)."""
        if threads < 1 or batch < 1 or not 0 <= spares < threads:
            raise ValueError("threads and batch must be at least 1, spares fewer than threads")
        if spares and permits is None:
            raise ValueError("spare threads need permits")
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._permits = permits
        self._spares = spares
        self._wake = threading.Event()  # a job was queued: spares look for a free permit
        self._count = threads
        self._batch = batch
        self._name = name
        self._started = False
        self._lock = threading.Lock()
        # The threads hold the queue, never this object: once it is collected (or closed) they
        # are told to stop.
        self._finalizer = weakref.finalize(self, _stop, self._jobs, threads, self._wake)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on a hashing thread; its result or exception, here."""
        if not self._finalizer.alive:
            raise RuntimeError("the hashing threads are closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._start()
        self._jobs.put((fn, args, loop, future))
        if self._spares:
            self._wake.set()
        return await future

    def close(self) -> None:
        """Stop the threads once the queued hashes are done (idempotent)."""
        self._finalizer()

    def _start(self) -> None:
        if self._started:
            return
        with self._lock:
            if self._started:
                return
            primaries = self._count - self._spares
            for i in range(self._count):
                if i < primaries:
                    target: Callable[..., None] = _work
                    args: tuple[Any, ...] = (self._jobs, self._batch, self._permits, i)
                else:
                    target, args = _spare, (self._jobs, self._permits, self._wake, i)
                threading.Thread(
                    target=target, args=args, name=f"{self._name}-{i}", daemon=True
                ).start()
            self._started = True


def _stop(jobs: queue.SimpleQueue[_Job | None], threads: int, wake: threading.Event) -> None:
    for _ in range(threads):
        jobs.put(None)
    wake.set()


def _spare(
    jobs: queue.SimpleQueue[_Job | None],
    permits: CorePermits,
    wake: threading.Event,
    index: int,
) -> None:
    """A spare thread: takes a job only with a permit free at that moment, one at a time."""
    while True:
        wake.wait()
        wake.clear()  # before looking: a job queued from now on wakes this thread again
        while jobs.qsize():
            token = permits.try_take(index)
            if token is None:
                break  # every core is hashing: the primaries will get to it
            try:
                job = jobs.get_nowait()
            except queue.Empty:
                permits.give_back(token)
                break
            if job is None:
                permits.give_back(token)
                return
            fn, args, loop, future = job
            done: list[tuple[asyncio.AbstractEventLoop, _Done]] = []
            if not future.cancelled():
                try:
                    done.append((loop, (future, True, fn(*args))))
                except Exception as exc:
                    done.append((loop, (future, False, exc)))
            permits.give_back(token)
            _hand_over(done)
            # A process waiting for this permit (its primary blocks on it) takes it first.
            time.sleep(SPARE_PAUSE)


def _work(
    jobs: queue.SimpleQueue[_Job | None], batch: int, permits: CorePermits | None, index: int
) -> None:
    while True:
        job = jobs.get()
        if job is None:
            return
        finished: list[tuple[asyncio.AbstractEventLoop, _Done]] = []
        stop = False
        while True:
            fn, args, loop, future = job
            # A caller that gave up (its task was cancelled) needs no hash.
            if not future.cancelled():
                try:
                    if permits is None:
                        value = fn(*args)
                    else:
                        with permits.held(index):
                            value = fn(*args)
                    finished.append((loop, (future, True, value)))
                except Exception as exc:  # the caller's to handle, as from a direct call
                    finished.append((loop, (future, False, exc)))
            if len(finished) >= batch or jobs.qsize() < 2 * batch - len(finished):
                break  # full, or too few waiting: hand over now
            try:
                following = jobs.get_nowait()
            except queue.Empty:
                break
            if following is None:
                stop = True
                break
            job = following
        _hand_over(finished)
        if stop:
            return


def _hand_over(finished: list[tuple[asyncio.AbstractEventLoop, _Done]]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[_Done]] = {}
    for loop, done in finished:
        by_loop.setdefault(loop, []).append(done)
    for loop, results in by_loop.items():
        # A closed loop raises RuntimeError: nobody is left there to await these.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle, results)


def _settle(results: list[_Done]) -> None:
    for future, ok, value in results:
        if future.done():  # cancelled while its hash ran
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
