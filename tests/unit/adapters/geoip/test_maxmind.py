"""adapters/geoip/maxmind.py against small MaxMind-format databases written here with
mmdb-writer (a dev dependency) and read by MaxMind's own reader, as a production database is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import maxminddb
import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from mamori.adapters.geoip.maxmind import MaxMindGeoIp, NoGeoIp
from mamori.domain.security.geo import Coordinates, GeoLocation

# GeoIP2 City records as MaxMind lays them out (the parts the adapter reads, and some it
# doesn't). Addresses are from the documentation ranges (RFC 5737, RFC 3849).
LONDON = {
    "city": {"geoname_id": 2643743, "names": {"en": "London", "de": "London"}},
    "continent": {"code": "EU", "names": {"en": "Europe"}},
    "country": {"iso_code": "GB", "names": {"en": "United Kingdom"}},
    "location": {
        "accuracy_radius": 20,
        "latitude": 51.5142,
        "longitude": -0.0931,
        "time_zone": "Europe/London",
    },
}
TOKYO = {
    "city": {"names": {"en": "Tokyo"}},
    "country": {"iso_code": "JP"},
    "location": {"latitude": 35.6893, "longitude": 139.6899},
}
# A country-level answer (GeoLite2 Country, or a City record without a city).
FRANCE_ONLY = {"country": {"iso_code": "fr", "names": {"en": "France"}}}
# Anycast or satellite blocks: only where the block is registered.
REGISTERED_ONLY = {"registered_country": {"iso_code": "US"}}
# Coordinates a broken feed could hold: not a place, so left out.
OFF_THE_MAP = {"country": {"iso_code": "NO"}, "location": {"latitude": 123.0, "longitude": 5.0}}


def write(path: Path, networks: dict[str, dict[str, Any]], ip_version: int = 6) -> Path:
    writer = MMDBWriter(
        ip_version=ip_version,
        ipv4_compatible=ip_version == 6,
        database_type="GeoIP2-City",
        languages=["en"],
        description="mamori test database",
    )
    for cidr, record in networks.items():
        writer.insert_network(IPSet([cidr]), record)
    writer.to_db_file(str(path))
    return path


@pytest.fixture(scope="module")
def city_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(
        tmp_path_factory.mktemp("geoip") / "city.mmdb",
        {
            "192.0.2.0/24": LONDON,
            "198.51.100.0/25": FRANCE_ONLY,
            "198.51.100.128/25": REGISTERED_ONLY,
            "203.0.113.0/24": OFF_THE_MAP,
            "2001:db8::/32": TOKYO,
        },
    )


@pytest.fixture
def geoip(city_db: Path) -> Iterator[MaxMindGeoIp]:
    reader = MaxMindGeoIp(city_db)
    yield reader
    reader.close()


def test_a_city_record_gives_country_city_and_coordinates(geoip: MaxMindGeoIp) -> None:
    assert geoip.country_city("192.0.2.77") == GeoLocation(
        "GB", "London", Coordinates(51.5142, -0.0931), "Europe/London"
    )


def test_ipv6_and_ipv4_mapped_addresses(geoip: MaxMindGeoIp) -> None:
    tokyo = geoip.country_city("2001:db8:1234::1")
    assert tokyo is not None and (tokyo.country, tokyo.city) == ("JP", "Tokyo")
    # A dual-stack socket's view of an IPv4 client is the IPv4 client.
    assert geoip.country_city("::ffff:192.0.2.77") == geoip.country_city("192.0.2.77")


def test_a_country_level_record_has_no_city_or_coordinates(geoip: MaxMindGeoIp) -> None:
    assert geoip.country_city("198.51.100.1") == GeoLocation("FR", None, None)


def test_the_registered_country_stands_in_for_a_missing_country(geoip: MaxMindGeoIp) -> None:
    assert geoip.country_city("198.51.100.200") == GeoLocation("US", None, None)


def test_coordinates_that_are_not_a_place_are_dropped(geoip: MaxMindGeoIp) -> None:
    assert geoip.country_city("203.0.113.5") == GeoLocation("NO", None, None)


@pytest.mark.parametrize(
    "ip", ["10.1.2.3", "127.0.0.1", "8.8.8.8", "2001:db9::1", "not-an-address", ""]
)
def test_what_the_database_does_not_list_has_no_location(geoip: MaxMindGeoIp, ip: str) -> None:
    assert geoip.country_city(ip) is None


def test_an_ipv4_only_database_has_nothing_for_ipv6(tmp_path: Path) -> None:
    reader = MaxMindGeoIp(write(tmp_path / "v4.mmdb", {"192.0.2.0/24": LONDON}, ip_version=4))
    try:
        assert reader.country_city("2001:db8::1") is None
        assert reader.country_city("::ffff:192.0.2.1") is not None
        london = reader.country_city("192.0.2.1")
        assert london is not None and london.city == "London"
    finally:
        reader.close()


def test_a_missing_or_damaged_file_fails_when_opened(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        MaxMindGeoIp(tmp_path / "absent.mmdb")
    damaged = tmp_path / "damaged.mmdb"
    damaged.write_bytes(b"not a MaxMind database" * 10)
    with pytest.raises(maxminddb.InvalidDatabaseError):
        MaxMindGeoIp(damaged)


def test_without_a_database_no_address_has_a_location() -> None:
    nowhere = NoGeoIp()
    assert nowhere.country_city("192.0.2.77") is None
    nowhere.close()
