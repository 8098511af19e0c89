"""A live server per module that runs every test function of tests/support/trigger_functions.py
in-process (`live`, on SQLite and PostgreSQL), its `server`, and the `script` steering the
functions, forgotten before each test. A module that needs another server (a provider, an
SMTP server, its own settings) defines its own `live`, `server` and `script`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.support.live import Server, run_server
from tests.support.triggers import TriggerScript


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, TriggerScript]]:
    name = request.module.__name__.rpartition(".")[2]
    tmp = tmp_path_factory.mktemp(f"{name}-{request.param}")
    script = TriggerScript(tmp)
    with run_server(tmp, request.param, extra_env=script.env()) as server:
        yield server, script


@pytest.fixture()
def script(live: tuple[Server, TriggerScript]) -> TriggerScript:
    live[1].reset()
    return live[1]


@pytest.fixture()
def server(live: tuple[Server, TriggerScript]) -> Server:
    return live[0]
