"""services/security/risk_signals.py: signals gathered from a user's events, its devices, GeoIP
and the per-address counters (fakes of the ports here), then scored by the real `assess`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from mamori.domain.auth.device import Device
from mamori.domain.ids import PoolId, UserSub
from mamori.domain.security.auth_events import (
    AuthEvent,
    EventContext,
    EventFeedback,
    EventResponse,
    EventTrace,
    EventType,
    FeedbackProvider,
    FeedbackValue,
)
from mamori.domain.security.geo import Coordinates, GeoLocation, network_key
from mamori.domain.security.risk import Level, assess
from mamori.services.security.ports import Tally
from mamori.services.security.risk_signals import RiskSignalSources, SignInRequest

POOL = PoolId("us-east-1_risk")
SUB = UserSub("5f0c-sub")
NOW = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
CHROME = "Chrome 120, Windows 10"
HOME_IP = "192.0.2.10"
PLACES = {
    "192.0.2.0/24": GeoLocation("GB", "London", Coordinates(51.5142, -0.0931)),
    "198.51.100.0/24": GeoLocation("GB", "Manchester", Coordinates(53.48, -2.24)),
    "203.0.113.0/24": GeoLocation("NG", "Lagos", Coordinates(6.52, 3.38)),
}


class Places:
    def country_city(self, ip: str) -> GeoLocation | None:
        return PLACES.get(network_key(ip) or "")


class NoPlaces:
    def country_city(self, ip: str) -> GeoLocation | None:
        return None


@dataclass
class History:
    events: list[AuthEvent] = field(default_factory=list)
    asked: list[tuple[str, str, int]] = field(default_factory=list)

    async def risk_history(
        self, pool_id: str, sub: str, limit: int, since: datetime
    ) -> list[EventTrace]:
        """One trace per event (the store groups alike ones: the reader must not care)."""
        self.asked.append((pool_id, sub, limit))
        newest_first = sorted(self.events, key=lambda e: e.created, reverse=True)
        # As the store reads it: sign-ins, and any event given feedback.
        mine = [
            e
            for e in newest_first
            if e.user_sub == sub and (e.type is EventType.SIGN_IN or e.feedback is not None)
        ]
        return [EventTrace.of(e, since) for e in mine][:limit]


@dataclass
class Devices:
    known: dict[str, Device] = field(default_factory=dict)

    async def get_device(self, pool_id: PoolId, sub: UserSub, key: str) -> Device | None:
        return self.known.get(key)


class Counters:
    """Counters that start again after `idle` without an add, as the real ones do."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[int, datetime, datetime]] = {}

    async def add(self, key: str, now: datetime, idle: timedelta) -> Tally:
        count, _, expires = self.values.get(key, (0, now, now))
        count = count + 1 if expires > now else 1
        self.values[key] = (count, now, now + idle)
        return Tally(count, now)

    async def peek(self, key: str, now: datetime) -> Tally | None:
        if key not in self.values:
            return None
        count, last, expires = self.values[key]
        return Tally(count, last) if expires > now else None

    async def take(self, buckets: Sequence[Any], now: datetime) -> Sequence[bool]:
        raise NotImplementedError

    async def count_attempt(self, *args: Any) -> Tally | None:
        raise NotImplementedError

    async def clear(self, key: str) -> None:
        self.values.pop(key, None)

    async def aclose(self) -> None:
        return None


def event(
    ago: timedelta,
    ip: str = HOME_IP,
    response: EventResponse = EventResponse.PASS,
    device: str | None = CHROME,
    feedback: FeedbackValue | None = None,
    country: str | None = "GB",
) -> AuthEvent:
    created = NOW - ago
    return AuthEvent(
        id=f"e-{ago.total_seconds()}-{ip}",
        pool_id=POOL,
        user_sub=SUB,
        type=EventType.SIGN_IN,
        created=created,
        response=response,
        context=EventContext(ip=ip, device_name=device, country=country),
        feedback=(
            EventFeedback(feedback, FeedbackProvider.USER, created + timedelta(minutes=5))
            if feedback
            else None
        ),
    )


def sources(
    events: list[AuthEvent] | None = None,
    devices: dict[str, Device] | None = None,
    geoip: Any = None,
    counters: Counters | None = None,
) -> RiskSignalSources:
    return RiskSignalSources(
        History(events or []),
        Devices(devices or {}),
        geoip or Places(),
        counters or Counters(),
    )


def request(ip: str = HOME_IP, **overrides: Any) -> SignInRequest:
    values: dict[str, Any] = {
        "pool_id": POOL,
        "username": "alice",
        "sub": SUB,
        "ip": ip,
        "device_name": CHROME,
    }
    values.update(overrides)
    return SignInRequest(**values)


def gather(src: RiskSignalSources, req: SignInRequest, now: datetime = NOW) -> Any:
    return asyncio.run(src.gather(req, now))


def test_a_first_sign_in_has_nothing_to_compare_with() -> None:
    signals = gather(sources(), request(ip="203.0.113.5", device_name="Firefox 130, Linux"))
    assert (signals.device_seen, signals.ip_seen, signals.network_seen) == (None, None, None)
    assert signals.country_seen is None and signals.travel is None
    assert assess(signals).level is Level.NO_RISK


