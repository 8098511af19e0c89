"""What the compromised-credentials check costs: building a corpus, mapping it, one lookup, and the
memory a process pays for a 1M-entry corpus (against the same hashes held in a Python set).

    .venv/bin/python bench/breached.py [--entries 1000000] [--lookups 200000]

Run by hand, never by the test suite; docs/performance.md has the results. Each memory figure is
measured in a fresh child process (VmRSS from /proc/self/status), so one does not inherit the
other's pages. The corpus file is in a temporary directory, in the page cache after the build
(a cold disk would add a few page reads to the first lookups).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from mamori.adapters.breached.corpus import DEFAULT_CORPUS, CorpusFile, build_corpus
from mamori.protocols.pwned_passwords import sha1_digest


def rss_kib() -> tuple[int, int]:
    """(RssAnon, RssFile) in KiB: private memory, and file pages mapped (the page cache's,
    shared by every process mapping the file and dropped first under memory pressure)."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("RssAnon", "RssFile"):
            found[name] = int(value.split()[0])
    return found["RssAnon"], found["RssFile"]


def write_list(path: Path, entries: int) -> list[str]:
    """A HASH:COUNT list of `entries` random hashes (unsorted); a few known passwords among them."""
    known = [f"known-{i}" for i in range(1000)]
    with open(path, "w") as out:
        for password in known:
            digest = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()
            out.write(f"{digest}:7\n")
        for _ in range(entries - len(known)):
            out.write(f"{secrets.token_hex(20).upper()}:1\n")
    return known


def mapped(corpus_path: str, known: list[str], lookups: int, queue: multiprocessing.Queue) -> None:
    before = rss_kib()
    corpus = CorpusFile(Path(corpus_path))
    opened = rss_kib()
    for i in range(lookups):
        corpus.contains(sha1_digest(known[i % len(known)] if i % 2 else f"miss-{i}"))
    queue.put(("mmap corpus", before, opened, rss_kib()))


def in_a_set(
    corpus_path: str, known: list[str], lookups: int, queue: multiprocessing.Queue
) -> None:
    before = rss_kib()
    corpus = CorpusFile(Path(corpus_path))
    width = corpus.width
    data = Path(corpus_path).read_bytes()[24:]
    held = {data[i : i + width] for i in range(0, len(data), width)}
    del data
    opened = rss_kib()
    for i in range(lookups):
        password = known[i % len(known)] if i % 2 else f"miss-{i}"
        _ = sha1_digest(password)[:width] in held
    queue.put(("python set (for comparison)", before, opened, rss_kib()))


def timed(corpus: CorpusFile, passwords: list[str]) -> list[float]:
    """Microseconds per is_breached call (SHA-1 and binary search), in batches of 1000."""
    loop = asyncio.new_event_loop()
    batches = []
    for start in range(0, len(passwords), 1000):
        batch = passwords[start : start + 1000]
        began = time.perf_counter()
        for password in batch:
            loop.run_until_complete(corpus.is_breached(password))
        batches.append((time.perf_counter() - began) / len(batch) * 1e6)
    loop.close()
    return batches


def plain_contains(corpus: CorpusFile, digests: list[bytes]) -> float:
    began = time.perf_counter()
    for digest in digests:
        corpus.contains(digest)
    return (time.perf_counter() - began) / len(digests) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "list.txt", Path(folder) / "corpus.bin"
        known = write_list(source, args.entries)
        began = time.perf_counter()
        report = build_corpus(source, out)
        print(
            f"build: {report.entries} entries from {report.read} {report.format} lines "
            f"(unsorted: sorted in memory) in {time.perf_counter() - began:.2f} s; "
            f"file {out.stat().st_size / 2**20:.1f} MiB"
        )
        for target in (mapped, in_a_set):
            queue: multiprocessing.Queue = multiprocessing.Queue()
            child = multiprocessing.Process(target=target, args=(str(out), known, 100_000, queue))
            child.start()
            name, before, opened, after = queue.get()
            child.join()
            print(
                f"{name}: private (RssAnon) +{(opened[0] - before[0]) / 1024:.1f} MiB loaded, "
                f"+{(after[0] - before[0]) / 1024:.1f} MiB after 100,000 lookups; file pages "
                f"(RssFile) +{(opened[1] - before[1]) / 1024:.1f} MiB loaded, "
                f"+{(after[1] - before[1]) / 1024:.1f} MiB after"
            )
        corpus = CorpusFile(out)
        hits = [known[i % len(known)] for i in range(args.lookups // 2)]
        misses = [f"miss-{i}" for i in range(args.lookups // 2)]
        for label, passwords in (("hit", hits), ("miss", misses)):
            per_call = timed(corpus, passwords)
            print(
                f"is_breached ({label}, {args.entries} entries): median "
                f"{statistics.median(per_call):.2f} µs, p99 batch "
                f"{sorted(per_call)[int(len(per_call) * 0.99) - 1]:.2f} µs "
                "(SHA-1, binary search, one coroutine)"
            )
        digests = [sha1_digest(p) for p in misses]
        print(f"contains alone (binary search): {plain_contains(corpus, digests):.2f} µs")
        shipped = CorpusFile(DEFAULT_CORPUS)
        print(
            f"shipped list ({shipped.entries} entries): {plain_contains(shipped, digests):.2f} µs"
        )


if __name__ == "__main__":
    main()
