"""composition/breached.py: the shipped list when no file is configured, the operator's file when
one is, a file that is not a corpus a ConfigError at start-up, the range API only when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from mamori.adapters.breached.corpus import build_corpus
from mamori.adapters.http import OutboundHttp
from mamori.composition.breached import build_breached
from mamori.config import ConfigError, Settings, load_settings

pytestmark = pytest.mark.anyio


def settings(tmp_path: Path, **values: str) -> Settings:
    return load_settings({"data_dir": str(tmp_path), **values}, environ={})


async def test_the_shipped_list_by_default(tmp_path: Path) -> None:
    corpora = build_breached(settings(tmp_path), OutboundHttp())
    assert await corpora.is_breached("password1")
    assert corpora._online is None


async def test_the_operators_file_replaces_it(tmp_path: Path) -> None:
    (tmp_path / "leak.txt").write_text("Operators-Own-Leak\n")
    build_corpus(tmp_path / "leak.txt", tmp_path / "leak.bin")
    chosen = settings(tmp_path, breached_passwords_file=str(tmp_path / "leak.bin"))
    corpora = build_breached(chosen, OutboundHttp())
    assert await corpora.is_breached("Operators-Own-Leak")
    assert not await corpora.is_breached("password1")


def test_a_file_that_is_not_a_corpus_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "list.txt").write_text("a plain list, not built\n")
    chosen = settings(tmp_path, breached_passwords_file=str(tmp_path / "list.txt"))
    with pytest.raises(ConfigError, match=r"breached_passwords_file: .*not a breached-password"):
        build_breached(chosen, OutboundHttp())


def test_a_missing_file_is_a_setting_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a file"):
        settings(tmp_path, breached_passwords_file=str(tmp_path / "missing.bin"))
    with pytest.raises(ConfigError, match="pwned_passwords_url"):
        settings(tmp_path, pwned_passwords_url="ftp://example")


async def test_the_range_api_when_asked(tmp_path: Path) -> None:
    http = OutboundHttp()
    corpora = build_breached(settings(tmp_path, pwned_passwords_api="true"), http)
    assert corpora._online is not None
    await http.aclose()
