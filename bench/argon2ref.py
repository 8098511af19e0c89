"""The machine's own argon2id verify rate at the server's parameters: the sign-in ceiling."""

from __future__ import annotations

import threading
import time

from mamori.crypto.passwords import HashParams, PasswordHashing

PASSWORD = "Bench-Password-1!"


def verify_rate(params: HashParams, threads: int, seconds: float = 4.0) -> float:
    """Verifications per second with `threads` threads (argon2-cffi releases the GIL)."""
    hashing = PasswordHashing(params)
    encoded = hashing.hash(PASSWORD)
    counts = [0] * threads
    stop = time.perf_counter() + seconds

    def loop(slot: int) -> None:
        while time.perf_counter() < stop:
            assert hashing.verify(encoded, PASSWORD)
            counts[slot] += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts) / (time.perf_counter() - started)


def shared_hash(params: HashParams) -> str:
    return PasswordHashing(params).hash(PASSWORD)
