"""Cognito's back-off: five free failures, then 2^(n-5) s up to about 15 minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from mamori.domain.security.lockout import (
    FREE_FAILURES,
    IDLE_RESET,
    MAX_LOCK,
    Failures,
    attempt_cutoffs,
    is_forgotten,
    lock_duration,
    locked_until,
)

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def test_five_failures_are_free_and_the_sixth_attempt_waits_one_second() -> None:
    for count in range(FREE_FAILURES):
        assert lock_duration(count) == timedelta(0)
        assert locked_until(Failures(count, T0), T0) is None
    assert lock_duration(5) == timedelta(seconds=1)
    assert locked_until(Failures(5, T0), T0) == T0 + timedelta(seconds=1)
    assert locked_until(Failures(5, T0), T0 + timedelta(milliseconds=999)) is not None
    assert locked_until(Failures(5, T0), T0 + timedelta(seconds=1)) is None


def test_the_lock_doubles_with_each_failure_up_to_about_fifteen_minutes() -> None:
    curve = [lock_duration(n).total_seconds() for n in range(5, 18)]
    assert curve == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    assert timedelta(minutes=15) == MAX_LOCK
    assert lock_duration(10**9) == MAX_LOCK  # no overflow however many


def test_a_failure_at_the_end_of_each_lock_grows_the_next_one() -> None:
    # An attacker retrying the moment each lock ends: n-th failure at `now`, lock 2^(n-5) s.
    now = T0
    waits = []
    for count in range(1, 12):
        until = locked_until(Failures(count, now), now)
        if until is not None:
            waits.append((until - now).total_seconds())
            now = until
    assert waits == [1, 2, 4, 8, 16, 32, 64]


def test_fifteen_quiet_minutes_forget_the_failures() -> None:
    failures = Failures(15, T0)  # the longest lock
    assert locked_until(failures, T0 + timedelta(minutes=14)) is not None
    assert not is_forgotten(failures, T0 + IDLE_RESET - timedelta(seconds=1))
    assert is_forgotten(failures, T0 + IDLE_RESET)
    assert locked_until(failures, T0 + IDLE_RESET) is None


def test_no_failures_no_lock() -> None:
    assert locked_until(None, T0) is None


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=3600))
def test_a_lock_never_outlasts_the_idle_reset(count: int, after: int) -> None:
    failures = Failures(count, T0)
    now = T0 + timedelta(seconds=after)
    until = locked_until(failures, now)
    if until is not None:
        assert now < until <= T0 + MAX_LOCK <= T0 + IDLE_RESET
        assert count >= FREE_FAILURES


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=-5, max_value=3600))
def test_the_cutoffs_admit_an_attempt_exactly_when_no_lock_holds(count: int, after: int) -> None:
    """What Counters.count_attempt decides from the cutoffs is `locked_until`'s rule."""
    now = T0 + timedelta(seconds=after)
    cutoffs = attempt_cutoffs(now)
    assert len(cutoffs) == 11  # 1, 2, 4 ... 512 s, then 15 minutes for every count beyond
    admitted = count < FREE_FAILURES or cutoffs[min(count - FREE_FAILURES, 10)] >= T0
    assert admitted == (locked_until(Failures(count, T0), now) is None)
