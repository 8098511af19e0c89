"""In-process Python functions through the dispatcher: tests/support/trigger_functions.py's
functions loaded by name as a server loads them, their calls counted in the event log;
plain functions on threads (the event loop keeps running), `async def` ones on the loop."""

from __future__ import annotations

import asyncio
import importlib.metadata
import time
from typing import Any

import anyio
import pytest
from tests.support import trigger_functions
from tests.support.triggers import MODULE, TriggerScript, arn, pre_sign_up_pool, sign_up_event

from mamori.adapters.triggers.python import PythonFunctions, TargetError, load
from mamori.domain.errors import (
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from mamori.domain.triggers import TriggerName
from mamori.services.triggers.dispatcher import Route, Triggers


def python_triggers(*functions: str, timeout: float = 5.0, threads: int = 8) -> Triggers:
    # As wiring builds it: functions keyed by the ARN they serve.
    loaded = {arn(name): load(f"{MODULE}:{name}") for name in functions}
    python = PythonFunctions(loaded, anyio.CapacityLimiter(threads))
    routes = {served: Route(python, served, "python") for served in loaded}
    return Triggers(routes, None, timeout_seconds=timeout)


async def invoke(triggers: Triggers, function: str = "pre_sign_up") -> dict[str, Any] | None:
    return await triggers.invoke(
        pre_sign_up_pool(function), TriggerName.PRE_SIGN_UP, sign_up_event()
    )


@pytest.mark.anyio
async def test_a_function_answers_the_event_it_changed(script: TriggerScript) -> None:
    script.set(pre_sign_up={"response": {"autoConfirmUser": True}})
    sent = sign_up_event()
    answer = await python_triggers("pre_sign_up").invoke(
        pre_sign_up_pool(), TriggerName.PRE_SIGN_UP, sent
    )
    assert answer is not None
    assert answer["response"] == {
        "autoConfirmUser": True,
        "autoVerifyEmail": False,
        "autoVerifyPhone": False,
    }
    assert script.events("pre_sign_up") == [sign_up_event()]
    # The function changed its own copy, not the caller's event.
    assert sent["response"]["autoConfirmUser"] is False


@pytest.mark.anyio
async def test_a_raised_exception_is_the_functions_error(script: TriggerScript) -> None:
    script.set(pre_sign_up={"raise": "Email domain not allowed"})
    with pytest.raises(UserLambdaValidationException) as caught:
        await invoke(python_triggers("pre_sign_up"))
    assert caught.value.message == "PreSignUp failed with error Email domain not allowed."
    assert len(script.calls("pre_sign_up")) == 1  # never retried


@pytest.mark.anyio
@pytest.mark.parametrize("answer", [None, "ok", {"no": "response"}, {"response": [1]}], ids=str)
async def test_an_answer_that_is_not_an_event_is_invalid(
    script: TriggerScript, answer: object
) -> None:
    script.set(pre_sign_up={"answer": answer})
    with pytest.raises(InvalidLambdaResponseException):
        await invoke(python_triggers("pre_sign_up"))
    # Positive control: the same function answering its event is fine.
    script.set(pre_sign_up={})
    assert await invoke(python_triggers("pre_sign_up")) is not None


def not_json(event: dict[str, Any], context: Any) -> Any:
    event["response"]["when"] = object()
    return event


def nan(event: dict[str, Any], context: Any) -> Any:
    event["response"]["score"] = float("nan")
    return event


@pytest.mark.anyio
@pytest.mark.parametrize("function", [not_json, nan])
async def test_an_answer_json_cannot_carry_is_invalid(function: Any) -> None:
    python = PythonFunctions({"f": function}, anyio.CapacityLimiter(1))
    triggers = Triggers({arn("pre_sign_up"): Route(python, "f", "python")})
    with pytest.raises(InvalidLambdaResponseException):
        await invoke(triggers)


@pytest.mark.anyio
async def test_a_slow_function_is_tried_three_times_within_the_limit(
    script: TriggerScript,
) -> None:
    script.set(pre_sign_up={"sleep": 2})
    started = time.monotonic()
    with pytest.raises(UnexpectedLambdaException) as caught:
        await invoke(python_triggers("pre_sign_up", timeout=0.3))
    assert time.monotonic() - started < 1.5
    assert caught.value.message == (
        "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function."
    )
    assert len(script.calls("pre_sign_up")) == 3
    # Slow only the first time: the second attempt answers.
    script.reset()
    script.set(pre_sign_up=[{"sleep": 2}, {"response": {"autoConfirmUser": True}}])
    answer = await invoke(python_triggers("pre_sign_up", timeout=0.3))
    assert answer is not None and answer["response"]["autoConfirmUser"] is True
    assert len(script.calls("pre_sign_up")) == 2


@pytest.mark.anyio
async def test_a_sleeping_plain_function_does_not_block_the_event_loop(
    script: TriggerScript,
) -> None:
    ticks = 0

    async def ticker(seconds: float) -> None:
        nonlocal ticks
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await asyncio.sleep(0.01)
            ticks += 1

    script.set(pre_sign_up={"sleep": 0.5})
    triggers = python_triggers("pre_sign_up")
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(ticker, 0.4)
        await invoke(triggers)
    assert ticks >= 20  # the loop kept turning while the function slept
    # Positive control: the same sleep on the loop stops the ticker.
    ticks = 0
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(ticker, 0.4)
        await asyncio.sleep(0)
        time.sleep(0.5)
    assert ticks <= 2


@pytest.mark.anyio
async def test_plain_functions_run_side_by_side(script: TriggerScript) -> None:
    script.set(pre_sign_up={"sleep": 0.4})
    triggers = python_triggers("pre_sign_up", threads=4)
    started = time.monotonic()
    async with anyio.create_task_group() as tasks:
        for _ in range(4):
            tasks.start_soon(invoke, triggers)
    assert time.monotonic() - started < 1.0  # four 0.4 s calls at once, not one after another
    assert len(script.calls("pre_sign_up")) == 4


@pytest.mark.anyio
async def test_an_async_function_runs_on_the_loop(script: TriggerScript) -> None:
    script.set(async_scripted={"sleep": 0.05, "response": {"autoConfirmUser": True}})
    answer = await invoke(python_triggers("async_scripted"), "async_scripted")
    assert answer is not None and answer["response"]["autoConfirmUser"] is True
    script.set(async_scripted={"raise": "async says no"})
    with pytest.raises(UserLambdaValidationException) as caught:
        await invoke(python_triggers("async_scripted"), "async_scripted")
    assert caught.value.message == "PreSignUp failed with error async says no."
    script.set(async_scripted={"sleep": 2})
    with pytest.raises(UnexpectedLambdaException):
        await invoke(python_triggers("async_scripted", timeout=0.2), "async_scripted")
    assert [c["pid"] for c in script.calls()] == [script.calls()[0]["pid"]] * 5


@pytest.mark.anyio
async def test_the_context_says_the_time_left_and_the_function(script: TriggerScript) -> None:
    answer = await invoke(python_triggers("remaining_time", timeout=2.0), "remaining_time")
    assert answer is not None
    assert 1000 < answer["response"]["remaining"] <= 2000
    assert answer["response"]["invoked_function_arn"] == arn("remaining_time")
    assert answer["response"]["function_name"] == "mamori-test-remaining-time"


def test_targets_that_do_not_load_are_refused() -> None:
    assert callable(load(f"{MODULE}:pre_sign_up"))
    with pytest.raises(TargetError, match="cannot import"):
        load("no_such_module_here:handler")
    with pytest.raises(TargetError, match="has no"):
        load(f"{MODULE}:no_such_function")
    with pytest.raises(TargetError, match="not callable"):
        load(f"{MODULE}:ENV")
    with pytest.raises(TargetError, match="no entry point"):
        load("no-such-entry-point")


def test_an_entry_point_names_a_function(monkeypatch: pytest.MonkeyPatch) -> None:
    """`python:<name>` loads the entry point `<name>` of the group mamori.triggers, as a
    package installed beside the server declares it."""
    declared = importlib.metadata.EntryPoint(
        name="pre-sign-up", value=f"{MODULE}:pre_sign_up", group="mamori.triggers"
    )

    def entry_points(**query: str) -> list[importlib.metadata.EntryPoint]:
        matches = all(getattr(declared, key) == value for key, value in query.items())
        return [declared] if matches else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    assert load("pre-sign-up") is trigger_functions.pre_sign_up
    with pytest.raises(TargetError, match="no entry point"):
        load("post-confirmation")
