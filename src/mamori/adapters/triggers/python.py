"""Triggers as Python callables in the server process: `module:function`, or the name of an
entry point in the `mamori.triggers` group. A function takes Lambda's `(event, context)` and
returns the event, so one handler runs on Lambda and here; a plain `def` runs on the trigger
threads, never on the event loop, an `async def` on the loop."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import json
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import anyio
import anyio.to_thread

from mamori.services.triggers.ports import FunctionFailed, MalformedAnswer

ENTRY_POINT_GROUP = "mamori.triggers"

Handler = Callable[[dict[str, Any], Any], Any]


class TargetError(ValueError):
    """A Python target that cannot be loaded (raised at start-up)."""


def load(spec: str) -> Handler:
    """The callable `spec` names: `package.module:function[.attribute]`, or an entry point."""
    if ":" in spec:
        module_name, _, path = spec.partition(":")
        try:
            value: Any = importlib.import_module(module_name)
        except ImportError as exc:
            raise TargetError(f"cannot import {module_name!r} for {spec!r}: {exc}") from exc
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                raise TargetError(f"{spec!r}: {module_name} has no {path}")
    else:
        found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP, name=spec)
        if not found:
            raise TargetError(f"no entry point {spec!r} in group {ENTRY_POINT_GROUP}")
        try:
            value = next(iter(found)).load()
        except Exception as exc:
            raise TargetError(f"entry point {spec!r} does not load: {exc}") from exc
    if not callable(value):
        raise TargetError(f"{spec!r} is not callable")
    return value  # type: ignore[no-any-return]


class LambdaContext:
    """What a Lambda handler's `context` offers that a handler may read."""

    def __init__(self, target: str, seconds: float) -> None:
        """`target`: the function's ARN (its name is the ARN's), or any other name."""
        parts = target.split(":")
        name = parts[6] if target.startswith("arn:") and len(parts) > 6 else target
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = target
        self.memory_limit_in_mb = 128
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/mamori/triggers/{name}"
        self.log_stream_name = "in-process"
        self._deadline = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class PythonFunctions:
    """The Python transport. `functions`: the callable for each target (wiring keys them by
    the ARN they serve, for the context), loaded at start-up; `threads` bounds
    how many plain functions run at once (one stuck past its deadline keeps its thread until
    it returns: a thread cannot be stopped)."""

    def __init__(self, functions: Mapping[str, Handler], threads: anyio.CapacityLimiter) -> None:
        self._functions = dict(functions)
        self._threads = threads

    async def call(self, target: str, event: dict[str, Any], deadline_seconds: float) -> object:
        function = self._functions[target]
        # The function gets its own copy, as a Lambda gets its own deserialised event.
        payload = json.loads(json.dumps(event))
        context = LambdaContext(target, deadline_seconds)
        try:
            if inspect.iscoroutinefunction(function):
                answer = await function(payload, context)
            else:
                answer = await anyio.to_thread.run_sync(
                    function, payload, context, limiter=self._threads, abandon_on_cancel=True
                )
        except Exception as exc:
            # Lambda's errorMessage for a Python handler that raised: str(exception).
            raise FunctionFailed(str(exc)) from exc
        try:
            return json.loads(json.dumps(answer, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise MalformedAnswer(str(exc)) from None
