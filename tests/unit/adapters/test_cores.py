"""FileCorePermits: at most one holder per permit across threads and processes, a free permit
taken whichever is preferred, files private, and two HashThreads (two server processes) sharing
the permits never hash more at once than there are permits."""

from __future__ import annotations

import asyncio
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mamori.adapters.cores import FileCorePermits
from mamori.services.security.hash_threads import HashThreads

WAIT = 10.0


def test_a_held_permit_is_not_given_twice_until_released(tmp_path: Path) -> None:
    permits = FileCorePermits(tmp_path / "cores", 1)
    entered = threading.Event()
    release = threading.Event()
    second_in = threading.Event()

    def first() -> None:
        with permits.held(0):
            entered.set()
            assert release.wait(WAIT)

    def second() -> None:
        with permits.held(0):
            second_in.set()

    a = threading.Thread(target=first)
    a.start()
    assert entered.wait(WAIT)
    b = threading.Thread(target=second)
    b.start()
    assert not second_in.wait(0.2), "the only permit was given to two threads"
    release.set()
    assert second_in.wait(WAIT)
    a.join(WAIT)
    b.join(WAIT)


def test_a_free_permit_is_taken_whichever_is_preferred(tmp_path: Path) -> None:
    permits = FileCorePermits(tmp_path / "cores", 2)
    release = threading.Event()
    holding = threading.Event()

    def hold_zero() -> None:
        with permits.held(0):
            holding.set()
            assert release.wait(WAIT)

    t = threading.Thread(target=hold_zero)
    t.start()
    assert holding.wait(WAIT)
    done = threading.Event()

    def prefer_zero() -> None:
        with permits.held(0):  # zero is taken: the other permit serves at once
            done.set()

    other = threading.Thread(target=prefer_zero)
    other.start()
    assert done.wait(WAIT)
    release.set()
    t.join(WAIT)
    other.join(WAIT)


def test_another_process_holding_every_permit_blocks_this_one(tmp_path: Path) -> None:
    directory = tmp_path / "cores"
    permits = FileCorePermits(directory, 1)
    script = (
        "import fcntl, os, sys\n"
        f"fd = os.open({str(directory / 'core-0.lock')!r}, os.O_RDWR)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        got = threading.Event()

        def take() -> None:
            with permits.held(0):
                got.set()

        t = threading.Thread(target=take)
        t.start()
        assert not got.wait(0.3), "a permit another process holds was given"
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert got.wait(WAIT)
        t.join(WAIT)


def test_the_files_are_private(tmp_path: Path) -> None:
    FileCorePermits(tmp_path / "cores", 2)
    assert stat.S_IMODE((tmp_path / "cores").stat().st_mode) == 0o700
    for path in (tmp_path / "cores").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_no_permits_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        FileCorePermits(tmp_path, 0)


class Overlap:
    """A fake hash that records how many ran at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self.most = 0

    def __call__(self, i: int) -> int:
        with self._lock:
            self._running += 1
            self.most = max(self.most, self._running)
        time.sleep(0.01)  # a hash's duration, so that hashes overlap
        with self._lock:
            self._running -= 1
        return i


def two_processes(tmp_path: Path, cores: int = 2) -> list[HashThreads]:
    """Two server processes' hashing threads as wiring builds them for --workers 2: a thread
    per core each, one waiting for a permit and the other a spare."""
    return [
        HashThreads(cores, permits=FileCorePermits(tmp_path / "cores", cores), spares=cores // 2)
        for _ in range(2)
    ]


def test_two_busy_processes_never_hash_on_more_cores_than_there_are(tmp_path: Path) -> None:
    overlap = Overlap()
    pools = two_processes(tmp_path)

    async def main() -> list[int]:
        return list(await asyncio.gather(*(pools[i % 2].run(overlap, i) for i in range(40))))

    assert asyncio.run(main()) == list(range(40))
    assert overlap.most == 2, "a core sat idle while hashes waited, or three hashed at once"
    for pool in pools:
        pool.close()


def test_a_busy_process_borrows_an_idle_processs_core(tmp_path: Path) -> None:
    """Every connection on one process (the other idle): its spare thread hashes on the
    other process's core, so both cores work."""
    overlap = Overlap()
    busy, idle = two_processes(tmp_path)

    async def main() -> list[int]:
        return list(await asyncio.gather(*(busy.run(overlap, i) for i in range(40))))

    assert asyncio.run(main()) == list(range(40))
    assert overlap.most == 2, "one process hashed on one core while the other core was idle"
    for pool in (busy, idle):
        pool.close()


def test_a_spare_thread_hashes_only_on_a_free_permit(tmp_path: Path) -> None:
    permits = FileCorePermits(tmp_path / "cores", 1)
    threads = HashThreads(2, permits=permits, spares=1)
    other = FileCorePermits(tmp_path / "cores", 1)  # another process holding the only core
    release = threading.Event()
    holding = threading.Event()

    def hold_it() -> None:
        with other.held(0):
            holding.set()
            assert release.wait(WAIT)

    holder = threading.Thread(target=hold_it)
    holder.start()
    assert holding.wait(WAIT)
    ran = threading.Event()

    async def main() -> None:
        job = asyncio.ensure_future(threads.run(ran.set))
        await asyncio.sleep(0.2)
        assert not ran.is_set(), "a hash ran while another process held every core"
        release.set()
        await asyncio.wait_for(job, WAIT)

    asyncio.run(main())
    assert ran.is_set()
    holder.join(WAIT)
    threads.close()


def test_spares_need_permits_and_a_primary() -> None:
    with pytest.raises(ValueError):
        HashThreads(2, spares=1)
    with pytest.raises(ValueError):
        HashThreads(1, permits=None, spares=1)
