"""The verifier's own base64url reading (its hot path does not go through PyJWT) and the
Starlette middleware's non-HTTP paths, with hypothesis and a hand-driven ASGI exchange."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.verify.issuer import CLIENT, Clock, Issuer, serve_issuer

from mamori.verify import Malformed, Verifier
from mamori.verify.starlette import BearerAuthMiddleware
from mamori.verify.verifier import _b64


@given(st.binary(min_size=1, max_size=300))
def test_base64url_round_trip(raw: bytes) -> None:
    text = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    assert _b64(text) == raw


@given(st.binary(min_size=1, max_size=60), st.sampled_from("+/= .\n\x00é"))
def test_other_alphabets_and_padding_refused(raw: bytes, stray: str) -> None:
    text = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    for bad in (text + stray, stray + text, text[:1] + stray + text[1:]):
        with pytest.raises(Malformed):
            _b64(bad)


def test_standard_alphabet_refused() -> None:
    raw = bytes([0xFB, 0xFF, 0xBF])  # '+/+/' in standard base64, '-_-_' in base64url
    assert _b64("-_-_") == raw
    for bad in ("+/+/", "-_-_==", "", "A"):
        with pytest.raises(Malformed):
            _b64(bad)


@pytest.fixture()
def issuer() -> Iterator[Issuer]:
    with serve_issuer() as issuer:
        yield issuer


def _exchange(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_middleware_websocket_and_lifespan(issuer: Issuer) -> None:
    reached: list[str] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        reached.append(scope["type"])
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})

    clock = Clock()
    verifier = Verifier(issuer.issuer, client_ids=[CLIENT], clock=clock)
    app = BearerAuthMiddleware(inner, verifier)
    token = issuer.token(now=clock.now)
    good = {
        "type": "websocket",
        "path": "/ws",
        "headers": [(b"authorization", b"Bearer " + token.encode())],
    }
    assert _exchange(app, good) == [{"type": "websocket.accept"}]
    assert good["state"]["claims"]["sub"].startswith("7f2c1e2a")
    bad = {"type": "websocket", "path": "/ws", "headers": [(b"authorization", b"Bearer nope")]}
    # Closing before accepting: the server answers the handshake with 403.
    assert _exchange(app, bad) == [{"type": "websocket.close", "code": 1008}]
    assert _exchange(app, {"type": "lifespan"}) == []
    assert reached == ["websocket", "lifespan"]
