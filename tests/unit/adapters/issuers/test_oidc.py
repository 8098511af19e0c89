"""Other issuers' keys (adapters/issuers/oidc.py): a token with an unknown kid makes at most one
fetch per interval, whether the issuer answers or not (issue 9, item 4). A real HTTP issuer on
loopback, counting requests; the adapter's clock moved by hand."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anyio
import httpx
import pytest

from mamori.adapters.http import OutboundHttp
from mamori.adapters.issuers.oidc import REFRESH_INTERVAL_SECONDS, OidcKeys
from mamori.services.identity.ports import OidcError

pytestmark = pytest.mark.anyio


class Issuer(ThreadingHTTPServer):
    requests = 0
    up = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Issuer

    def do_GET(self) -> None:
        self.server.requests += 1
        if not self.server.up:
            self.send_response(503)
            self.end_headers()
            return
        if self.path.endswith("openid-configuration"):
            body = {"issuer": self.server.url, "jwks_uri": f"{self.server.url}/jwks"}
        else:
            body = {"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"}]}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture()
def issuer() -> Iterator[Issuer]:
    server = Issuer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
async def http() -> AsyncIterator[httpx.AsyncClient]:
    outbound = OutboundHttp()
    yield outbound.client()
    await outbound.aclose()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_unknown_kids_refetch_at_most_once_per_interval(
    issuer: Issuer, http: httpx.AsyncClient
) -> None:
    clock = Clock()
    keys = OidcKeys(http, 2.0, clock)
    assert (await keys.jwks(issuer.url))[0]["kid"] == "k1"
    assert issuer.requests == 2  # discovery, then the JWKS
    for _ in range(50):  # forged kids: each asks for a refresh
        await keys.jwks(issuer.url, refresh=True)
    assert issuer.requests == 2
    clock.now += REFRESH_INTERVAL_SECONDS
    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(keys.jwks, issuer.url, True)
    assert issuer.requests == 4  # one refetch for the ten


async def test_an_issuer_that_fails_is_tried_once_per_interval(
    issuer: Issuer, http: httpx.AsyncClient
) -> None:
    clock = Clock()
    keys = OidcKeys(http, 2.0, clock)
    issuer.up = False
    for _ in range(20):  # never answered: each request fails, but only the first one asks
        with pytest.raises(OidcError):
            await keys.jwks(issuer.url, refresh=True)
    assert issuer.requests == 1  # the old code asked the issuer again for every token
    clock.now += REFRESH_INTERVAL_SECONDS
    issuer.up = True
    assert (await keys.jwks(issuer.url))[0]["kid"] == "k1"
    assert issuer.requests == 3
    # Known keys, issuer down: the keys it had keep working; it is asked once per interval.
    issuer.up = False
    clock.now += REFRESH_INTERVAL_SECONDS
    for _ in range(20):
        assert (await keys.jwks(issuer.url, refresh=True))[0]["kid"] == "k1"
    assert issuer.requests == 4


async def test_a_jwks_at_a_known_address_follows_the_same_rules(
    issuer: Issuer, http: httpx.AsyncClient
) -> None:
    """Google's and Apple's keys (identity pools' SupportedLoginProviders): no discovery, one
    fetch of the JWKS itself, cached, refetched at most once per interval."""
    clock = Clock()
    keys = OidcKeys(http, 2.0, clock)
    url = f"{issuer.url}/jwks"
    assert (await keys.jwks_at(url))[0]["kid"] == "k1"
    assert issuer.requests == 1
    for _ in range(20):
        await keys.jwks_at(url, refresh=True)
    assert issuer.requests == 1
    clock.now += REFRESH_INTERVAL_SECONDS
    issuer.up = False
    assert (await keys.jwks_at(url, refresh=True))[0]["kid"] == "k1"  # kept through an outage
    assert issuer.requests == 2
    # Its own entry: the issuer's discovery-based keys are fetched apart.
    issuer.up = True
    await keys.jwks(issuer.url)
    assert issuer.requests == 4
