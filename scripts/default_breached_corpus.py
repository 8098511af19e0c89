"""Regenerate the shipped breached-password corpus, adapters/breached/data/common-passwords.bin.

    .venv/bin/pip download zxcvbn==4.5.0 --no-deps --no-binary :all: -d /tmp/zxcvbn
    tar xzf /tmp/zxcvbn/zxcvbn-4.5.0.tar.gz -C /tmp/zxcvbn
    .venv/bin/python scripts/default_breached_corpus.py /tmp/zxcvbn/zxcvbn-4.5.0

The source: the `passwords` frequency list of zxcvbn (MIT licence, Dropbox; the Python port
4.5.0 by Daniel Wolf), the most common passwords of Mark Burnett's ten million passwords
(released into the public domain in 2015), most common first. The first TOP of them, as typed
(zxcvbn lists them in lower case), are hashed: the file holds no password, only 8-byte SHA-1
prefixes. adapters/breached/data/README.md says the same for whoever finds the file.
"""

from __future__ import annotations

import argparse
import runpy
import tempfile
from pathlib import Path

from mamori.adapters.breached.corpus import DEFAULT_CORPUS, build_corpus

TOP = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zxcvbn", type=Path, help="the unpacked zxcvbn 4.5.0 source distribution")
    args = parser.parse_args()
    lists = runpy.run_path(str(args.zxcvbn / "zxcvbn" / "frequency_lists.py"))
    words = list(lists["FREQUENCY_LISTS"]["passwords"])[:TOP]
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "passwords.txt"
        source.write_text("\n".join(words) + "\n", encoding="utf-8")
        report = build_corpus(source, DEFAULT_CORPUS, fmt="plain")
    print(f"{DEFAULT_CORPUS}: {report.entries} entries from {report.read} passwords")


if __name__ == "__main__":
    main()
