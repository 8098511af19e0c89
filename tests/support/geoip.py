"""A GeoIP2-City database for live tests, written with mmdb-writer and read by the server with
MaxMind's own reader, as in production: loopback in "Loopville" (GB), 192.0.2.0/24 in London,
198.51.100.0/24 in Tokyo; 203.0.113.0/24 is left out (an address with no place)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPSet

LOOPBACK = {
    "city": {"names": {"en": "Loopville"}},
    "country": {"iso_code": "GB"},
    "location": {"latitude": 51.5, "longitude": -0.1, "time_zone": "Europe/London"},
}
LONDON = {
    "city": {"names": {"en": "London"}},
    "country": {"iso_code": "GB"},
    "location": {"latitude": 51.5142, "longitude": -0.0931, "time_zone": "Europe/London"},
}
TOKYO = {
    "city": {"names": {"en": "Tokyo"}},
    "country": {"iso_code": "JP"},
    "location": {"latitude": 35.6893, "longitude": 139.6899, "time_zone": "Asia/Tokyo"},
}
PLACES: Mapping[str, Mapping[str, Any]] = {
    "127.0.0.0/8": LOOPBACK,
    "192.0.2.0/24": LONDON,
    "198.51.100.0/24": TOKYO,
}


def write_city_database(path: Path, places: Mapping[str, Mapping[str, Any]] = PLACES) -> Path:
    """`places` (CIDR -> GeoIP2 City record) as an .mmdb file at `path`."""
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoIP2-City",
        languages=["en"],
        description="mamori test database",
    )
    for cidr, record in places.items():
        writer.insert_network(IPSet([cidr]), dict(record))
    writer.to_db_file(str(path))
    return path
