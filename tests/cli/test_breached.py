"""`mamori breached build|info`: a corpus built from the operator's list (passwords, or Pwned
Passwords' HASH:COUNT lines with --min-count) finds what the list holds; a file that is not a
corpus is one line on stderr and exit 1."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mamori.adapters.breached.corpus import CorpusFile
from mamori.cli import main


def test_build_from_passwords_then_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "list.txt").write_text("Summer2024!\nhunter2\n\n")
    out = tmp_path / "corpus.bin"
    assert main(["breached", "build", str(tmp_path / "list.txt"), str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2 entries from 2 plain lines (1 skipped)" in printed
    assert "2 entries of 8 bytes" in printed
    corpus = CorpusFile(out)
    assert corpus.contains(hashlib.sha1(b"hunter2", usedforsecurity=False).digest())


def test_build_from_hashes_with_a_minimum_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def line(password: str, count: int) -> str:
        digest = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()
        return f"{digest}:{count}"

    (tmp_path / "pwned.txt").write_text(f"{line('rare', 1)}\n{line('common', 50)}\n")
    out = tmp_path / "corpus.bin"
    argv = ["breached", "build", str(tmp_path / "pwned.txt"), str(out), "--min-count", "10"]
    assert main([*argv, "--bytes", "6"]) == 0
    assert "1 entries from 1 sha1 lines (1 skipped)" in capsys.readouterr().out
    corpus = CorpusFile(out)
    assert corpus.width == 6 and corpus.entries == 1


def test_a_file_that_is_not_a_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "list.txt").write_text("just a list\n")
    assert main(["breached", "info", str(tmp_path / "list.txt")]) == 1
    assert "not a breached-password corpus" in capsys.readouterr().err
    assert main(["breached", "build", str(tmp_path / "missing.txt"), str(tmp_path / "c")]) == 1
