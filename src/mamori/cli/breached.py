"""`mamori breached build|info`: the breached-password corpus made from the operator's list, and
what a corpus file holds (docs/threat-protection.md, "Compromised credentials")."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mamori.adapters.breached.corpus import CorpusError, CorpusFile, build_corpus


def breached(args: argparse.Namespace) -> int:
    try:
        if args.action == "build":
            return _build(args)
        return _info(Path(args.file))
    except (OSError, CorpusError) as exc:
        print(f"mamori breached: {exc}", file=sys.stderr)
        return 1


def _build(args: argparse.Namespace) -> int:
    started = time.monotonic()
    report = build_corpus(
        Path(args.source), Path(args.out), args.format, args.min_count, args.bytes
    )
    seconds = time.monotonic() - started
    print(
        f"{args.out}: {report.entries} entries from {report.read} {report.format} lines "
        f"({report.skipped} skipped) in {seconds:.1f} s"
    )
    return _info(Path(args.out))


def _info(path: Path) -> int:
    corpus = CorpusFile(path)
    try:
        print(
            f"{path}: {corpus.entries} entries of {corpus.width} bytes; a password not in the "
            f"list matches one by chance with probability {corpus.false_positive_rate:.1e}"
        )
    finally:
        corpus.close()
    return 0
