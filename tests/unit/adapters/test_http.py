"""adapters/http.py `fetch` on httpx's MockTransport: an answer read within a deadline for the
whole call (a trickled body that never trips a read timeout is cut) and a size bound applied
as it streams (an endless body is never read whole); and the OpenID issuers' key fetch on it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mamori.adapters.http import AnswerTooLarge, fetch
from mamori.adapters.issuers.oidc import OidcKeys
from mamori.services.identity.ports import OidcError

pytestmark = pytest.mark.anyio


class Body:
    """A streamed answer: `chunks` of `size` bytes, `pause` seconds apart; counts what was read."""

    def __init__(self, chunks: int, size: int = 1, pause: float = 0.0) -> None:
        self.chunks, self.size, self.pause, self.read = chunks, size, pause, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            if self.pause:
                await asyncio.sleep(self.pause)
            self.read += 1
            yield b" " * self.size


def client(answer: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(lambda request: answer))


async def test_an_answer_is_read_whole_within_its_bounds() -> None:
    async with client(httpx.Response(201, content=b'{"ok": true}')) as http:
        request = http.build_request("GET", "https://issuer.example/x")
        assert await fetch(http, request, 1.0, 1024) == (201, b'{"ok": true}')


async def test_a_trickled_answer_is_cut_at_the_deadline() -> None:
    body = Body(chunks=100, pause=0.05)  # 5 s in all, never 0.3 s without a byte
    async with client(httpx.Response(200, content=body)) as http:
        request = http.build_request("GET", "https://issuer.example/x")
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await fetch(http, request, 0.3, 1024)
    assert time.monotonic() - started < 1.0 and body.read < 100


async def test_an_endless_answer_is_not_read_past_the_bound() -> None:
    body = Body(chunks=10_000, size=4096)  # 40 MB
    async with client(httpx.Response(200, content=body)) as http:
        request = http.build_request("GET", "https://issuer.example/x")
        with pytest.raises(AnswerTooLarge):
            await fetch(http, request, 5.0, 64 * 1024)
    assert body.read == 17  # the chunk that went past 64 KiB, and no further


async def test_a_declared_length_over_the_bound_is_refused_unread() -> None:
    body = Body(chunks=4, size=1024)
    answer = httpx.Response(200, content=body, headers={"Content-Length": "4096"})
    async with client(answer) as http:
        request = http.build_request("GET", "https://issuer.example/x")
        with pytest.raises(AnswerTooLarge):
            await fetch(http, request, 5.0, 1024)
    assert body.read == 0


async def test_an_issuer_whose_keys_trickle_is_an_oidc_error_at_the_timeout() -> None:
    async with client(httpx.Response(200, content=Body(chunks=100, pause=0.05))) as http:
        keys = OidcKeys(http, timeout_seconds=0.3)
        started = time.monotonic()
        with pytest.raises(OidcError, match="timed out"):
            await keys.jwks_at("https://issuer.example/jwks")
    assert time.monotonic() - started < 1.0


async def test_an_issuer_whose_keys_nest_past_the_parsers_depth_is_an_oidc_error() -> None:
    async with client(httpx.Response(200, content=b"[" * 100_000)) as http:
        with pytest.raises(OidcError, match="not JSON"):
            await OidcKeys(http, timeout_seconds=1.0).jwks_at("https://issuer.example/jwks")
