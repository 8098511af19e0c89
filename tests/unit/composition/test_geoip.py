"""composition/geoip.py: GeoIP from the settings, and the auth-event log's locator on it."""

from __future__ import annotations

from pathlib import Path

import maxminddb
import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from mamori.adapters.geoip.maxmind import MaxMindGeoIp, NoGeoIp
from mamori.composition.geoip import GeoIpPlaces, build_geoip
from mamori.config import load_settings
from mamori.services.security.auth_events import Place


def test_without_a_database_nothing_is_located() -> None:
    geoip = build_geoip(load_settings({}, environ={}))
    assert isinstance(geoip, NoGeoIp)
    assert GeoIpPlaces(geoip).locate("192.0.2.1") is None


def test_the_configured_database_locates_city_country_and_time_zone(tmp_path: Path) -> None:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City")
    writer.insert_network(
        IPSet(["192.0.2.0/24"]),
        {
            "city": {"names": {"en": "Osaka"}},
            "country": {"iso_code": "JP"},
            "location": {"latitude": 34.69, "longitude": 135.5, "time_zone": "Asia/Tokyo"},
        },
    )
    writer.to_db_file(str(tmp_path / "city.mmdb"))
    geoip = build_geoip(load_settings({"geoip_database": str(tmp_path / "city.mmdb")}, environ={}))
    try:
        assert isinstance(geoip, MaxMindGeoIp)
        assert GeoIpPlaces(geoip).locate("192.0.2.8") == Place("Osaka", "JP", "Asia/Tokyo")
        assert GeoIpPlaces(geoip).locate("198.51.100.1") is None
    finally:
        geoip.close()


def test_a_damaged_database_fails_when_built(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.mmdb"
    damaged.write_bytes(b"\x00" * 64)
    with pytest.raises(maxminddb.InvalidDatabaseError):
        build_geoip(load_settings({"geoip_database": str(damaged)}, environ={}))
