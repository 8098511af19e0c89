"""domain/security/risk.py by example: real scenarios and the reasons an operator reads.

The properties (monotone in each signal, deterministic, thresholds ordered, blocked always
High) are in test_risk_properties.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from mamori.domain.security import auth_events, risk_config
from mamori.domain.security.auth_events import FeedbackValue
from mamori.domain.security.geo import Coordinates
from mamori.domain.security.risk import (
    DEFAULT_WEIGHTS,
    SKIPPED_ASSESSMENT,
    Level,
    RiskSignals,
    RiskWeights,
    Signal,
    Travel,
    assess,
    travel_between,
)

LONDON = Coordinates(51.5074, -0.1278)
READING = Coordinates(51.4543, -0.9781)
NEW_YORK = Coordinates(40.7128, -74.0060)
LAGOS = Coordinates(6.5244, 3.3792)

HOME = RiskSignals(device_seen=True, ip_seen=True, network_seen=True, country_seen=True)


def signals_of(assessment_signals: RiskSignals) -> set[Signal]:
    return {c.signal for c in assess(assessment_signals).contributions}


def test_returning_user_from_home_is_no_risk() -> None:
    signals = replace(HOME, travel=travel_between(LONDON, READING, timedelta(hours=3)), ip_users=1)
    result = assess(signals)
    assert result.level is Level.NO_RISK
    assert result.score == 0
    assert result.contributions == ()
    assert not result.blocked
    assert result.explain() == "NoRisk (score 0)"


def test_first_sign_in_with_no_history_is_no_risk() -> None:
    # Nothing to compare with: the gatherer leaves *_seen as None, which adds nothing.
    assert assess(RiskSignals()).level is Level.NO_RISK


def test_a_new_phone_at_home_is_low() -> None:
    result = assess(replace(HOME, device_seen=False, ip_seen=False))
    assert result.level is Level.LOW
    assert signals_of(replace(HOME, device_seen=False, ip_seen=False)) == {
        Signal.NEW_DEVICE,
        Signal.NEW_IP,
    }


def test_a_known_laptop_abroad_is_low() -> None:
    abroad = replace(HOME, ip_seen=False, network_seen=False, country_seen=False)
    assert assess(abroad).level is Level.LOW


def test_new_device_and_new_country_is_medium() -> None:
    signals = RiskSignals(
        device_seen=False,
        ip_seen=False,
        network_seen=False,
        country_seen=False,
        travel=travel_between(LONDON, LAGOS, timedelta(days=3)),  # a flight's worth of time
    )
    result = assess(signals)
    assert result.level is Level.MEDIUM
    assert [c.signal for c in result.contributions] == [
        Signal.NEW_DEVICE,
        Signal.NEW_IP,
        Signal.NEW_NETWORK,
        Signal.NEW_COUNTRY,
    ]
    assert result.score == 25 + 5 + 10 + 20


def test_new_device_and_new_country_an_hour_after_signing_in_at_home_is_high() -> None:
    signals = RiskSignals(
        device_seen=False,
        ip_seen=False,
        network_seen=False,
        country_seen=False,
        travel=travel_between(LONDON, NEW_YORK, timedelta(hours=1)),
    )
    result = assess(signals)
    assert result.level is Level.HIGH
    travel = next(c for c in result.contributions if c.signal is Signal.IMPOSSIBLE_TRAVEL)
    assert travel.weight == DEFAULT_WEIGHTS.impossible_travel
    assert "5,570 km" in travel.detail and "60 min" in travel.detail
    assert "impossible_travel +40" in result.explain()


def test_a_nearby_city_is_never_impossible_travel_whatever_the_time() -> None:
    # GeoIP places addresses at their ISP's city: London to Reading in a minute is noise.
    signals = replace(HOME, travel=travel_between(LONDON, READING, timedelta(minutes=1)))
    assert assess(signals).level is Level.NO_RISK


def test_travel_with_no_time_passed_is_impossible() -> None:
    travel = Travel(5570.0, timedelta(0))
    assert travel.speed_kmh == float("inf")
    result = assess(replace(HOME, travel=travel))
    assert [c.signal for c in result.contributions] == [Signal.IMPOSSIBLE_TRAVEL]
    assert "at once" in result.contributions[0].detail


def test_credential_stuffing_run_from_one_address_escalates_to_high() -> None:
    """One address tries user after user, each once, mostly failing: each victim sees a new
    address (no device from the bot), and the address's counts grow."""
    levels = []
    for n in range(1, 21):
        attempt = RiskSignals(
            ip_seen=False,
            network_seen=False,
            country_seen=True,
            ip_users=n,
            ip_failures=n - 1,
        )
        levels.append(assess(attempt).level)
    assert levels[0] is Level.NO_RISK
    assert levels == sorted(levels, key=lambda level: level.rank)
    assert Level.MEDIUM in levels
    assert levels[-1] is Level.HIGH
    last = assess(RiskSignals(ip_seen=False, network_seen=False, ip_users=20, ip_failures=19))
    reasons = {c.signal: c for c in last.contributions}
    assert reasons[Signal.IP_USERS].weight == DEFAULT_WEIGHTS.ip_users_cap
    assert reasons[Signal.IP_USERS].detail == "20 usernames tried from this address (3 free)"
    assert reasons[Signal.IP_FAILURES].weight == 2 * (19 - 10)


