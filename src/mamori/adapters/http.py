"""Outbound HTTP for the adapters that call other services (STS, webhooks, OpenID issuers):
clients built once by wiring, connections kept alive and reused, closed at shutdown."""

from __future__ import annotations

import ssl

import httpx

# Each caller passes its own timeout with every request (sts_timeout_seconds,
# delivery_timeout_seconds); this only bounds a request that names none.
DEFAULT_TIMEOUT_SECONDS = 10.0


class OutboundHttp:
    """One shared client for every caller that trusts the system's certificate authorities,
    and one more for each extra CA file a setting names (`webhook_ca_file`): an authority
    trusted for webhooks is not trusted for STS or other issuers. Redirects are never
    followed."""

    def __init__(self) -> None:
        self._clients: dict[str, httpx.AsyncClient] = {}

    def client(self, ca_file: str = "") -> httpx.AsyncClient:
        """The client trusting the system's authorities and `ca_file`'s (OSError or
        ssl.SSLError when it cannot be loaded)."""
        client = self._clients.get(ca_file)
        if client is None:
            context = ssl.create_default_context()
            if ca_file:
                context.load_verify_locations(ca_file)
            client = self._clients[ca_file] = httpx.AsyncClient(
                verify=context, timeout=DEFAULT_TIMEOUT_SECONDS, follow_redirects=False
            )
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
