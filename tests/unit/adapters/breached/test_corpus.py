"""adapters/breached/corpus.py: building the sorted SHA-1 prefix file from plain passwords or
Pwned Passwords' HASH:COUNT lines (sorted or not, duplicates, min_count), reading it back through
mmap, refusing files that are not corpora, and the shipped default list."""

from __future__ import annotations

import hashlib
import random
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.adapters.breached.corpus import (
    DEFAULT_CORPUS,
    HEADER_SIZE,
    CorpusError,
    CorpusFile,
    build_corpus,
)

pytestmark = pytest.mark.anyio


def sha1_hex(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()


def write(path: Path, lines: list[str]) -> Path:
    path.write_bytes("".join(f"{line}\r\n" for line in lines).encode())
    return path


async def test_plain_passwords_are_found_and_others_are_not(tmp_path: Path) -> None:
    source = write(tmp_path / "list.txt", ["Summer2024!", "hunter2", "pässwörd", "", "hunter2"])
    report = build_corpus(source, tmp_path / "corpus.bin")
    assert (report.format, report.entries, report.read, report.skipped) == ("plain", 3, 4, 1)
    corpus = CorpusFile(tmp_path / "corpus.bin")
    for password in ("Summer2024!", "hunter2", "pässwörd"):
        assert await corpus.is_breached(password)
    for password in ("summer2024!", "Summer2024", "hunter2 ", "", "Correct-Horse-9"):
        assert not await corpus.is_breached(password)
    assert (tmp_path / "corpus.bin").stat().st_size == HEADER_SIZE + 3 * 8
    corpus.close()


async def test_sha1_lines_as_downloaded_with_a_minimum_count(tmp_path: Path) -> None:
    lines = sorted([f"{sha1_hex('often')}:1000", f"{sha1_hex('once')}:1", f"{sha1_hex('twice')}:2"])
    source = write(tmp_path / "pwned.txt", lines)
    report = build_corpus(source, tmp_path / "corpus.bin", min_count=2)
    assert (report.format, report.entries, report.skipped) == ("sha1", 2, 1)
    corpus = CorpusFile(tmp_path / "corpus.bin")
    assert await corpus.is_breached("often")
    assert await corpus.is_breached("twice")
    assert not await corpus.is_breached("once")


async def test_sha1_lines_out_of_order_are_sorted(tmp_path: Path) -> None:
    words = [f"word{i}" for i in range(500)]
    source = write(tmp_path / "unsorted.txt", [sha1_hex(w) for w in words])
    build_corpus(source, tmp_path / "corpus.bin", fmt="sha1")
    corpus = CorpusFile(tmp_path / "corpus.bin")
    assert corpus.entries == 500
    for word in words:
        assert await corpus.is_breached(word)
    assert not await corpus.is_breached("word500")


async def test_malformed_hash_lines_are_skipped(tmp_path: Path) -> None:
    source = write(tmp_path / "pwned.txt", [sha1_hex("kept"), "not a hash", sha1_hex("kept")[:-1]])
    report = build_corpus(source, tmp_path / "corpus.bin")
    assert (report.format, report.entries, report.skipped) == ("sha1", 1, 2)


async def test_a_plain_list_that_is_not_utf8_is_hashed_as_its_bytes(tmp_path: Path) -> None:
    source = tmp_path / "latin1.txt"
    source.write_bytes("caf\xe9\n".encode("latin-1") + "café\n".encode())
    build_corpus(source, tmp_path / "corpus.bin")
    corpus = CorpusFile(tmp_path / "corpus.bin")
    assert corpus.entries == 2
    assert await corpus.is_breached("café")


@settings(max_examples=25)
@given(st.sets(st.binary(min_size=20, max_size=20), max_size=200), st.integers(5, 20))
def test_any_set_of_digests_round_trips(digests: set[bytes], width: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        lines = [d.hex() for d in digests]
        random.Random(0).shuffle(lines)
        source = write(Path(folder) / "list.txt", lines)
        build_corpus(source, Path(folder) / "corpus.bin", fmt="sha1", width=width)
        corpus = CorpusFile(Path(folder) / "corpus.bin")
        assert corpus.width == width
        assert all(corpus.contains(d) for d in digests)
        stranger = bytes(20)
        assert corpus.contains(stranger) == any(d[:width] == stranger[:width] for d in digests)
        corpus.close()


def test_an_empty_list_makes_an_empty_corpus(tmp_path: Path) -> None:
    build_corpus(write(tmp_path / "empty.txt", []), tmp_path / "corpus.bin")
    corpus = CorpusFile(tmp_path / "corpus.bin")
    assert corpus.entries == 0 and not corpus.contains(bytes(20))


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"MAMORIBP",
        b"NOTACORP" + bytes(16),
        struct.pack("<8sBB6xQ", b"MAMORIBP", 2, 8, 0),  # another version
        struct.pack("<8sBB6xQ", b"MAMORIBP", 1, 3, 0),  # too narrow
        struct.pack("<8sBB6xQ", b"MAMORIBP", 1, 8, 2) + bytes(8),  # one record short
    ],
)
def test_a_file_that_is_not_a_corpus_is_refused(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "bad.bin").write_bytes(content)
    with pytest.raises(CorpusError):
        CorpusFile(tmp_path / "bad.bin")


def test_a_width_out_of_range_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CorpusError):
        build_corpus(write(tmp_path / "l.txt", ["x"]), tmp_path / "c.bin", width=4)
    assert not (tmp_path / "c.bin").exists()


async def test_the_shipped_list_holds_the_most_common_passwords() -> None:
    corpus = CorpusFile(DEFAULT_CORPUS)
    assert corpus.entries == 10_000 and corpus.width == 8
    for password in ("123456", "password", "qwerty", "letmein", "dragon"):
        assert await corpus.is_breached(password)
    assert not await corpus.is_breached("a long passphrase nobody has used 7Q")
    assert corpus.false_positive_rate < 1e-12
