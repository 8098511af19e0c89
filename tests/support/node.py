"""Run the JS client harness (tests/node/*.mjs) from tests, including steps that wait for a code
the test reads from the outbox (`codeFromFile`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
F = TypeVar("F", bound=Callable[..., Any])


def needs_node(test: F) -> F:
    """Marks a test that runs a JS client: `-m "not node"` leaves it out; skipped without Node."""
    skip = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
    return pytest.mark.node(skip(test))  # type: ignore[no-any-return]


def run_node(
    script: str,
    config: dict[str, Any],
    on_wait: Callable[[dict[str, Any]], str] | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Run one harness script; its step results by step name. A failed step raises unless it
    has "expectError". `on_wait` answers each "waitingForCode" event with the code to write
    into the event's file. `env` is added to this process's environment (NODE_EXTRA_CA_CERTS
    for a test CA)."""
    steps: dict[str, dict[str, Any]] = {}
    # stderr to a file: a full pipe could block the script while stdout is being read.
    with (
        tempfile.TemporaryFile(mode="w+") as errors,
        subprocess.Popen(
            ["node", str(NODE_DIR / script), "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            cwd=NODE_DIR,
            env={**os.environ, **(env or {})},
        ) as proc,
    ):
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(config))
        proc.stdin.close()
        try:
            for raw in proc.stdout:
                if not raw.strip():
                    continue
                line = json.loads(raw)
                if line.get("event") == "waitingForCode":
                    assert on_wait is not None, f"{script} waits for a code: {line}"
                    Path(line["file"]).write_text(on_wait(line))
                elif "ok" in line:
                    steps[line["step"]] = line
            proc.wait(timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        errors.seek(0)
        stderr = errors.read()
    assert proc.returncode in (0, 1), stderr[-2000:]
    for name, step in steps.items():
        if not step["ok"]:
            wanted = [s for s in config["steps"] if s.get("name", s["op"]) == name]
            if not (wanted and wanted[0].get("expectError")):
                raise AssertionError(f"{script} step {name} failed: {step}\n{stderr[-2000:]}")
    return steps


def calls(step: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(operation, flow or challenge) of each Cognito call a step made."""
    return [(c["op"], c.get("flow") or c.get("challenge")) for c in step.get("calls", [])]
