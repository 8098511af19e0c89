"""Pwned Passwords' k-anonymity model: a password's SHA-1 split into the 5-hex-digit prefix a
range query sends and the 35-digit suffix its answer lists, the answer's lines (with Add-Padding's
count-0 decoys), and the `HASH:COUNT` lines of the downloadable corpus.

https://haveibeenpwned.com/API/v3#PwnedPasswords: `GET /range/{first 5 hash chars}` answers
`SUFFIX:COUNT` lines, upper-case hex, CRLF; with `Add-Padding: true` it adds lines with count 0,
"which should be discarded", so the answer's size tells nothing about the prefix.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

PREFIX_LENGTH: Final = 5
SHA1_HEX_LENGTH: Final = 40
_HEX: Final = frozenset("0123456789ABCDEF")
# One line of the downloadable corpus (ordered by hash): 40 hex digits, optionally ":count".
_HASH_LINE: Final = re.compile(r"([0-9A-Fa-f]{40})(?::([0-9]{1,20}))?")


def sha1_digest(password: str) -> bytes:
    """The SHA-1 of the password's UTF-8 bytes, as Pwned Passwords hashes it. Not a password
    hash (it is fast by design): only a lookup key into a list of passwords known already."""
    return hashlib.sha1(password.encode("utf-8"), usedforsecurity=False).digest()


def range_prefix(digest: bytes) -> str:
    """The first five upper-case hex digits: all a range query reveals of the password."""
    return digest.hex().upper()[:PREFIX_LENGTH]


def range_suffix(digest: bytes) -> str:
    return digest.hex().upper()[PREFIX_LENGTH:]


class RangeAnswerError(ValueError):
    """A range answer that is not `SUFFIX:COUNT` lines."""


def parse_range(body: str) -> dict[str, int]:
    """A range answer's suffixes (upper case) and counts; padding lines (count 0) left out.

    A malformed line makes the whole answer unreadable: a proxy's HTML page must not read as
    "not breached" line by line.
    """
    found: dict[str, int] = {}
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        suffix, sep, count = line.partition(":")
        suffix = suffix.upper()
        if (
            not sep
            or len(suffix) != SHA1_HEX_LENGTH - PREFIX_LENGTH
            or not set(suffix) <= _HEX
            or not count.isascii()
            or not count.isdigit()
        ):
            raise RangeAnswerError("a range answer line is not SUFFIX:COUNT")
        if int(count) > 0:
            found[suffix] = found.get(suffix, 0) + int(count)
    return found


def parse_hash_line(line: str) -> tuple[bytes, int | None] | None:
    """(the SHA-1, its count or None) of a `HASH[:COUNT]` line, None if the line is not one."""
    match = _HASH_LINE.fullmatch(line.strip())
    if match is None:
        return None
    count = match.group(2)
    return bytes.fromhex(match.group(1)), int(count) if count is not None else None
