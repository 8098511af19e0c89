"""The client's address behind trusted proxies: X-Forwarded-For read from the right, so a client
never picks the address it is counted under (docs/security.md)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_address(entry: str) -> Address | None:
    """An X-Forwarded-For entry: `192.0.2.7`, `192.0.2.7:5000`, `2001:db8::1`, `[::1]:5000`."""
    entry = entry.strip()
    if entry.startswith("["):
        entry = entry[1:].partition("]")[0]
    elif entry.count(":") == 1:
        entry = entry.partition(":")[0]
    try:
        address = ipaddress.ip_address(entry)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """`trusted_proxies`: networks, and "*" (the peer, whoever it is, is one trusted proxy)."""

    def __init__(self, entries: Iterable[str]) -> None:
        entries = tuple(entries)
        self.any_peer = "*" in entries
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(e, strict=False) for e in entries if e != "*"
        )

    def __bool__(self) -> bool:
        return self.any_peer or bool(self.networks)

    def trusts(self, address: Address, depth: int) -> bool:
        if depth == 0 and self.any_peer:
            return True
        return any(address.version == n.version and address in n for n in self.networks)

    def client(self, peer: Address, forwarded_for: Sequence[str]) -> Address:
        """Walk from the right while the hop that appended an entry is a trusted proxy; the
        first address a trusted proxy did not vouch for past is the client. Entries left of
        it are the client's own words."""
        current = peer
        for depth, entry in enumerate(reversed(forwarded_for)):
            if not self.trusts(current, depth):
                break
            address = parse_address(entry)
            if address is None:
                break
            current = address
        return current


class ForwardedClient:
    """Rewrites the ASGI `client` (and `scheme`) from X-Forwarded-For/-Proto of trusted peers."""

    def __init__(self, app: ASGIApp, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and self.trusted and client:
            peer = parse_address(str(client[0]))
            if peer is not None and self.trusted.trusts(peer, 0):
                self._rewrite(scope, peer)
        await self.app(scope, receive, send)

    def _rewrite(self, scope: Scope, peer: Address) -> None:
        hops: list[str] = []
        proto = None
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-for":
                hops.extend(value.decode("latin-1").split(","))
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1").strip().lower()
        if hops:
            address = self.trusted.client(peer, hops)
            if address != peer:
                scope["client"] = (str(address), 0)
        if proto in {"http", "https"}:
            scope["scheme"] = proto
