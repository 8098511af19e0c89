"""The risk engine's scorer: from what is known about one sign-in (`RiskSignals`, gathered by
the service) to a level and the reasons for it (`RiskAssessment`). Pure and deterministic: the
same signals and weights always give the same assessment; time comes in as values.

Order of checks for a request (docs/threat-protection.md, "The risk engine"):
1. The address against the configuration's RiskExceptions (`RiskExceptions.verdict`, blocked
   winning over skipped). SKIPPED: the caller gathers no signals and calls nothing here; the
   event records `SKIPPED_ASSESSMENT` (NoRisk, no action, no notification; Cognito: "risk
   detection isn't performed"). BLOCKED: `blocked_range=True` in the signals, and the
   assessment is High with `blocked` set: the request is refused whatever the configured
   action (Cognito: the blocked list "overrides the risk decision to always block").
2. Otherwise `assess(signals, weights)`: each signal present adds its weight, the sum is the
   score, and the weights' thresholds turn the score into a level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from enum import StrEnum
from typing import NamedTuple

from mamori.domain.security import auth_events, risk_config
from mamori.domain.security.auth_events import FeedbackValue
from mamori.domain.security.geo import Coordinates, haversine_km


class Level(StrEnum):
    """An assessment's level, lowest first (`rank`)."""

    NO_RISK = "NoRisk"
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @property
    def event_level(self) -> auth_events.RiskLevel | None:
        """The level an auth event records (None for NoRisk)."""
        return None if self is Level.NO_RISK else auth_events.RiskLevel(self.value)

    @property
    def configured_level(self) -> risk_config.RiskLevel | None:
        """The AccountTakeoverRiskConfiguration level whose action applies (None: no action)."""
        return None if self is Level.NO_RISK else risk_config.RiskLevel(self.value.upper())


_RANKS = {level: rank for rank, level in enumerate(Level)}


class Signal(StrEnum):
    """What an assessment's contribution is for (the names an operator reads)."""

    BLOCKED_RANGE = "blocked_range"
    SKIPPED_RANGE = "skipped_range"
    NEW_DEVICE = "new_device"
    INVALID_DEVICE = "invalid_device"
    NEW_IP = "new_ip"
    NEW_NETWORK = "new_network"
    NEW_COUNTRY = "new_country"
    INVALID_NETWORK = "invalid_network"
    IMPOSSIBLE_TRAVEL = "impossible_travel"
    USER_FAILURES = "user_failures"
    IP_FAILURES = "ip_failures"
    IP_USERS = "ip_users"


@dataclass(frozen=True)
class Travel:
    """How far, and in how long, from the place of the user's last successful sign-in to this
    request's (`travel_between`)."""

    distance_km: float
    elapsed: timedelta

    @property
    def speed_kmh(self) -> float:
        """km/h; infinite when no time has passed (or the clocks disagree) but the places do."""
        hours = self.elapsed.total_seconds() / 3600
        if hours <= 0:
            return float("inf") if self.distance_km > 0 else 0.0
        return self.distance_km / hours


def travel_between(last: Coordinates, here: Coordinates, elapsed: timedelta) -> Travel:
    return Travel(haversine_km(last, here), elapsed)


@dataclass(frozen=True)
class RiskSignals:
    """What the service found out about one request. Every field defaults to "nothing known",
    which is NoRisk: a signal the service cannot gather (no device identified, no GeoIP
    database, a user with no successful sign-in yet to compare with) is left at its default.

    `*_seen`: True when the user's earlier successful sign-ins had the same device, address
    (`geo.address_key`), network (`geo.network_key`) or country; False when they did not; None
    when there is nothing to compare (no device identifier or country for this request, or no
    history: a first sign-in is not unusual). Feedback is the latest given on an earlier event
    of this user from the same device (`device_feedback`) or network (`network_feedback`).
    Counts are over the window the service gathers them in (`SignalWindows`), this attempt
    included in `ip_users`.
    """

    blocked_range: bool = False
    device_seen: bool | None = None
    device_feedback: FeedbackValue | None = None
    ip_seen: bool | None = None
    network_seen: bool | None = None
    country_seen: bool | None = None
    network_feedback: FeedbackValue | None = None
    travel: Travel | None = None
    user_failures: int = 0  # failed sign-ins of this user
    ip_failures: int = 0  # failed sign-ins from this address, any user
    ip_users: int = 0  # distinct usernames tried from this address


