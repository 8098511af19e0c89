"""Trigger functions for tests, run in-process by a live server (`python:` targets) or by the
Lambda stand-in. Each takes Lambda's `(event, context)`, appends the event it got to
`<MAMORI_TEST_TRIGGERS>/events.jsonl`, then does what `<MAMORI_TEST_TRIGGERS>/script.json` says
for it (tests/support/triggers.py writes both; the server is another process).

Script, per function name: one step, or a list of steps (the n-th call takes the n-th, the
last one repeats). A step: {"sleep": seconds, "raise": message, "answer": a whole answer
instead of the event (any JSON value), "response": members merged into event["response"],
"request_to_response": [names copied from request to response]}.

Helpers add their own functions below (own hunks); every public function here is mapped to an
ARN by tests/support/triggers.py (`arn("<function name>")`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

ENV = "MAMORI_TEST_TRIGGERS"


def _directory() -> Path:
    return Path(os.environ[ENV])


def _record(function: str, event: dict[str, Any]) -> int:
    """Appends the call; returns how many calls of `function` came before it."""
    path = _directory() / "events.jsonl"
    before = 0
    if path.exists():
        for line in path.read_text().splitlines():
            if line and json.loads(line)["function"] == function:
                before += 1
    line = json.dumps({"function": function, "pid": os.getpid(), "event": event}) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())  # one write: lines from several processes never interleave
    finally:
        os.close(fd)
    return before


def _step(function: str, call: int) -> dict[str, Any]:
    path = _directory() / "script.json"
    try:
        script = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    step = script.get(function, {})
    if isinstance(step, list):
        return dict(step[min(call, len(step) - 1)]) if step else {}
    return dict(step)


def scripted(function: str, event: dict[str, Any]) -> Any:
    """Records `event` and does what the script says for `function`'s call."""
    step = _step(function, _record(function, event))
    if step.get("sleep"):
        time.sleep(float(step["sleep"]))
    if "raise" in step:
        raise RuntimeError(step["raise"])
    if "answer" in step:
        return step["answer"]
    response = event.setdefault("response", {})
    if isinstance(response, dict):
        for name in step.get("request_to_response", ()):
            response[name] = event.get("request", {}).get(name)
        response.update(step.get("response", {}))
    return event


def pre_sign_up(event: dict[str, Any], context: Any) -> Any:
    return scripted("pre_sign_up", event)


def post_confirmation(event: dict[str, Any], context: Any) -> Any:
    return scripted("post_confirmation", event)


def pre_authentication(event: dict[str, Any], context: Any) -> Any:
    return scripted("pre_authentication", event)


def post_authentication(event: dict[str, Any], context: Any) -> Any:
    return scripted("post_authentication", event)


def pre_token_generation(event: dict[str, Any], context: Any) -> Any:
    return scripted("pre_token_generation", event)


def custom_message(event: dict[str, Any], context: Any) -> Any:
    return scripted("custom_message", event)


def define_auth_challenge(event: dict[str, Any], context: Any) -> Any:
    return scripted("define_auth_challenge", event)


def create_auth_challenge(event: dict[str, Any], context: Any) -> Any:
    return scripted("create_auth_challenge", event)


def verify_auth_challenge_response(event: dict[str, Any], context: Any) -> Any:
    return scripted("verify_auth_challenge_response", event)


def user_migration(event: dict[str, Any], context: Any) -> Any:
    return scripted("user_migration", event)


def custom_email_sender(event: dict[str, Any], context: Any) -> Any:
    return scripted("custom_email_sender", event)


def custom_sms_sender(event: dict[str, Any], context: Any) -> Any:
    return scripted("custom_sms_sender", event)


def inbound_federation(event: dict[str, Any], context: Any) -> Any:
    return scripted("inbound_federation", event)


async def async_scripted(event: dict[str, Any], context: Any) -> Any:
    """An `async def` function (run on the event loop): records and answers like the others,
    but its "sleep" is awaited."""
    function = "async_scripted"
    step = _step(function, _record(function, event))
    if step.get("sleep"):
        import asyncio

        await asyncio.sleep(float(step["sleep"]))
    if "raise" in step:
        raise RuntimeError(step["raise"])
    if "answer" in step:
        return step["answer"]
    event.setdefault("response", {}).update(step.get("response", {}))
    return event


def remaining_time(event: dict[str, Any], context: Any) -> Any:
    """Answers what its context says (remaining time, function name, ARN): the context object
    a handler gets in-process, as on Lambda."""
    _record("remaining_time", event)
    event["response"] = {
        "remaining": context.get_remaining_time_in_millis(),
        "function_name": context.function_name,
        "invoked_function_arn": context.invoked_function_arn,
    }
    return event


async def loop_blocker(event: dict[str, Any], context: Any) -> Any:
    """The wrong way to write a function: an `async def` that sleeps without awaiting holds
    the server's event loop (the negative control of the not-blocking tests)."""
    step = _step("loop_blocker", _record("loop_blocker", event))
    time.sleep(float(step.get("sleep", 0)))
    return event


# --- CUSTOM_AUTH (tests/api/cognito_idp/triggers/test_custom_auth.py): a three-round quiz,
# "round n: what is n + n?", the SRP password first when the sign-in starts with SRP_A. The
# script can still make any of them raise or answer something else; a step's "rounds" sets how
# many right answers are needed, "retry" lets a wrong answer be followed by another question.
def _custom(function: str, event: dict[str, Any], decide: Any) -> Any:
    step = _step(function, _record(function, event))
    if "raise" in step:
        raise RuntimeError(step["raise"])
    if "answer" in step:
        return step["answer"]
    response = event.setdefault("response", {})
    response.update(decide(event["request"], step))
    response.update(step.get("response", {}))
    return event


def _quiz_define(request: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    session = request["session"]
    names = [s["challengeName"] for s in session]
    if names == ["SRP_A"]:
        return {"challengeName": "PASSWORD_VERIFIER", "issueTokens": False}
    if session and not session[-1]["challengeResult"] and not step.get("retry"):
        return {"issueTokens": False, "failAuthentication": True}
    right = [
        s for s in session if s["challengeName"] == "CUSTOM_CHALLENGE" and s["challengeResult"]
    ]
    if len(right) >= int(step.get("rounds", 3)):
        return {"issueTokens": True, "failAuthentication": False}
    return {"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False, "failAuthentication": False}


def _quiz_create(request: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    n = 1 + sum(1 for s in request["session"] if s["challengeName"] == "CUSTOM_CHALLENGE")
    return {
        "publicChallengeParameters": {"question": f"round {n}: what is {n} + {n}?"},
        "privateChallengeParameters": {"answer": str(n + n), "secret": f"private-{n}-s3cr3t"},
        "challengeMetadata": f"ROUND_{n}",
    }


def _quiz_verify(request: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    return {
        "answerCorrect": request["challengeAnswer"]
        == request["privateChallengeParameters"]["answer"]
    }


def quiz_define(event: dict[str, Any], context: Any) -> Any:
    return _custom("quiz_define", event, _quiz_define)


def quiz_create(event: dict[str, Any], context: Any) -> Any:
    return _custom("quiz_create", event, _quiz_create)


def quiz_verify(event: dict[str, Any], context: Any) -> Any:
    return _custom("quiz_verify", event, _quiz_verify)
