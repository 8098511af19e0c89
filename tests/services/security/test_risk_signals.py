"""services/security/risk_signals.py on the real parts its ports stand for: the SQL auth-event,
device and counter stores (SQLite and PostgreSQL) and a MaxMind-format database read by the
GeoIP adapter; the signals then scored by `assess`."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet
from tests.support.inprocess import fresh_database
from tests.support.stores import Stores, open_stores

from mamori.adapters.counters.sql import SqlCounters
from mamori.adapters.geoip.maxmind import MaxMindGeoIp
from mamori.adapters.store.sql.auth_events import SqlAuthEventStore
from mamori.domain.auth.device import Device
from mamori.domain.ids import PoolId, UserSub
from mamori.domain.security.auth_events import (
    AuthEvent,
    EventContext,
    EventResponse,
    EventType,
)
from mamori.domain.security.risk import Level, assess
from mamori.services.security.risk_signals import RiskSignalSources, SignInRequest

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
HOME = "192.0.2.10"  # London in the test database
AWAY = "2001:db8:5::7"  # Tokyo
CHROME = "Chrome 120, Windows 10"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database per backend for the module; each test has its own pool and user."""
    with fresh_database(tmp_path_factory.mktemp("risk"), request.param) as url:
        yield url


@pytest.fixture
def geoip(tmp_path: Path) -> Iterator[MaxMindGeoIp]:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City")
    writer.insert_network(
        IPSet(["192.0.2.0/24"]),
        {"country": {"iso_code": "GB"}, "location": {"latitude": 51.51, "longitude": -0.09}},
    )
    writer.insert_network(
        IPSet(["2001:db8::/32"]),
        {"country": {"iso_code": "JP"}, "location": {"latitude": 35.69, "longitude": 139.69}},
    )
    writer.to_db_file(str(tmp_path / "city.mmdb"))
    reader = MaxMindGeoIp(tmp_path / "city.mmdb")
    yield reader
    reader.close()


@dataclass
class Parts:
    stores: Stores
    events: SqlAuthEventStore
    sources: RiskSignalSources
    pool_id: PoolId
    sub: UserSub


@pytest.fixture
async def parts(database: str, geoip: MaxMindGeoIp) -> AsyncIterator[Parts]:
    async with open_stores(database) as stores:
        pool = await stores.pool()
        user = await stores.user(pool, "alice")
        events = SqlAuthEventStore(stores.engine)
        sources = RiskSignalSources(events, stores.devices, geoip, SqlCounters(stores.engine))
        yield Parts(stores, events, sources, PoolId(pool.id), UserSub(user.sub))


async def sign_in_event(parts: Parts, ago: timedelta, ip: str, response: EventResponse) -> None:
    await parts.events.add_event(
        AuthEvent(
            id=secrets.token_hex(8),
            pool_id=parts.pool_id,
            user_sub=parts.sub,
            type=EventType.SIGN_IN,
            created=NOW - ago,
            response=response,
            context=EventContext(ip=ip, device_name=CHROME, country="GB"),
        )
    )


def request(parts: Parts, ip: str, **overrides: object) -> SignInRequest:
    values: dict[str, object] = {
        "pool_id": parts.pool_id,
        "username": "alice",
        "sub": parts.sub,
        "ip": ip,
        "device_name": CHROME,
    }
    values.update(overrides)
    return SignInRequest(**values)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_home_then_tokyo_an_hour_later_on_a_new_device(parts: Parts) -> None:
    await sign_in_event(parts, timedelta(days=3), HOME, EventResponse.PASS)
    await sign_in_event(parts, timedelta(hours=1), HOME, EventResponse.PASS)
    await sign_in_event(parts, timedelta(minutes=2), HOME, EventResponse.FAIL)

    home = await parts.sources.gather(request(parts, HOME), NOW)
    assert (home.device_seen, home.ip_seen, home.country_seen) == (True, True, True)
    assert home.user_failures == 1
    assert assess(home).level is Level.NO_RISK

    away = await parts.sources.gather(request(parts, AWAY, device_name="Opera 99, Android"), NOW)
    assert (away.device_seen, away.ip_seen, away.network_seen) == (False, False, False)
    assert away.country_seen is False
    assert away.travel is not None and away.travel.speed_kmh > 9000
    assert assess(away).level is Level.HIGH


@pytest.mark.anyio
async def test_a_confirmed_device_key_is_known(parts: Parts) -> None:
    await sign_in_event(parts, timedelta(days=1), HOME, EventResponse.PASS)
    created = NOW - timedelta(days=2)
    key = "eu-west-1_" + "0" * 8 + "-0000-0000-0000-" + "0" * 12
    device = Device(parts.pool_id, parts.sub, key, "-abc", created, created, confirmed=True)
    await parts.stores.devices.add_device(device)
    known = await parts.sources.gather(request(parts, HOME, device_key=key), NOW)
    assert known.device_seen is True
    other = key[:-1] + "1"
    assert (
        await parts.sources.gather(request(parts, HOME, device_key=other), NOW)
    ).device_seen is False


@pytest.mark.anyio
async def test_a_stuffing_run_is_counted_on_the_shared_counters(parts: Parts) -> None:
    bot = "198.51.100.66"
    level = Level.NO_RISK
    for n in range(20):
        attempt = request(parts, bot, username=f"victim{n}", sub=None, device_name=None)
        at = NOW + timedelta(seconds=n)
        await parts.sources.count_attempt(attempt, at)
        level = assess(await parts.sources.gather(attempt, at)).level
        await parts.sources.count_failure(attempt, at)
    assert level is Level.HIGH
    # A second source on the same database (another server process) sees the same counts.
    other = RiskSignalSources(
        parts.events, parts.stores.devices, NoPlaces(), SqlCounters(parts.stores.engine)
    )
    seen = await other.gather(request(parts, bot, sub=None), NOW + timedelta(seconds=20))
    assert (seen.ip_users, seen.ip_failures) == (20, 20)


class NoPlaces:
    def country_city(self, ip: str) -> None:
        return None
