"""Builds GeoIP for wiring.py: the MaxMind adapter on the `geoip_database` setting (opened
here, so a damaged file stops the start) or, without one, `NoGeoIp`; and the auth-event log's
`IpLocator` on it; wiring.py builds both and closes the database at shutdown."""

from __future__ import annotations

from mamori.adapters.geoip.maxmind import MaxMindGeoIp, NoGeoIp
from mamori.config import Settings
from mamori.services.security.auth_events import Place
from mamori.services.security.ports import GeoIp


def build_geoip(settings: Settings) -> MaxMindGeoIp | NoGeoIp:
    """The configured database, opened once for the process (close() at shutdown)."""
    if settings.geoip_database:
        return MaxMindGeoIp(settings.geoip_database)
    return NoGeoIp()


class GeoIpPlaces:
    """The auth-event log's `IpLocator` on the GeoIp port: the city, country and time zone an
    event's context shows."""

    def __init__(self, geoip: GeoIp) -> None:
        self._geoip = geoip

    def locate(self, ip: str) -> Place | None:
        where = self._geoip.country_city(ip)
        if where is None:
            return None
        return Place(city=where.city, country=where.country, timezone=where.time_zone)
