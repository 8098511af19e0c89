"""Server-side SRP cost per sign-in (gmpy2 vs CPython ints) next to one argon2id verify.

    .venv/bin/python bench/srp_micro.py [--seconds 3] [--threads 2]

A USER_SRP_AUTH sign-in costs the server one `start` (InitiateAuth: g^b) and one `check_claim`
(RespondToAuthChallenge: v^u, then (A*v^u)^b); no argon2, the server holds a verifier. A
USER_PASSWORD_AUTH sign-in costs one argon2id verify. The extra HTTP round trip, session
sealing and store reads are not counted here: see bench/run.py for whole sign-ins.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import itertools
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from mamori.crypto import srp
from mamori.crypto.passwords import HashParams, PasswordHashing

REALM = "Bench0Pool"
PASSWORD = "Bench-Password-1!"


@contextlib.contextmanager
def plain_python_ints() -> Iterator[None]:
    """srp.py with CPython's pow() instead of GMP."""
    saved = srp._powmod_secret, srp._powmod_public
    srp._powmod_secret = srp._powmod_public = pow
    try:
        yield
    finally:
        srp._powmod_secret, srp._powmod_public = saved


def cpu_ms(work: Callable[[], object], seconds: float) -> float:
    """CPU milliseconds per call on this thread: stable even when other processes share the box."""
    calls, stop = 0, time.perf_counter() + seconds
    cpu = time.thread_time()
    while time.perf_counter() < stop:
        work()
        calls += 1
    return (time.thread_time() - cpu) * 1000 / calls


def rate(work: Callable[[], object], seconds: float, threads: int) -> float:
    """Calls per wall-clock second with `threads` threads (scales only if the GIL is released)."""
    counts = [0] * threads
    stop = time.perf_counter() + seconds

    def loop(slot: int) -> None:
        while time.perf_counter() < stop:
            work()
            counts[slot] += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.perf_counter() - started)


def srp_sign_in() -> Callable[[], None]:
    """One server-side sign-in: `start` for a client's A, then `check_claim` of a valid claim."""
    verifier = srp.make_verifier(REALM, "a", PASSWORD)
    big_a = pow(srp.G, secrets.randbits(1024), srp.N)  # a client's A (1024-bit a, as the JS)
    block = secrets.token_bytes(800)  # about the size of a sealed SRP state
    now = datetime.now(UTC)
    timestamp = srp.format_timestamp(now)
    # Valid claims need the client's secret; sign a few challenges with the server's own key
    # up front and check those in the timed loop (the same work as checking a client's).
    claims = []
    for _ in range(8):
        challenge = srp.start(verifier, big_a)
        signature = srp.claim_signature(
            verifier,
            challenge,
            realm=REALM,
            user_id="a",
            secret_block=block,
            timestamp=timestamp,
        )
        claims.append((challenge, base64.b64encode(signature).decode()))
    turn = itertools.count()

    def sign_in() -> None:
        srp.start(verifier, big_a)  # InitiateAuth
        challenge, signature = claims[next(turn) % len(claims)]
        assert srp.check_claim(  # RespondToAuthChallenge PASSWORD_VERIFIER
            verifier,
            challenge,
            realm=REALM,
            user_id="a",
            secret_block=block,
            timestamp=timestamp,
            signature_b64=signature,
            now=now,
        )

    return sign_in


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    seconds, threads = args.seconds, args.threads

    hashing = PasswordHashing(HashParams())
    encoded = hashing.hash(PASSWORD)
    argon = lambda: hashing.verify(encoded, PASSWORD)  # noqa: E731
    rows: list[tuple[str, Callable[[], object]]] = [
        ("argon2id verify m=19 MiB t=2 (USER_PASSWORD_AUTH)", argon)
    ]
    make = lambda: srp.make_verifier(REALM, "a", PASSWORD)  # noqa: E731
    rows += [("SRP sign-in, start+check, gmpy2", srp_sign_in()), ("make_verifier, gmpy2", make)]
    with plain_python_ints():
        rows += [
            ("SRP sign-in, start+check, python int", srp_sign_in()),
            ("make_verifier, python int", make),
        ]

    header = f"{'operation':<52} {'CPU ms/op':>9} {'ops/s/core':>10} {f'ops/s {threads} thr':>11}"
    print(header)
    costs = {}
    for name, work in rows:
        with plain_python_ints() if "python int" in name else contextlib.nullcontext():
            costs[name] = cpu_ms(work, seconds)
            wall = rate(work, seconds, threads)
        print(f"{name:<52} {costs[name]:9.2f} {1000 / costs[name]:10.1f} {wall:11.1f}")
    argon_ms = costs[rows[0][0]]
    print(
        "\nSRP sign-in CPU as a share of one argon2id verify: "
        f"gmpy2 {costs[rows[1][0]] / argon_ms:.0%}, python ints {costs[rows[3][0]] / argon_ms:.0%}"
    )


if __name__ == "__main__":
    main()
