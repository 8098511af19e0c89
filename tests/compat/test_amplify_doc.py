"""docs/amplify.md shows the sample app's code: each js and python block is lines of
examples/amplify-app as they are (indentation aside), so the page cannot drift from what
tests/clients/test_amplify_sample_app.py runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "amplify.md"
APP = ROOT / "examples" / "amplify-app"
SOURCES = [APP / "setup_mamori.py", *sorted((APP / "src").glob("*.js"))]
BLOCK = re.compile(r"^```(js|python)\n(.*?)^```$", re.M | re.S)


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def contains(haystack: list[str], needle: list[str]) -> bool:
    return any(haystack[i : i + len(needle)] == needle for i in range(len(haystack)))


def test_every_code_block_is_the_samples_code() -> None:
    blocks = BLOCK.findall(DOC.read_text())
    assert len(blocks) >= 10, blocks
    sources = {path.name: lines(path.read_text()) for path in SOURCES}
    for language, block in blocks:
        found = [name for name, source in sources.items() if contains(source, lines(block))]
        assert found, f"this {language} block of docs/amplify.md is not in the sample:\n{block}"


def test_a_changed_line_is_caught() -> None:
    source = lines((APP / "src" / "amplify-config.js").read_text())
    changed = [line.replace("userPoolEndpoint", "endpoint") for line in source[:12]]
    assert contains(source, source[:12]) and not contains(source, changed)
