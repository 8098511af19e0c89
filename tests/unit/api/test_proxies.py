"""api/proxies.py: the client's address is read from X-Forwarded-For right to left."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mamori.api.proxies import TrustedProxies, parse_address

PEER = ipaddress.ip_address("10.0.0.2")


def client(trusted: tuple[str, ...], forwarded_for: str, peer: str = "10.0.0.2") -> str:
    return str(TrustedProxies(trusted).client(ipaddress.ip_address(peer), forwarded_for.split(",")))


def test_star_trusts_only_the_peer_so_the_client_cannot_choose() -> None:
    # The balancer appended the address it saw; what the client sent is left of it.
    assert client(("*",), "198.51.100.66, 203.0.113.9") == "203.0.113.9"
    assert client(("*",), "203.0.113.9") == "203.0.113.9"


def test_a_chain_of_listed_proxies_is_walked_from_the_right() -> None:
    trusted = ("10.0.0.0/8",)
    assert client(trusted, "198.51.100.66, 203.0.113.9, 10.1.1.1") == "203.0.113.9"
    # An untrusted peer's header counts for nothing.
    assert client(trusted, "198.51.100.66", peer="192.0.2.1") == "192.0.2.1"
    # All trusted: the left-most proxy is the client (it sent the request itself).
    assert client(trusted, "10.9.9.9, 10.1.1.1") == "10.9.9.9"


def test_garbage_stops_the_walk_at_the_last_proxy_that_vouched() -> None:
    assert client(("*",), "203.0.113.9, not-an-address") == "10.0.0.2"
    assert client(("10.0.0.0/8",), "unknown, 10.1.1.1") == "10.1.1.1"


@pytest.mark.parametrize(
    ("entry", "parsed"),
    [
        ("192.0.2.7", "192.0.2.7"),
        (" 192.0.2.7:5000 ", "192.0.2.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("", None),
        ("_hidden", None),
    ],
)
def test_parse_address(entry: str, parsed: str | None) -> None:
    address = parse_address(entry)
    assert (str(address) if address else None) == parsed


@given(st.lists(st.ip_addresses().map(str), min_size=1, max_size=6))
def test_with_star_what_the_client_prepends_never_matters(spoofed: list[str]) -> None:
    real = "203.0.113.9"
    assert client(("*",), ",".join([*spoofed, real])) == real
