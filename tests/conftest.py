"""Shared fixtures: live servers on SQLite and PostgreSQL, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from tests.support.live import Server, run_server

# The `chromium` and `browser_page` fixtures (Playwright with Debian's Chromium).
pytest_plugins = ["tests.support.browser"]

# CI shares two cores with live servers: a per-example deadline would only measure that load.
settings.register_profile("mamori", deadline=None)
settings.load_profile("mamori")


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A live `mamori serve` process; every API test runs on both databases."""
    with run_server(tmp_path_factory.mktemp(request.param), request.param) as live:
        yield live


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with run_server(tmp_path_factory.mktemp("sqlite-only"), "sqlite") as live:
        yield live


@pytest.fixture()
def tmp(tmp_path: Path) -> Path:
    return tmp_path