@dataclass(frozen=True)
class SignalWindows:
    """How far back the service counts (not used by the scorer; kept with it so that the
    weights and the counts they apply to are tuned together)."""

    user_failures: timedelta = timedelta(minutes=15)
    ip_failures: timedelta = timedelta(minutes=15)
    ip_users: timedelta = timedelta(hours=1)

    @classmethod
    def from_minutes(cls, minutes: Mapping[str, int]) -> SignalWindows:
        """The defaults with some windows given in minutes (a deployment's settings);
        ValueError names an unknown window or one out of 1 minute to a week."""
        _check_names(cls, minutes, "risk window")
        for name, value in minutes.items():
            if not 1 <= value <= MAX_WINDOW_MINUTES:
                raise ValueError(
                    f"{name} is a number of minutes from 1 to {MAX_WINDOW_MINUTES} (a week), "
                    f"got {value}"
                )
        return cls(**{name: timedelta(minutes=value) for name, value in minutes.items()})


# A week: a count kept longer says little about a run in progress, and the user's failures
# come from its latest events only (services/security/risk_signals.py HISTORY).
MAX_WINDOW_MINUTES = 7 * 24 * 60


def _check_names(cls: type, values: Mapping[str, object], what: str) -> None:
    known = [f.name for f in fields(cls)]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r} (known: {', '.join(known)})")


@dataclass(frozen=True)
class RiskWeights:
    """Points each signal adds to the score, and the scores at which each level starts.

    The defaults are chosen so that (docs/threat-protection.md has the reasoning and examples):
    a returning user at home scores 0 (NoRisk); a new phone on the home network, or a known
    device abroad, is Low; a new device from a new network in a new country is Medium; on top
    of that impossible travel, a device or network marked Invalid, or a credential-stuffing run
    from the address is High. A blocked range is High whatever the score.
    """

    new_device: int = 25
    invalid_device: int = 50  # the device was marked Invalid (feedback), seen or not
    new_ip: int = 5
    new_network: int = 10
    new_country: int = 20
    invalid_network: int = 50  # the network was marked Invalid (feedback)
    # Percent of new_device (for the device) or new_ip + new_network + new_country (for the
    # network) still counted once that device or network was marked Valid: 0 forgets them.
    valid_keeps_percent: int = 0
    impossible_travel: int = 40
    travel_max_kmh: int = 1000  # an airliner's speed; faster is impossible travel
    # Closer than this is never impossible travel: GeoIP places an address at its ISP's city,
    # often hundreds of km away (the database's accuracy radius).
    travel_min_km: int = 500
    # Failures: `per` points for each failure beyond `free`, at most `cap` points.
    user_failures_free: int = 3
    user_failure: int = 5
    user_failures_cap: int = 30
    ip_failures_free: int = 10
    ip_failure: int = 2
    ip_failures_cap: int = 40
    # Distinct usernames from one address (offices and carrier NAT share addresses: a few free).
    ip_users_free: int = 3
    ip_user: int = 5
    ip_users_cap: int = 60
    blocked_range: int = 100
    # Levels: NoRisk below `low`, Low from `low`, Medium from `medium`, High from `high`.
    low: int = 20
    medium: int = 45
    high: int = 75

    def __post_init__(self) -> None:
        negative = [f.name for f in fields(self) if getattr(self, f.name) < 0]
        if negative:
            raise ValueError(f"risk weights must not be negative: {', '.join(negative)}")
        if not 0 < self.low <= self.medium <= self.high:
            raise ValueError(
                f"risk thresholds must be 0 < low <= medium <= high "
                f"(low {self.low}, medium {self.medium}, high {self.high})"
            )
        if self.valid_keeps_percent > 100:
            raise ValueError("valid_keeps_percent is a percentage: 0 to 100")
        if self.travel_max_kmh == 0:
            raise ValueError("travel_max_kmh must be positive")

    @classmethod
    def from_mapping(cls, points: Mapping[str, int]) -> RiskWeights:
        """The defaults with some fields replaced (a deployment's settings); ValueError names
        an unknown field, and `__post_init__`'s checks apply to the result."""
        _check_names(cls, points, "risk weight")
        return cls(**points)

    def level_of(self, score: int) -> Level:
        if score >= self.high:
            return Level.HIGH
        if score >= self.medium:
            return Level.MEDIUM
        if score >= self.low:
            return Level.LOW
        return Level.NO_RISK


DEFAULT_WEIGHTS = RiskWeights()


class Contribution(NamedTuple):
    """One reason in an assessment: the signal, the points it added, and in words why."""

    signal: Signal
    weight: int
    detail: str


@dataclass(frozen=True)
class RiskAssessment:
    """The scorer's answer. `blocked`: the address is in a blocked range, so the request is
    refused (decision Block) whatever the configured action; `contributions` lists every
    signal that added points (or was discounted to 0 by Valid feedback), in a fixed order."""

    level: Level
    score: int
    contributions: tuple[Contribution, ...]
    blocked: bool = False

    def explain(self) -> str:
        """One line for an operator: the level, the score and each reason."""
        reasons = "; ".join(f"{c.signal} +{c.weight} ({c.detail})" for c in self.contributions)
        return f"{self.level} (score {self.score})" + (f": {reasons}" if reasons else "")


