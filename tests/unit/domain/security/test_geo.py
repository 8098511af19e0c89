"""domain/security/geo.py: great-circle distances and the address and network keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mamori.domain.security.geo import Coordinates, address_key, haversine_km, network_key

LONDON = Coordinates(51.5074, -0.1278)
PARIS = Coordinates(48.8566, 2.3522)
NEW_YORK = Coordinates(40.7128, -74.0060)
SYDNEY = Coordinates(-33.8688, 151.2093)

places = st.builds(
    Coordinates,
    st.floats(min_value=-90, max_value=90, allow_nan=False),
    st.floats(min_value=-180, max_value=180, allow_nan=False),
)


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [(LONDON, PARIS, 344), (LONDON, NEW_YORK, 5570), (LONDON, SYDNEY, 16994)],
)
def test_known_distances_within_half_a_percent(a: Coordinates, b: Coordinates, km: int) -> None:
    assert haversine_km(a, b) == pytest.approx(km, rel=0.005)


@given(places, places)
def test_distance_is_symmetric_and_bounded_by_half_the_circumference(
    a: Coordinates, b: Coordinates
) -> None:
    d = haversine_km(a, b)
    assert d == pytest.approx(haversine_km(b, a), abs=1e-6)
    assert 0 <= d <= 20016  # pi x the mean radius
    assert haversine_km(a, a) == pytest.approx(0, abs=1e-6)


def test_antipodes_are_half_the_circumference() -> None:
    assert haversine_km(Coordinates(0, 0), Coordinates(0, 180)) == pytest.approx(20015, rel=1e-3)
    assert haversine_km(Coordinates(90, 0), Coordinates(-90, 0)) == pytest.approx(20015, rel=1e-3)


def test_a_place_off_the_earth_is_refused() -> None:
    with pytest.raises(ValueError):
        Coordinates(91, 0)
    with pytest.raises(ValueError):
        Coordinates(0, 180.5)


def test_ipv4_keys_are_the_address_and_its_slash_24() -> None:
    assert address_key("203.0.113.7") == "203.0.113.7"
    assert network_key("203.0.113.7") == "203.0.113.0/24"
    # IPv4-mapped IPv6 (a dual-stack socket) is the same IPv4 address.
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert network_key("::ffff:203.0.113.7") == "203.0.113.0/24"


def test_ipv6_keys_are_the_slash_64_and_slash_48() -> None:
    # One host rotates its address within a /64 (privacy extensions): the same address.
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert network_key("2001:db8:1:2::1") == "2001:db8:1::/48"
    assert network_key("2001:db8:1:2::1") == network_key("2001:db8:1:ff::1")
    assert network_key("2001:db8:1::1") != network_key("2001:db8:2::1")


def test_not_an_address_has_no_key() -> None:
    assert address_key("not-an-address") is None
    assert network_key("") is None
