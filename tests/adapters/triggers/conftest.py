"""Shared by the transport tests: the asyncio backend, a trigger script the test functions of
tests/support/trigger_functions.py read in this process."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.triggers import TriggerScript


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TriggerScript:
    """The script and event log of the test functions, when they run in this process."""
    steered = TriggerScript(tmp_path)
    for name, value in steered.env().items():
        if name.startswith("MAMORI_TEST"):
            monkeypatch.setenv(name, value)
    return steered