# What an event records for an address in a skipped range: nothing was scored.
SKIPPED_ASSESSMENT = RiskAssessment(
    Level.NO_RISK,
    0,
    (Contribution(Signal.SKIPPED_RANGE, 0, "address in a skipped range: not scored"),),
)


def _kept(weight: int, feedback: FeedbackValue | None, weights: RiskWeights) -> int:
    if feedback is FeedbackValue.VALID:
        return weight * weights.valid_keeps_percent // 100
    return weight


def _valid_note(feedback: FeedbackValue | None, what: str) -> str:
    return f"; the {what} was marked Valid" if feedback is FeedbackValue.VALID else ""


def _over(count: int, free: int, per: int, cap: int) -> int:
    return min(cap, per * max(0, count - free))


def _device(signals: RiskSignals, weights: RiskWeights) -> list[Contribution]:
    found = []
    feedback = signals.device_feedback
    if signals.device_seen is False:
        detail = "device not seen in this user's sign-ins" + _valid_note(feedback, "device")
        found.append(
            Contribution(Signal.NEW_DEVICE, _kept(weights.new_device, feedback, weights), detail)
        )
    if feedback is FeedbackValue.INVALID:
        found.append(
            Contribution(
                Signal.INVALID_DEVICE, weights.invalid_device, "device marked Invalid (feedback)"
            )
        )
    return found


def _network(signals: RiskSignals, weights: RiskWeights) -> list[Contribution]:
    found = []
    feedback = signals.network_feedback
    note = _valid_note(feedback, "network")
    unseen = (
        (signals.ip_seen, Signal.NEW_IP, weights.new_ip, "address"),
        (signals.network_seen, Signal.NEW_NETWORK, weights.new_network, "network"),
        (signals.country_seen, Signal.NEW_COUNTRY, weights.new_country, "country"),
    )
    for seen, signal, weight, what in unseen:
        if seen is False:
            detail = f"{what} not seen in this user's sign-ins{note}"
            found.append(Contribution(signal, _kept(weight, feedback, weights), detail))
    if feedback is FeedbackValue.INVALID:
        found.append(
            Contribution(
                Signal.INVALID_NETWORK,
                weights.invalid_network,
                "network marked Invalid (feedback)",
            )
        )
    return found


def _travel(travel: Travel | None, weights: RiskWeights) -> list[Contribution]:
    if travel is None or travel.distance_km < weights.travel_min_km:
        return []
    speed = travel.speed_kmh
    if speed <= weights.travel_max_kmh:
        return []
    pace = "at once" if speed == float("inf") else f"{speed:,.0f} km/h"
    minutes = max(0, int(travel.elapsed.total_seconds() // 60))
    detail = (
        f"{travel.distance_km:,.0f} km from the last sign-in's place in {minutes} min: "
        f"{pace}, over {weights.travel_max_kmh:,} km/h"
    )
    return [Contribution(Signal.IMPOSSIBLE_TRAVEL, weights.impossible_travel, detail)]


def _velocity(signals: RiskSignals, weights: RiskWeights) -> list[Contribution]:
    counted = (
        (
            Signal.USER_FAILURES,
            signals.user_failures,
            weights.user_failures_free,
            weights.user_failure,
            weights.user_failures_cap,
            "failed sign-ins of this user",
        ),
        (
            Signal.IP_FAILURES,
            signals.ip_failures,
            weights.ip_failures_free,
            weights.ip_failure,
            weights.ip_failures_cap,
            "failed sign-ins from this address",
        ),
        (
            Signal.IP_USERS,
            signals.ip_users,
            weights.ip_users_free,
            weights.ip_user,
            weights.ip_users_cap,
            "usernames tried from this address",
        ),
    )
    found = []
    for signal, count, free, per, cap, what in counted:
        points = _over(count, free, per, cap)
        if points:
            found.append(Contribution(signal, points, f"{count} {what} ({free} free)"))
    return found


def assess(signals: RiskSignals, weights: RiskWeights = DEFAULT_WEIGHTS) -> RiskAssessment:
    """The level, score and reasons for one request's signals. Adding a risk signal (or an
    Invalid feedback) never lowers the level; a Valid feedback never raises it."""
    contributions: list[Contribution] = []
    if signals.blocked_range:
        contributions.append(
            Contribution(Signal.BLOCKED_RANGE, weights.blocked_range, "address in a blocked range")
        )
    contributions += _device(signals, weights)
    contributions += _network(signals, weights)
    contributions += _travel(signals.travel, weights)
    contributions += _velocity(signals, weights)
    score = sum(c.weight for c in contributions)
    level = Level.HIGH if signals.blocked_range else weights.level_of(score)
    return RiskAssessment(level, score, tuple(contributions), blocked=signals.blocked_range)
