"""Machine-wide permits to hash: one lock file per core in the data directory, shared by every
server process started on it, so that together they run at most one password hash per core
whichever process holds the connections (docs/architecture.md, "Secrets at rest")."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path


class FileCorePermits:
    """`count` permits, each an advisory lock (flock) on its own file.

    flock locks belong to an open file description, so each thread opens the files itself:
    two threads of one process then exclude each other exactly as two processes do. The
    kernel drops a dead process's locks, so a crashed worker never holds a core.
    """

    def __init__(self, directory: Path, count: int) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._paths = [directory / f"core-{i}.lock" for i in range(count)]
        for path in self._paths:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        self._local = threading.local()
        # Each process starts its preferences elsewhere (worker processes are usually started
        # one after the other, so their ids differ by one): their waiting threads then wait on
        # different permits, and a permit given back is not awaited by two processes at once.
        self._offset = os.getpid() % count

    @property
    def count(self) -> int:
        return len(self._paths)

    def _descriptors(self) -> list[int]:
        fds: list[int] | None = getattr(self._local, "fds", None)
        if fds is None:
            # One set per hashing thread (a fixed, small number of threads), open for its life.
            fds = self._local.fds = [os.open(p, os.O_RDWR) for p in self._paths]
        return fds

    def try_take(self, preferred: int) -> int | None:
        """A permit free at this moment (its token), trying `preferred` first; None when all
        are taken. Never waits."""
        fds = self._descriptors()
        start = (preferred + self._offset) % len(fds)
        for fd in fds[start:] + fds[:start]:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            return fd
        return None

    def give_back(self, token: int) -> None:
        fcntl.flock(token, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def held(self, preferred: int) -> Iterator[None]:
        """Holds a free permit, trying `preferred` first; waits for `preferred` when all are
        taken (callers spread their preferences, so waiters spread over the permits)."""
        token = self.try_take(preferred)
        if token is None:
            fds = self._descriptors()
            token = fds[(preferred + self._offset) % len(fds)]
            fcntl.flock(token, fcntl.LOCK_EX)
        try:
            yield
        finally:
            self.give_back(token)
