"""wiring.py's sizing of the hashing threads (issue 10, item 6)."""

from __future__ import annotations

from mamori.wiring import hash_thread_count


def test_every_process_gets_a_hashing_thread_per_core() -> None:
    # Not cores / workers: with 2 workers on 2 cores, the process holding the connections must
    # be able to hash on both cores.
    assert hash_thread_count(2) == 2
    assert hash_thread_count(8) == 8
    assert hash_thread_count(1) == 1


def test_an_unknown_core_count_still_hashes() -> None:
    assert hash_thread_count(None) == 1
    assert hash_thread_count(0) == 1
