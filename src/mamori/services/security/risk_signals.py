"""Gathers one sign-in's `RiskSignals` (domain/security/risk.py) through narrow ports: the
user's recent auth events, the devices it confirmed, GeoIP, and per-address counters every
server process shares. services/auth/sign_in_risk.py calls it at each sign-in, then `assess`.

What is compared with what (docs/threat-protection.md, "The risk engine"):
- history: the user's latest `HISTORY` sign-ins and events given feedback, read as
  `EventTrace`s (only the columns compared, alike events grouped); its successful sign-ins
  say which addresses, networks, countries and devices are known. No successful sign-in yet:
  nothing to compare, so those signals are absent (None), not "new".
- device: a device key the request names is known when the user confirmed it (the device
  store); without one, the browser and system (`device_name` from the User-Agent) seen in a
  successful sign-in stand in for it.
- feedback: the latest given on an event from the same network (`network_feedback`), and on
  one from the same device name *and* network (`device_feedback`): events keep no device
  key, and a browser name alone is shared by too many people to carry anyone's feedback.
- impossible travel: the last successful sign-in's address and this one's, both located with
  today's GeoIP database (events keep no coordinates), and the time between them.
- failures per user: the history's failed sign-ins within the window; per address and
  usernames per address: counters, which start again after a window without a new count (an
  active run keeps its count growing; a quiet address is forgotten).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from mamori.domain.auth.device import Device
from mamori.domain.ids import PoolId, UserSub
from mamori.domain.security.auth_events import (
    EventResponse,
    EventTrace,
    EventType,
    FeedbackValue,
)
from mamori.domain.security.geo import GeoLocation, address_key, network_key
from mamori.domain.security.risk import (
    RiskSignals,
    SignalWindows,
    Travel,
    travel_between,
)
from mamori.services.security.ports import Counters, GeoIp

# The user's latest sign-ins (and events given feedback) read for one assessment.
HISTORY = 60
DEFAULT_WINDOWS = SignalWindows()


class EventHistory(Protocol):
    """A user's latest sign-ins and events given feedback, newest first, `limit` at most: only
    the columns compared (the auth-event store's narrow read, one statement)."""

    async def risk_history(
        self, pool_id: str, sub: str, limit: int, since: datetime
    ) -> Sequence[EventTrace]:
        """Alike events grouped (newest group first), `recent`: those created since `since`."""


class DeviceReader(Protocol):
    """The devices a user has (the device store's read)."""

    async def get_device(self, pool_id: PoolId, sub: UserSub, key: str) -> Device | None: ...


@dataclass(frozen=True)
class SignInRequest:
    """Who signs in and from where. `sub` None: the username is nobody's (only the address's
    counts apply). `blocked`: the address is in the configuration's blocked range (the caller
    checked RiskExceptions first; a skipped range is not gathered at all)."""

    pool_id: PoolId
    username: str  # as typed, case-folded for the counts
    sub: UserSub | None
    ip: str | None
    device_key: str | None = None
    device_name: str | None = None  # auth_events.device_name(User-Agent)
    blocked: bool = False


def _digest(*parts: str) -> str:
    # Counter keys carry no username or address in clear (Redis and the table are not secret).
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _ip_failures_key(pool_id: str, ip: str) -> str:
    return "kf" + _digest(pool_id, ip)


def _ip_users_key(pool_id: str, ip: str) -> str:
    return "ku" + _digest(pool_id, ip)


def _ip_user_key(pool_id: str, ip: str, username: str) -> str:
    return "kp" + _digest(pool_id, ip, username.casefold())


def _successes(events: Iterable[EventTrace]) -> list[EventTrace]:
    """The successful sign-ins, the latest first."""
    found = [e for e in events if e.type is EventType.SIGN_IN and e.response is EventResponse.PASS]
    return sorted(found, key=lambda e: e.created, reverse=True)


def _seen(value: str | None, known: Iterable[str | None]) -> bool | None:
    if value is None:
        return None
    return value in set(known)


def _latest_feedback(events: Iterable[EventTrace]) -> FeedbackValue | None:
    given = [e for e in events if e.feedback is not None and e.feedback_date is not None]
    return max(given, key=lambda e: e.feedback_date or e.created).feedback if given else None


class RiskSignalSources:
    def __init__(
        self,
        history: EventHistory,
        devices: DeviceReader,
        geoip: GeoIp,
        counters: Counters,
        windows: SignalWindows = DEFAULT_WINDOWS,
    ) -> None:
        self._history = history
        self._devices = devices
        self._geoip = geoip
        self._counters = counters
        self._windows = windows

    async def count_attempt(self, request: SignInRequest, now: datetime) -> None:
        """Counts the username among those tried from the address (before `gather`, so that
        the attempt is in its own count): the address's count grows once per username."""
        ip = address_key(request.ip) if request.ip else None
        if ip is None:
            return
        window = self._windows.ip_users
        pair = await self._counters.add(
            _ip_user_key(request.pool_id, ip, request.username), now, window
        )
        if pair.count == 1:
            await self._counters.add(_ip_users_key(request.pool_id, ip), now, window)

    async def count_failure(self, request: SignInRequest, now: datetime) -> None:
        """A failed sign-in from the address (the user's own come from its events)."""
        ip = address_key(request.ip) if request.ip else None
        if ip is not None:
            key = _ip_failures_key(request.pool_id, ip)
            await self._counters.add(key, now, self._windows.ip_failures)

    async def gather(self, request: SignInRequest, now: datetime) -> RiskSignals:
        events: Sequence[EventTrace] = ()
        cutoff = now - self._windows.user_failures
        if request.sub is not None:
            history = self._history.risk_history
            events = await history(request.pool_id, request.sub, HISTORY, cutoff)
        ip_failures, ip_users = await self._address_counts(request, now)
        user_failures = sum(
            e.recent
            for e in events
            if e.type is EventType.SIGN_IN and e.response is EventResponse.FAIL
        )
        # A user's history holds few distinct addresses: each is parsed once, not per event.
        networks = {ip: network_key(ip) for ip in {e.ip for e in events if e.ip}}
        network = network_key(request.ip) if request.ip else None
        same_network = [e for e in events if e.ip and networks[e.ip] == network]
        same_device = [e for e in same_network if e.device_name == request.device_name]
        known = await self._known(request, _successes(events), networks, now)
        return RiskSignals(
            blocked_range=request.blocked,
            device_seen=known.device,
            device_feedback=_latest_feedback(same_device) if request.device_name else None,
            ip_seen=known.ip,
            network_seen=known.network,
            country_seen=known.country,
            network_feedback=_latest_feedback(same_network) if network else None,
            travel=known.travel,
            user_failures=user_failures,
            ip_failures=ip_failures,
            ip_users=ip_users,
        )

    async def _address_counts(self, request: SignInRequest, now: datetime) -> tuple[int, int]:
        ip = address_key(request.ip) if request.ip else None
        if ip is None:
            return 0, 0
        failures = await self._counters.peek(_ip_failures_key(request.pool_id, ip), now)
        users = await self._counters.peek(_ip_users_key(request.pool_id, ip), now)
        return (failures.count if failures else 0), (users.count if users else 0)

    async def _known(
        self,
        request: SignInRequest,
        successes: Sequence[EventTrace],
        networks: dict[str, str | None],
        now: datetime,
    ) -> _Known:
        """`networks`: each address of the history with its network key."""
        if not successes:
            return _Known()
        ip = request.ip
        here = self._geoip.country_city(ip) if ip else None
        ips = {e.ip for e in successes if e.ip}
        countries = [e.country for e in successes if e.country]
        return _Known(
            device=await self._device_seen(request, successes),
            ip=_seen(address_key(ip), (address_key(i) for i in ips)) if ip else None,
            network=_seen(network_key(ip), (networks[i] for i in ips)) if ip else None,
            # Events from before a GeoIP database was configured have no country to compare.
            country=_seen(here.country, countries) if here and countries else None,
            travel=self._travel(here, successes[0], now),
        )

    async def _device_seen(
        self, request: SignInRequest, successes: Sequence[EventTrace]
    ) -> bool | None:
        if request.device_key and request.sub is not None:
            device = await self._devices.get_device(
                request.pool_id, request.sub, request.device_key
            )
            return device is not None and device.confirmed
        return _seen(request.device_name, (e.device_name for e in successes))

    def _travel(self, here: GeoLocation | None, last: EventTrace, now: datetime) -> Travel | None:
        if here is None or here.coordinates is None or not last.ip:
            return None
        before = self._geoip.country_city(last.ip)
        if before is None or before.coordinates is None:
            return None
        return travel_between(before.coordinates, here.coordinates, now - last.created)


@dataclass(frozen=True)
class _Known:
    device: bool | None = None
    ip: bool | None = None
    network: bool | None = None
    country: bool | None = None
    travel: Travel | None = None