def test_a_guessing_run_against_one_user_counts_its_failures_up_to_the_cap() -> None:
    assert assess(replace(HOME, user_failures=3)).score == 0
    assert assess(replace(HOME, user_failures=5)).score == 10
    assert assess(replace(HOME, user_failures=500)).score == DEFAULT_WEIGHTS.user_failures_cap


def test_valid_feedback_lets_the_next_sign_in_from_that_device_pass() -> None:
    new_device = replace(HOME, device_seen=False, ip_seen=False, network_seen=False)
    assert assess(new_device).level is Level.LOW
    vouched = replace(new_device, device_feedback=FeedbackValue.VALID)
    result = assess(vouched)
    assert result.level is Level.NO_RISK
    device = result.contributions[0]
    assert (device.signal, device.weight) == (Signal.NEW_DEVICE, 0)
    assert device.detail.endswith("the device was marked Valid")


def test_valid_feedback_keeps_the_configured_share() -> None:
    weights = RiskWeights(valid_keeps_percent=40)
    vouched = RiskSignals(device_seen=False, device_feedback=FeedbackValue.VALID)
    assert assess(vouched, weights).score == 25 * 40 // 100
    network = RiskSignals(
        ip_seen=False,
        network_seen=False,
        country_seen=False,
        network_feedback=FeedbackValue.VALID,
    )
    assert assess(network, weights).score == 5 * 40 // 100 + 10 * 40 // 100 + 20 * 40 // 100


def test_invalid_feedback_makes_even_a_known_device_or_network_suspect() -> None:
    bad_device = assess(replace(HOME, device_feedback=FeedbackValue.INVALID))
    assert [c.signal for c in bad_device.contributions] == [Signal.INVALID_DEVICE]
    assert bad_device.level is Level.MEDIUM
    bad_both = assess(
        replace(
            HOME,
            device_feedback=FeedbackValue.INVALID,
            network_feedback=FeedbackValue.INVALID,
        )
    )
    assert bad_both.level is Level.HIGH


def test_a_blocked_range_is_high_and_blocked_whatever_else() -> None:
    result = assess(replace(HOME, blocked_range=True))
    assert result.blocked
    assert result.level is Level.HIGH
    assert result.contributions[0].signal is Signal.BLOCKED_RANGE
    # Even with weights that make its score tiny.
    tiny = RiskWeights(blocked_range=0)
    assert assess(RiskSignals(blocked_range=True), tiny).level is Level.HIGH


def test_a_skipped_range_is_recorded_as_not_scored() -> None:
    exceptions = risk_config.RiskExceptions(blocked=("10.0.0.0/8",), skipped=("10.1.0.0/16",))
    # Blocked wins over skipped (T1's verdict); the caller maps each verdict as risk.py says.
    assert exceptions.verdict("10.1.2.3") is risk_config.RangeVerdict.BLOCKED
    assert risk_config.RiskExceptions(skipped=("10.1.0.0/16",)).verdict("10.1.2.3") is (
        risk_config.RangeVerdict.SKIPPED
    )
    assert SKIPPED_ASSESSMENT.level is Level.NO_RISK
    assert not SKIPPED_ASSESSMENT.blocked
    assert [c.signal for c in SKIPPED_ASSESSMENT.contributions] == [Signal.SKIPPED_RANGE]


def test_levels_map_to_the_event_and_configuration_levels() -> None:
    assert Level.NO_RISK.event_level is None
    assert Level.NO_RISK.configured_level is None
    assert Level.MEDIUM.event_level is auth_events.RiskLevel.MEDIUM
    assert Level.HIGH.configured_level is risk_config.RiskLevel.HIGH
    assert [level.rank for level in Level] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "bad",
    [
        {"low": 0},
        {"low": 50, "medium": 40},
        {"medium": 80, "high": 70},
        {"new_device": -1},
        {"valid_keeps_percent": 101},
        {"travel_max_kmh": 0},
    ],
)
def test_weights_that_make_no_sense_are_refused(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        RiskWeights(**bad)
