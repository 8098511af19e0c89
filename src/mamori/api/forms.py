"""A posted form's body as Starlette streams it: the declared and the received length bounded,
within an optional deadline. The hosted pages and the back-channel endpoints read theirs
through it, each with its own limits and its own answer to a body it refuses."""

from __future__ import annotations

import asyncio

from starlette.requests import Request


class BodyTooLarge(Exception):
    """The body is (or says it is) longer than the reader allows."""


async def read_body(request: Request, max_bytes: int, seconds: float | None = None) -> bytes:
    """The body, or BodyTooLarge: a Content-Length over `max_bytes` or not a number, or more
    bytes than that received. TimeoutError after `seconds` (None: no deadline); Starlette's
    ClientDisconnect when the client goes away first."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
        raise BodyTooLarge
    body = bytearray()
    async with asyncio.timeout(seconds):
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > max_bytes:
                raise BodyTooLarge
    return bytes(body)
