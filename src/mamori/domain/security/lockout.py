"""Cognito's back-off after failed password sign-ins: given the failures so far, the lock-until.

Cognito: after five failed sign-ins the user is locked out for 1 s, then 2^(n-5) s after the
n-th failure, up to about 15 minutes. Attempts during a lockout fail with "Password attempts
exceeded" and change nothing; a success after the lockout, or 15 minutes without a failure,
starts the count again.

An attempt is counted BEFORE its password is compared (`attempt_cutoffs`), so concurrent guesses
can't outnumber the free failures: a right password then starts the count again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

FREE_FAILURES = 5
MAX_LOCK = timedelta(minutes=15)
# Failures are forgotten after this long without another; never shorter than the longest lock,
# or a lock could outlive the count that caused it.
IDLE_RESET = timedelta(minutes=15)
_MAX_EXPONENT = 10  # 2**10 s is past MAX_LOCK already


@dataclass(frozen=True)
class Failures:
    """Failed password sign-ins of one username since the last reset, and the latest one."""

    count: int
    last: datetime


def lock_duration(count: int) -> timedelta:
    """How long the `count`-th consecutive failure locks the username out for."""
    if count < FREE_FAILURES:
        return timedelta(0)
    exponent = min(count - FREE_FAILURES, _MAX_EXPONENT)
    return min(timedelta(seconds=2**exponent), MAX_LOCK)


def is_forgotten(failures: Failures, now: datetime) -> bool:
    return now - failures.last >= IDLE_RESET


def locked_until(failures: Failures | None, now: datetime) -> datetime | None:
    """When the lockout ends, or None when a sign-in may be tried now."""
    if failures is None or is_forgotten(failures, now):
        return None
    duration = lock_duration(failures.count)
    if not duration:
        return None
    until = failures.last + duration
    return until if until > now else None


def _locks() -> tuple[timedelta, ...]:
    locks = [lock_duration(FREE_FAILURES)]
    while locks[-1] < MAX_LOCK:
        locks.append(lock_duration(FREE_FAILURES + len(locks)))
    return tuple(locks)


# The lock after FREE_FAILURES + k failures, for k = 0.. until it is MAX_LOCK (every sign-in
# asks for them: computed once).
_LOCKS = _locks()


def attempt_cutoffs(now: datetime) -> tuple[datetime, ...]:
    """For Counters.count_attempt: after FREE_FAILURES + k failures in a row, the latest time
    the last one may have been for an attempt at `now` to be counted and checked (its lock has
    ended); the last entry holds for every count beyond. Equivalent to `locked_until` being
    None for a count not yet forgotten."""
    return tuple(now - lock for lock in _LOCKS)
