"""The GeoIP port on a MaxMind-format database (GeoIP2 / GeoLite2 City or Country, or any
database with their record layout), read with MaxMind's own `maxminddb` reader; and the
stand-in used when no database is configured, which knows no address."""

from __future__ import annotations

import ipaddress
import logging
import os

import maxminddb
from maxminddb.types import Record

from mamori.domain.security.geo import Coordinates, GeoLocation

log = logging.getLogger("mamori.geoip")


class MaxMindGeoIp:
    """Lookups in a memory-mapped database file, opened once (at start-up: a missing or
    corrupt file fails there). A lookup walks the file's search tree in memory, a few
    microseconds, so it runs on the event loop; the reader is safe to share between threads,
    and every server process maps the same pages."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._reader = maxminddb.open_database(path, maxminddb.MODE_AUTO)
        self._ip_version = self._reader.metadata().ip_version

    def country_city(self, ip: str) -> GeoLocation | None:
        """The database's country, English city name, coordinates and time zone for `ip`;
        None for what it does not list (private and reserved addresses, gaps) or for something
        that is not an address. IPv4-mapped IPv6 addresses are looked up as IPv4."""
        try:
            address = ipaddress.ip_address(ip.strip())
        except ValueError:
            return None
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped is not None:
                address = address.ipv4_mapped
            elif self._ip_version == 4:
                return None  # an IPv4-only database has nothing to say about it
        try:
            record = self._reader.get(address)
        except maxminddb.InvalidDatabaseError as exc:
            # A damaged file must not fail sign-ins: the location is only unknown.
            log.warning("GeoIP database unreadable for a lookup (%s)", exc)
            return None
        return _location(record)

    def close(self) -> None:
        self._reader.close()


class NoGeoIp:
    """No database configured: no address has a location, so the risk signals that need one
    (unseen country, impossible travel) are absent, never guessed."""

    def country_city(self, ip: str) -> GeoLocation | None:
        return None

    def close(self) -> None:
        return None


def _child(record: Record | None, *keys: str) -> Record | None:
    for key in keys:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


def _text(value: Record | None) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Record | None) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _location(record: Record | None) -> GeoLocation | None:
    if not isinstance(record, dict):
        return None
    # GeoIP2: `country` is where the address is used; `registered_country` where its block is
    # registered, the only one some records (anycast, satellite) have.
    country = _text(_child(record, "country", "iso_code")) or _text(
        _child(record, "registered_country", "iso_code")
    )
    city = _text(_child(record, "city", "names", "en"))
    latitude = _number(_child(record, "location", "latitude"))
    longitude = _number(_child(record, "location", "longitude"))
    coordinates = None
    if latitude is not None and longitude is not None:
        try:
            coordinates = Coordinates(latitude, longitude)
        except ValueError:
            coordinates = None
    time_zone = _text(_child(record, "location", "time_zone"))
    if country is None and city is None and coordinates is None:
        return None
    return GeoLocation(country.upper() if country else None, city, coordinates, time_zone)
