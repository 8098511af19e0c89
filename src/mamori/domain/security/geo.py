"""Where a sign-in comes from, as values: a GeoIP answer (country, city, coordinates), the
great-circle distance between two places, and the address and network keys that the risk
engine compares with a user's history."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

# The mean Earth radius (IUGG), in km: haversine's error from the Earth not being a sphere is
# under 0.5%, far below what a GeoIP city position is good for.
EARTH_RADIUS_KM = 6371.0088
# A network: the /24 an IPv4 address is in (one ISP's customers, one office), the /48 of an
# IPv6 address (what one site is usually given). An address: IPv4 as is, IPv6 by its /64 (one
# host usually holds a whole /64 and rotates through it; services/security/guard.py counts the
# same way).
IPV4_NETWORK_PREFIX = 24
IPV6_NETWORK_PREFIX = 48
IPV6_ADDRESS_PREFIX = 64


@dataclass(frozen=True)
class Coordinates:
    """A point on Earth in degrees (WGS 84, as GeoIP databases give them)."""

    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not (-90.0 <= self.latitude <= 90.0 and -180.0 <= self.longitude <= 180.0):
            raise ValueError(f"not a place on Earth: {self.latitude}, {self.longitude}")


@dataclass(frozen=True)
class GeoLocation:
    """What a GeoIP database says about an address; any part may be unknown (a country-level
    database has no city or coordinates)."""

    country: str | None  # ISO 3166-1 alpha-2, upper case ("GB")
    city: str | None  # the English name
    coordinates: Coordinates | None
    time_zone: str | None = None  # IANA ("Europe/London"), as an auth event's context shows it


def haversine_km(a: Coordinates, b: Coordinates) -> float:
    """The great-circle distance between two points, in km (the haversine formula)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    # min(): rounding can push h a hair past 1 for antipodal points, and asin would fail.
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def _parsed(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_key(ip: str) -> str | None:
    """The address a user's history is compared by: IPv4 as is, IPv6 by its /64; IPv4-mapped
    IPv6 as the IPv4 address. None for something that is not an address."""
    address = _parsed(ip)
    if address is None:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, IPV6_ADDRESS_PREFIX), strict=False))
    return str(address)


def network_key(ip: str) -> str | None:
    """The network an address is in: its IPv4 /24 or IPv6 /48. None for a non-address."""
    address = _parsed(ip)
    if address is None:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, IPV6_NETWORK_PREFIX), strict=False))
    return str(ipaddress.IPv4Network((address, IPV4_NETWORK_PREFIX), strict=False))