def test_returning_user_from_home_is_no_risk() -> None:
    history = [event(timedelta(days=2)), event(timedelta(hours=5))]
    signals = gather(sources(history), request())
    assert (signals.device_seen, signals.ip_seen, signals.network_seen) == (True, True, True)
    assert signals.country_seen is True
    assert signals.travel is not None and signals.travel.distance_km == 0
    assert assess(signals).level is Level.NO_RISK


def test_new_device_and_new_country_an_hour_after_home_is_high() -> None:
    history = [event(timedelta(hours=1))]
    signals = gather(sources(history), request(ip="203.0.113.5", device_name="Opera 99, Android"))
    assert signals.device_seen is False
    assert (signals.ip_seen, signals.network_seen, signals.country_seen) == (False, False, False)
    assert signals.travel is not None
    assert 4900 < signals.travel.distance_km < 5100
    assert signals.travel.elapsed == timedelta(hours=1)
    result = assess(signals)
    assert result.level is Level.HIGH, result.explain()


def test_without_geoip_country_and_travel_are_absent() -> None:
    history = [event(timedelta(hours=1))]
    signals = gather(sources(history, geoip=NoPlaces()), request(ip="203.0.113.5"))
    assert signals.country_seen is None and signals.travel is None
    assert signals.network_seen is False


def test_events_recorded_without_a_country_leave_it_absent() -> None:
    history = [event(timedelta(hours=30), country=None)]
    assert gather(sources(history), request(ip="203.0.113.5")).country_seen is None


def test_a_device_key_is_known_only_once_confirmed() -> None:
    created = NOW - timedelta(days=3)
    confirmed = Device(POOL, SUB, "us-east-1_k1", "-g", created, created, confirmed=True)
    pending = Device(POOL, SUB, "us-east-1_k2", "-g", created, created)
    src = sources([event(timedelta(days=1))], {"us-east-1_k1": confirmed, "us-east-1_k2": pending})
    assert gather(src, request(device_key="us-east-1_k1")).device_seen is True
    assert gather(src, request(device_key="us-east-1_k2")).device_seen is False
    assert gather(src, request(device_key="us-east-1_k3")).device_seen is False


def test_feedback_is_the_latest_on_the_network_and_the_device_there() -> None:
    away = "198.51.100.20"
    history = [
        event(timedelta(days=9)),
        event(
            timedelta(days=3), ip=away, response=EventResponse.FAIL, feedback=FeedbackValue.INVALID
        ),
        event(
            timedelta(days=2),
            ip="198.51.100.99",
            response=EventResponse.FAIL,
            feedback=FeedbackValue.VALID,
        ),
    ]
    signals = gather(sources(history), request(ip=away))
    assert signals.network_feedback is FeedbackValue.VALID
    assert signals.device_feedback is FeedbackValue.VALID
    # Another browser on that network: the device's feedback is not its own.
    other = gather(sources(history), request(ip=away, device_name="Safari 17, Mac OS X"))
    assert other.device_feedback is None
    assert other.network_feedback is FeedbackValue.VALID
    assert assess(signals).score < assess(replace_feedback(signals)).score


def replace_feedback(signals: Any) -> Any:
    return replace(signals, network_feedback=None, device_feedback=None)


def test_the_users_failures_in_the_window_are_counted() -> None:
    history = [
        event(timedelta(days=1)),
        *(event(timedelta(minutes=m), response=EventResponse.FAIL) for m in (1, 3, 5, 7, 9)),
        event(timedelta(minutes=40), response=EventResponse.FAIL),
    ]
    assert gather(sources(history), request()).user_failures == 5


def test_an_unknown_username_reads_no_history() -> None:
    history = History([event(timedelta(days=1))])
    src = RiskSignalSources(history, Devices(), Places(), Counters())
    signals = asyncio.run(src.gather(request(sub=None), NOW))
    assert history.asked == []
    assert signals.ip_seen is None and signals.user_failures == 0


def test_credential_stuffing_run_counts_usernames_and_failures_per_address() -> None:
    counters = Counters()
    src = sources(counters=counters)
    bot = "203.0.113.66"
    levels = []
    for n in range(20):
        attempt = request(ip=bot, username=f"victim{n}", sub=None, device_name=None)
        asyncio.run(src.count_attempt(attempt, NOW + timedelta(seconds=n)))
        levels.append(assess(gather(src, attempt, NOW + timedelta(seconds=n))).level)
        asyncio.run(src.count_failure(attempt, NOW + timedelta(seconds=n)))
    # The same username again is not another username.
    again = request(ip=bot, username="VICTIM0", sub=None)
    asyncio.run(src.count_attempt(again, NOW + timedelta(seconds=30)))
    signals = gather(src, again, NOW + timedelta(seconds=30))
    assert (signals.ip_users, signals.ip_failures) == (20, 20)
    assert levels[0] is Level.NO_RISK and levels[-1] is Level.HIGH
    assert levels == sorted(levels, key=lambda level: level.rank)
    # Another address, and the same one after an hour's quiet, start from nothing.
    assert gather(src, request(ip="203.0.113.67", sub=None)).ip_users == 0
    later = gather(src, again, NOW + timedelta(hours=2))
    assert (later.ip_users, later.ip_failures) == (0, 0)


def test_the_blocked_flag_is_carried_and_wins() -> None:
    signals = gather(sources([event(timedelta(days=1))]), request(blocked=True))
    assert signals.blocked_range
    result = assess(signals)
    assert result.blocked and result.level is Level.HIGH
