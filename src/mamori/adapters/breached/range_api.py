"""Pwned Passwords' range API (k-anonymity): only the first five hex digits of the password's
SHA-1 leave the machine, with Add-Padding so the answer's size says nothing either; through the
shared client (adapters/http.py `fetch`: a deadline for the whole call, a bounded answer)."""

from __future__ import annotations

import logging

import httpx

from mamori.adapters.http import AnswerTooLarge, fetch
from mamori.protocols.pwned_passwords import (
    RangeAnswerError,
    parse_range,
    range_prefix,
    range_suffix,
    sha1_digest,
)

log = logging.getLogger("mamori.breached")

DEFAULT_URL = "https://api.pwnedpasswords.com/range/"
# A padded answer holds 800-1,000 lines of 40 bytes or so; far more is not a range answer.
_MAX_ANSWER = 256 * 1024


class RangeApiDown(Exception):
    """No readable answer (timeout, connection, status, malformed); says nothing of the password."""


class PwnedRangeApi:
    """`is_breached` by a range query to `url` (`.../range/`, the prefix appended). No answer
    is "not found": the local corpus has decided already, and a sign-in must not wait on, or
    fail with, a service it cannot reach (the warning names the failure, never the prefix)."""

    def __init__(self, http: httpx.AsyncClient, url: str, timeout_seconds: float) -> None:
        self._http = http
        self._url = url if url.endswith("/") else f"{url}/"
        self._timeout = timeout_seconds

    async def is_breached(self, password: str) -> bool:
        try:
            return await self.lookup(password)
        except RangeApiDown as exc:
            log.warning("Pwned Passwords range API: no answer (%s); not counted as breached", exc)
            return False

    async def lookup(self, password: str) -> bool:
        """Whether the range answer lists the password's suffix; RangeApiDown without one."""
        digest = sha1_digest(password)
        request = self._http.build_request(
            "GET",
            self._url + range_prefix(digest),
            headers={"Add-Padding": "true", "User-Agent": "mamori"},
            timeout=self._timeout,
        )
        try:
            status, body = await fetch(self._http, request, self._timeout, _MAX_ANSWER)
        except (httpx.HTTPError, TimeoutError, AnswerTooLarge) as exc:
            raise RangeApiDown(type(exc).__name__) from None
        if status != 200:
            raise RangeApiDown(f"status {status}")
        try:
            found = parse_range(body.decode("ascii"))
        except (UnicodeDecodeError, RangeAnswerError):
            raise RangeApiDown("unreadable answer") from None
        return range_suffix(digest) in found
