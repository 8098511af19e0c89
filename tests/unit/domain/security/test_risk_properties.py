"""domain/security/risk.py's properties, for any signals and any sensible weights: adding a
risk signal never lowers the score or the level, Valid feedback never raises them, the same
input always gives the same answer, levels follow the score in the thresholds' order, and a
blocked range is always High and blocked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from mamori.domain.security.auth_events import FeedbackValue
from mamori.domain.security.risk import (
    Level,
    RiskAssessment,
    RiskSignals,
    RiskWeights,
    Signal,
    Travel,
    assess,
)

seen = st.sampled_from([None, True, False])
feedback = st.sampled_from([None, FeedbackValue.VALID, FeedbackValue.INVALID])
travels = st.none() | st.builds(
    Travel,
    st.floats(min_value=0, max_value=20100, allow_nan=False),
    st.timedeltas(min_value=timedelta(seconds=-60), max_value=timedelta(days=30)),
)
counts = st.integers(min_value=0, max_value=10_000)

signals = st.builds(
    RiskSignals,
    blocked_range=st.booleans(),
    device_seen=seen,
    device_feedback=feedback,
    ip_seen=seen,
    network_seen=seen,
    country_seen=seen,
    network_feedback=feedback,
    travel=travels,
    user_failures=counts,
    ip_failures=counts,
    ip_users=counts,
)


@st.composite
def weights(draw: st.DrawFn) -> RiskWeights:
    points = st.integers(min_value=0, max_value=200)
    low = draw(st.integers(min_value=1, max_value=200))
    medium = draw(st.integers(min_value=low, max_value=300))
    high = draw(st.integers(min_value=medium, max_value=400))
    return RiskWeights(
        new_device=draw(points),
        invalid_device=draw(points),
        new_ip=draw(points),
        new_network=draw(points),
        new_country=draw(points),
        invalid_network=draw(points),
        valid_keeps_percent=draw(st.integers(min_value=0, max_value=100)),
        impossible_travel=draw(points),
        travel_max_kmh=draw(st.integers(min_value=1, max_value=5000)),
        travel_min_km=draw(st.integers(min_value=0, max_value=2000)),
        user_failures_free=draw(points),
        user_failure=draw(points),
        user_failures_cap=draw(points),
        ip_failures_free=draw(points),
        ip_failure=draw(points),
        ip_failures_cap=draw(points),
        ip_users_free=draw(points),
        ip_user=draw(points),
        ip_users_cap=draw(points),
        blocked_range=draw(points),
        low=low,
        medium=medium,
        high=high,
    )


any_weights = st.one_of(st.just(RiskWeights()), weights())


def not_lower(before: RiskAssessment, after: RiskAssessment) -> bool:
    return after.score >= before.score and after.level.rank >= before.level.rank


# Each risk signal "added": the same signals with that one made riskier.
ADDING: dict[str, Callable[[RiskSignals], RiskSignals]] = {
    "blocked range": lambda s: replace(s, blocked_range=True),
    "unseen device": lambda s: replace(s, device_seen=False),
    "device marked Invalid": lambda s: replace(s, device_feedback=FeedbackValue.INVALID),
    "unseen address": lambda s: replace(s, ip_seen=False),
    "unseen network": lambda s: replace(s, network_seen=False),
    "unseen country": lambda s: replace(s, country_seen=False),
    "network marked Invalid": lambda s: replace(s, network_feedback=FeedbackValue.INVALID),
    "impossible travel": lambda s: replace(s, travel=Travel(20000.0, timedelta(0))),
    "a user failure more": lambda s: replace(s, user_failures=s.user_failures + 1),
    "an address failure more": lambda s: replace(s, ip_failures=s.ip_failures + 1),
    "a username more from the address": lambda s: replace(s, ip_users=s.ip_users + 1),
}


@given(signals, any_weights, st.sampled_from(sorted(ADDING)))
def test_adding_a_risk_signal_never_lowers_the_score_or_level(
    base: RiskSignals, w: RiskWeights, name: str
) -> None:
    assert not_lower(assess(base, w), assess(ADDING[name](base), w)), name


@given(signals, any_weights)
def test_seen_is_never_riskier_than_unknown_or_unseen(base: RiskSignals, w: RiskWeights) -> None:
    for field in ("device_seen", "ip_seen", "network_seen", "country_seen"):
        known = assess(replace(base, **{field: True}), w)
        unknown = assess(replace(base, **{field: None}), w)
        unseen = assess(replace(base, **{field: False}), w)
        assert known == unknown, field
        assert not_lower(unknown, unseen), field


@given(
    signals,
    any_weights,
    st.floats(min_value=0, max_value=20000, allow_nan=False),
    st.floats(min_value=0, max_value=5000, allow_nan=False),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2)),
)
def test_farther_or_sooner_is_never_less_impossible(
    base: RiskSignals,
    w: RiskWeights,
    km: float,
    more_km: float,
    elapsed: timedelta,
    less: timedelta,
) -> None:
    sooner = max(timedelta(0), elapsed - less)
    before = assess(replace(base, travel=Travel(km, elapsed)), w)
    assert not_lower(before, assess(replace(base, travel=Travel(km + more_km, elapsed)), w))
    assert not_lower(before, assess(replace(base, travel=Travel(km, sooner)), w))


@given(signals, any_weights)
def test_valid_feedback_never_raises_and_invalid_never_lowers(
    base: RiskSignals, w: RiskWeights
) -> None:
    for field in ("device_feedback", "network_feedback"):
        none = assess(replace(base, **{field: None}), w)
        valid = assess(replace(base, **{field: FeedbackValue.VALID}), w)
        invalid = assess(replace(base, **{field: FeedbackValue.INVALID}), w)
        assert not_lower(valid, none), field
        assert not_lower(none, invalid), field


@given(signals, any_weights)
def test_the_same_signals_give_the_same_assessment(base: RiskSignals, w: RiskWeights) -> None:
    first = assess(base, w)
    assert assess(replace(base), replace(w)) == first
    assert first.score == sum(c.weight for c in first.contributions)
    assert len({c.signal for c in first.contributions}) == len(first.contributions)


@given(any_weights, st.integers(min_value=0, max_value=2000), st.integers(0, 2000))
def test_levels_follow_the_score_in_threshold_order(w: RiskWeights, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert w.level_of(low).rank <= w.level_of(high).rank
    assert w.level_of(0) is Level.NO_RISK
    assert w.level_of(w.low) is not Level.NO_RISK
    assert w.level_of(w.medium).rank >= Level.MEDIUM.rank
    assert w.level_of(w.high) is Level.HIGH
    assert w.level_of(w.low - 1) is Level.NO_RISK


@given(signals, any_weights)
def test_a_blocked_range_is_always_high_and_blocked(base: RiskSignals, w: RiskWeights) -> None:
    result = assess(replace(base, blocked_range=True), w)
    assert result.level is Level.HIGH
    assert result.blocked
    assert result.contributions[0].signal is Signal.BLOCKED_RANGE
    assert not assess(replace(base, blocked_range=False), w).blocked
