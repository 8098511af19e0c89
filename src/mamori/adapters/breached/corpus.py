"""The local breached-password corpus: a sorted file of truncated SHA-1 hashes, built from the
operator's list (`mamori breached build`), read through mmap with a binary search, so a lookup
touches a few pages and a process's memory does not grow with the corpus
(docs/threat-protection.md).

File layout (little-endian): `MAMORIBP`, version (1 byte), record width in bytes (1 byte), six
zero bytes, the number of records (8 bytes); then the records, each the first `width` bytes of a
password's SHA-1, sorted and unique.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from mamori.protocols.pwned_passwords import parse_hash_line, sha1_digest

MAGIC: Final = b"MAMORIBP"
VERSION: Final = 1
_HEADER: Final = struct.Struct("<8sBB6xQ")
HEADER_SIZE: Final = _HEADER.size  # 24
DEFAULT_WIDTH: Final = 8
MIN_WIDTH: Final = 5
MAX_WIDTH: Final = 20
# The list shipped for pools whose operator configured none (data/README.md says what it is).
DEFAULT_CORPUS: Final = Path(__file__).parent / "data" / "common-passwords.bin"

Format = Literal["auto", "plain", "sha1"]


class CorpusError(ValueError):
    """A corpus file that is not one this reader makes sense of, or a list that cannot be built."""


@dataclass(frozen=True)
class BuildReport:
    entries: int  # records written (unique)
    read: int  # list lines used
    skipped: int  # lines left out: empty, malformed, or below min_count
    format: Literal["plain", "sha1"]


class CorpusFile:
    """A corpus file mapped read-only. The page cache holds what lookups touched, shared by every
    process that maps the file; the process itself keeps only the mapping."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as fh:
            try:
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except ValueError:  # an empty file
                raise CorpusError(f"{path}: not a breached-password corpus (empty)") from None
        if len(self._map) < HEADER_SIZE:
            self._map.close()
            raise CorpusError(f"{path}: not a breached-password corpus (too short)")
        magic, version, width, count = _HEADER.unpack_from(self._map, 0)
        if magic != MAGIC or version != VERSION or not MIN_WIDTH <= width <= MAX_WIDTH:
            self._map.close()
            raise CorpusError(f"{path}: not a breached-password corpus of version {VERSION}")
        if len(self._map) != HEADER_SIZE + count * width:
            self._map.close()
            raise CorpusError(f"{path}: {count} records announced, the size disagrees")
        self.path = path
        self.width: int = width
        self.entries: int = count

    @property
    def false_positive_rate(self) -> float:
        """The chance that a password not in the list matches a record by its truncated hash."""
        return self.entries / float(2 ** (8 * self.width))

    def contains(self, digest: bytes) -> bool:
        """Whether the SHA-1 `digest` (its first `width` bytes) is a record: a binary search."""
        key = digest[: self.width]
        width, data = self.width, self._map
        low, high = 0, self.entries
        while low < high:
            middle = (low + high) // 2
            start = HEADER_SIZE + middle * width
            record = data[start : start + width]
            if record < key:
                low = middle + 1
            elif record > key:
                high = middle
            else:
                return True
        return False

    async def is_breached(self, password: str) -> bool:
        # Pure CPU over mapped pages: microseconds, no thread hop (bench/breached.py).
        return self.contains(sha1_digest(password))

    def close(self) -> None:
        self._map.close()


def _records(
    lines: Iterable[bytes], kind: Literal["plain", "sha1"], width: int, min_count: int
) -> Iterable[bytes | None]:
    """Each line's record, or None for a line left out."""
    for raw in lines:
        line = raw.rstrip(b"\r\n")
        if not line:
            yield None
            continue
        if kind == "plain":
            # The raw bytes: for a UTF-8 list, the SHA-1 of what a user would type.
            yield sha1_digest_bytes(line)[:width]
            continue
        try:
            parsed = parse_hash_line(line.decode("ascii"))
        except UnicodeDecodeError:
            parsed = None
        if parsed is None:
            yield None
            continue
        digest, count = parsed
        if count is not None and count < min_count:
            yield None
            continue
        yield digest[:width]


def sha1_digest_bytes(data: bytes) -> bytes:
    return hashlib.sha1(data, usedforsecurity=False).digest()


def detect_format(first_line: bytes) -> Literal["plain", "sha1"]:
    """A list whose first line is 40 hex digits (optionally `:count`) is Pwned Passwords' own."""
    try:
        text = first_line.decode("ascii")
    except UnicodeDecodeError:
        return "plain"
    return "sha1" if parse_hash_line(text) is not None else "plain"


def build_corpus(
    source: Path,
    out: Path,
    fmt: Format = "auto",
    min_count: int = 1,
    width: int = DEFAULT_WIDTH,
) -> BuildReport:
    """Write the corpus of the list `source` (a password per line, or `HASH[:COUNT]` lines) to
    `out`, atomically (a temporary file renamed). A list already sorted by hash (Pwned
    Passwords' "ordered by hash" download) streams through in constant memory; any other is
    sorted in memory (about 150 bytes a record at the peak: 1M records, 160 MiB)."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise CorpusError(f"record width must be between {MIN_WIDTH} and {MAX_WIDTH} bytes")
    kind: Literal["plain", "sha1"]
    if fmt == "auto":
        with open(source, "rb") as fh:
            first = next((line for line in fh if line.strip()), b"")
        kind = detect_format(first.strip())
    else:
        kind = fmt
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    read = skipped = written = 0
    in_order = True
    previous = b""
    try:
        with open(source, "rb") as lines, open(temporary, "wb") as sink:
            sink.write(_HEADER.pack(MAGIC, VERSION, width, 0))
            for record in _records(lines, kind, width, min_count):
                if record is None:
                    skipped += 1
                    continue
                read += 1
                if record == previous and written:
                    continue
                if record < previous:
                    in_order = False
                sink.write(record)
                previous = record
                written += 1
        if not in_order:
            written = _sort_in_place(temporary, width, written)
        with open(temporary, "r+b") as sink:
            sink.write(_HEADER.pack(MAGIC, VERSION, width, written))
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
    return BuildReport(entries=written, read=read, skipped=skipped, format=kind)


def _sort_in_place(path: Path, width: int, count: int) -> int:
    with open(path, "rb") as fh:
        fh.seek(HEADER_SIZE)
        body = fh.read(count * width)
    records = sorted({body[i : i + width] for i in range(0, len(body), width)})
    with open(path, "r+b") as fh:
        fh.seek(HEADER_SIZE)
        fh.write(b"".join(records))
        fh.truncate()
    return len(records)
