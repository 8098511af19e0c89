"""Outbound HTTP for the adapters that call other services (STS, webhooks, OpenID issuers):
clients built once by wiring, connections kept alive and reused, closed at shutdown; `fetch`
reads an answer within a deadline and a size bound."""

from __future__ import annotations

import asyncio
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


class AnswerTooLarge(Exception):
    """An answer longer than its caller's bound; reading stopped there."""


async def fetch(
    client: httpx.AsyncClient, request: httpx.Request, seconds: float, max_bytes: int
) -> tuple[int, bytes]:
    """(status, body) of `request`'s answer, read as it streams: AnswerTooLarge past `max_bytes`
    (never held in memory whole), TimeoutError when the whole call takes more than `seconds`.
    httpx's timeout bounds each read only: a server that sends a byte every second would hold
    the call, and one of the shared client's connections, for as long as it liked."""
    async with asyncio.timeout(seconds):
        response = await client.send(request, stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise AnswerTooLarge(f"{declared} bytes")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise AnswerTooLarge(f"more than {max_bytes} bytes")
        finally:
            await response.aclose()
    return response.status_code, bytes(body)
