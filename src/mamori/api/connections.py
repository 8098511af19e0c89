"""HTTP connections that a slow or greedy client cannot hold: uvicorn's httptools protocol with a
deadline and a size limit for each request's head, and no keep-alive after an answer given
before the body arrived."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# RFC 6585 section 5; the connection closes after it, as the rest of the head is not read.
_HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\ncontent-length: 33\r\n\r\n"
    b"Request header fields too large.\n"
)


class _HeadTooLarge(Exception):
    """Stops the parser in a header callback (httptools reports it as a parse error)."""


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn reads a request head for as long as the client takes (its keep-alive timer runs
    only between requests), so idle or trickling connections pile up to `limit_concurrency`
    and every other client gets 503. Here the head must be complete `header_timeout` seconds
    after the connection opens or the request's first byte arrives; otherwise it is closed.
    The body's deadline is the dispatcher's (`body_timeout_seconds`), which answers.

    The httptools parser takes headers of any size, so a head is also limited to
    `max_header_bytes`: the bytes received from the connection's start, or from the read in
    which a kept-alive connection's next request began, until the head is complete.
    """

    def __init__(
        self, *args: Any, header_timeout: float, max_header_bytes: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout
        self._head_timer: asyncio.TimerHandle | None = None
        self._max_head = max_header_bytes
        self._head_bytes: int | None = 0  # None while a body, not a head, is being read
        self._head_size = 0  # the request line and header lines parsed so far

    def data_received(self, data: bytes) -> None:
        if self._head_bytes is not None:
            self._head_bytes += len(data)
        # Parsed first: a read that completes the head may carry much of the body with it.
        super().data_received(data)
        # Still in the head after the parse: every byte counted since it began is the head's.
        if self._head_bytes is not None and self._head_bytes > self._max_head:
            self._refuse_head()

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def _count_head(self, size: int) -> None:
        """A head that arrived whole in one read: counted line by line, and the parse stopped
        (uvicorn then answers 400, which `send_400_response` turns into 431)."""
        self._head_size += size
        if self._head_size > self._max_head:
            raise _HeadTooLarge

    def send_400_response(self, msg: str) -> None:
        if self._head_size > self._max_head:
            self._refuse_head()
        else:
            super().send_400_response(msg)

    def _refuse_head(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(_HEAD_TOO_LARGE)
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_bytes is None:
            self._head_bytes = 0
        self._head_size = 0
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        self._head_bytes = None
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
