"""HTTP connections that a slow client cannot hold: uvicorn's httptools protocol with a deadline
for each request's head, and no keep-alive after an answer given before the body arrived."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn reads a request head for as long as the client takes (its keep-alive timer runs
    only between requests), so idle or trickling connections pile up to `limit_concurrency`
    and every other client gets 503. Here the head must be complete `header_timeout` seconds
    after the connection opens or the request's first byte arrives; otherwise it is closed.
    The body's deadline is the dispatcher's (`body_timeout_seconds`), which answers."""

    def __init__(self, *args: Any, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        cycle = self.cycle
        if not self.pipeline and cycle is not None and cycle.more_body:
            # Answered before its body was in (the body deadline, a refused Host): the rest
            # of that body would be parsed as the next request, and a trickle of it would
            # hold the connection past every timer. Close instead.
            self.server_state.total_requests += 1
            self.transport.close()
            return
        super().on_response_complete()

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self._header_timeout, self._head_late)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()
