"""The trigger dispatcher over a transport the test scripts (the port's own contract): which
function a pool names, Cognito's time limit and retries counted attempt by attempt, and every
failure turned into Cognito's error with Cognito's message. The real transports are tested in
tests/adapters/triggers/."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from tests.support.entities import pool_value

from mamori.domain.errors import (
    InvalidLambdaResponseException,
    ServiceError,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from mamori.domain.triggers import (
    NO_CLIENT,
    TRIGGER_ERRORS,
    TriggerName,
    redirect_error,
    trigger_event,
)
from mamori.domain.userpools.settings import LambdaConfig, VersionedLambda
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.triggers.dispatcher import TIMEOUT_REASON, Route, Triggers
from mamori.services.triggers.ports import FunctionFailed, MalformedAnswer, TransportFailed

ARN = "arn:aws:lambda:us-east-1:123456789012:function:hook"
OTHER = "arn:aws:lambda:us-east-1:123456789012:function:other"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Scripted:
    """A transport whose n-th call does `steps[n]` (the last repeats): a value to answer, an
    exception to raise, or ("sleep", seconds, value)."""

    def __init__(self, *steps: Any) -> None:
        self.steps = list(steps)
        self.calls: list[tuple[str, dict[str, Any], float]] = []

    async def call(self, target: str, event: dict[str, Any], deadline_seconds: float) -> object:
        self.calls.append((target, event, deadline_seconds))
        step = self.steps[min(len(self.calls), len(self.steps)) - 1]
        if isinstance(step, tuple) and step and step[0] == "sleep":
            await asyncio.sleep(step[1])
            step = step[2]
        if isinstance(step, BaseException):
            raise step
        return step


def pool(**config: Any) -> UserPool:
    return pool_value(lambda_config=LambdaConfig(**config))


def event(response: dict[str, Any] | None = None) -> dict[str, Any]:
    return trigger_event(
        TriggerName.PRE_SIGN_UP,
        "PreSignUp_SignUp",
        "us-east-1_abc",
        "us-east-1",
        "alice",
        None,
        {"userAttributes": {"email": "a@example.com"}},
        response,
    )


def answered(response: dict[str, Any]) -> dict[str, Any]:
    return {**event(), "response": response}


def dispatcher(transport: Scripted, timeout: float = 5.0, routed: bool = True) -> Triggers:
    routes = {ARN: Route(transport, "python-target", "python")} if routed else {}
    return Triggers(routes, None if routed else transport, timeout_seconds=timeout)


def test_the_envelope_is_cognitos() -> None:
    assert event({"autoConfirmUser": False}) == {
        "version": "1",
        "triggerSource": "PreSignUp_SignUp",
        "region": "us-east-1",
        "userPoolId": "us-east-1_abc",
        "userName": "alice",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": NO_CLIENT},
        "request": {"userAttributes": {"email": "a@example.com"}},
        "response": {"autoConfirmUser": False},
    }
    assert event()["response"] == {}


def test_function_for_and_version_of_read_lambda_config() -> None:
    triggers = Triggers()
    plain = pool(pre_sign_up=ARN, pre_token_generation=OTHER)
    assert triggers.function_for(plain, TriggerName.PRE_SIGN_UP) == ARN
    assert triggers.function_for(plain, TriggerName.POST_CONFIRMATION) is None
    assert triggers.function_for(pool_value(), TriggerName.PRE_SIGN_UP) is None
    # PreTokenGeneration alone: V1_0 events; PreTokenGenerationConfig wins when both are set.
    assert triggers.function_for(plain, TriggerName.PRE_TOKEN_GENERATION) == OTHER
    assert triggers.version_of(plain, TriggerName.PRE_TOKEN_GENERATION) == "V1_0"
    v2 = pool(
        pre_token_generation=OTHER,
        pre_token_generation_config=VersionedLambda("V2_0", ARN),
        custom_email_sender=VersionedLambda("V1_0", OTHER),
    )
    assert triggers.function_for(v2, TriggerName.PRE_TOKEN_GENERATION) == ARN
    assert triggers.version_of(v2, TriggerName.PRE_TOKEN_GENERATION) == "V2_0"
    assert triggers.function_for(v2, TriggerName.CUSTOM_EMAIL_SENDER) == OTHER
    assert triggers.function_for(v2, TriggerName.CUSTOM_SMS_SENDER) is None
    assert triggers.version_of(v2, TriggerName.PRE_SIGN_UP) == "V1_0"


@pytest.mark.anyio
async def test_no_function_no_call_and_a_function_is_called_with_the_event() -> None:
    transport = Scripted(answered({"autoConfirmUser": True}))
    triggers = dispatcher(transport)
    assert await triggers.invoke(pool(), TriggerName.PRE_SIGN_UP, event()) is None
    assert transport.calls == []
    # Positive control: the same dispatcher calls a configured function, with the event.
    answer = await triggers.invoke(pool(pre_sign_up=ARN), TriggerName.PRE_SIGN_UP, event())
    assert answer is not None and answer["response"] == {"autoConfirmUser": True}
    assert [(target, sent) for target, sent, _ in transport.calls] == [("python-target", event())]
    assert transport.calls[0][2] == 5.0  # the attempt's deadline, for the function's context


@pytest.mark.anyio
async def test_an_unmapped_arn_goes_to_the_lambda_transport() -> None:
    transport = Scripted(answered({}))
    triggers = dispatcher(transport, routed=False)
    await triggers.invoke(pool(pre_sign_up=OTHER), TriggerName.PRE_SIGN_UP, event())
    assert transport.calls[0][0] == OTHER  # Lambda gets the ARN itself
    with pytest.raises(UnexpectedLambdaException) as caught:
        await Triggers().invoke(pool(pre_sign_up=OTHER), TriggerName.PRE_SIGN_UP, event())
    assert caught.value.message == (
        "PreSignUp invocation failed due to error ResourceNotFoundException."
    )


@pytest.mark.anyio
async def test_a_function_error_is_user_lambda_validation_and_never_retried() -> None:
    transport = Scripted(FunctionFailed("Email domain not allowed"))
    with pytest.raises(UserLambdaValidationException) as caught:
        await dispatcher(transport).invoke(pool(pre_sign_up=ARN), TriggerName.PRE_SIGN_UP, event())
    assert caught.value.message == "PreSignUp failed with error Email domain not allowed."
    assert caught.value.code == "UserLambdaValidationException"
    assert len(transport.calls) == 1


@pytest.mark.anyio
async def test_retryable_failures_are_tried_three_times_then_unexpected() -> None:
    transport = Scripted(TransportFailed("TooManyRequestsException", retryable=True))
    with pytest.raises(UnexpectedLambdaException) as caught:
        await dispatcher(transport).invoke(pool(pre_sign_up=ARN), TriggerName.PRE_SIGN_UP, event())
    assert caught.value.message == (
        "PreSignUp invocation failed due to error TooManyRequestsException."
    )
    assert len(transport.calls) == 3


@pytest.mark.anyio
async def test_a_retry_that_succeeds_answers() -> None:
    transport = Scripted(
        TransportFailed("ServiceException", retryable=True), answered({"autoConfirmUser": True})
    )
    answer = await dispatcher(transport).invoke(
        pool(pre_sign_up=ARN), TriggerName.PRE_SIGN_UP, event()
    )
    assert answer is not None and answer["response"]["autoConfirmUser"] is True
    assert len(transport.calls) == 2


@pytest.mark.anyio
async def test_a_failure_that_cannot_be_retried_is_tried_once() -> None:
    transport = Scripted(TransportFailed("AccessDeniedException"))
    with pytest.raises(UnexpectedLambdaException) as caught:
        await dispatcher(transport).invoke(
            pool(post_authentication=ARN), TriggerName.POST_AUTHENTICATION, event()
        )
    assert caught.value.message == (
        "PostAuthentication invocation failed due to error AccessDeniedException."
    )
    assert len(transport.calls) == 1


@pytest.mark.anyio
async def test_each_attempt_has_the_time_limit_and_timeouts_are_retried() -> None:
    transport = Scripted(("sleep", 5.0, answered({})))
    started = time.monotonic()
    with pytest.raises(UnexpectedLambdaException) as caught:
        await dispatcher(transport, timeout=0.2).invoke(
            pool(pre_sign_up=ARN), TriggerName.PRE_SIGN_UP, event()
        )
    took = time.monotonic() - started
    assert caught.value.message == f"PreSignUp invocation failed due to error {TIMEOUT_REASON}."
    assert caught.value.message.endswith("Socket timeout while invoking Lambda function.")
    assert len(transport.calls) == 3
    assert 0.6 <= took < 1.5  # three attempts of 0.2 s, not one of 5 s
    # Positive control: a function slower the first time only answers on the second attempt.
    slow_once = Scripted(("sleep", 5.0, answered({})), answered({"ok": 1}))
    answer = await dispatcher(slow_once, timeout=0.2).invoke(
        pool(pre_sign_up=ARN), TriggerName.PRE_SIGN_UP, event()
    )
    assert answer is not None and answer["response"] == {"ok": 1}
    assert len(slow_once.calls) == 2


@pytest.mark.anyio
@pytest.mark.parametrize(
    "answer",
    [None, "text", 3, [], {"response": None}, {"response": "yes"}, {"version": "1"}],
    ids=["null", "string", "number", "list", "null-response", "string-response", "no-response"],
)
async def test_an_answer_that_is_not_an_event_is_invalid_lambda_response(answer: object) -> None:
    transport = Scripted(answer)
    with pytest.raises(InvalidLambdaResponseException) as caught:
        await dispatcher(transport).invoke(pool(pre_sign_up=ARN), TriggerName.PRE_SIGN_UP, event())
    assert caught.value.message == "Unrecognizable lambda output"
    assert len(transport.calls) == 1


@pytest.mark.anyio
async def test_an_answer_that_is_not_json_is_invalid_lambda_response() -> None:
    transport = Scripted(MalformedAnswer("Expecting value"))
    with pytest.raises(InvalidLambdaResponseException):
        await dispatcher(transport).invoke(pool(pre_sign_up=ARN), TriggerName.PRE_SIGN_UP, event())
    assert len(transport.calls) == 1


@pytest.mark.anyio
async def test_custom_senders_answers_are_not_read() -> None:
    config = {"custom_email_sender": VersionedLambda("V1_0", ARN)}
    for answer in (None, "anything"):
        transport = Scripted(answer)
        got = await dispatcher(transport).invoke(
            pool(**config), TriggerName.CUSTOM_EMAIL_SENDER, event()
        )
        assert got == event()
        assert len(transport.calls) == 1
    # Their failures still count.
    failing = Scripted(FunctionFailed("no provider"))
    with pytest.raises(UserLambdaValidationException) as caught:
        await dispatcher(failing).invoke(pool(**config), TriggerName.CUSTOM_EMAIL_SENDER, event())
    assert caught.value.message == "CustomEmailSender failed with error no provider."


@pytest.mark.anyio
async def test_failures_log_no_event(caplog: pytest.LogCaptureFixture) -> None:
    transport = Scripted(TransportFailed("ServiceException", retryable=True))
    sent = {**event(), "request": {"password": "Hunter2-secret"}}
    with (
        caplog.at_level("DEBUG", logger="mamori.triggers"),
        pytest.raises(UnexpectedLambdaException),
    ):
        await dispatcher(transport).invoke(
            pool(user_migration=ARN), TriggerName.USER_MIGRATION, sent
        )
    assert len(caplog.records) == 3  # one line per attempt
    assert "Hunter2" not in caplog.text
    assert "UserMigration" in caplog.text and "ServiceException" in caplog.text


def test_a_failed_trigger_in_a_redirect_is_what_cognito_sends() -> None:
    failure = UserLambdaValidationException("PreSignUp failed with error User already exists..")
    assert redirect_error(failure) == (
        "invalid_request",
        "PreSignUp failed with error User already exists.. ",
    )
    for kind in TRIGGER_ERRORS:
        assert issubclass(kind, ServiceError)
    assert InvalidLambdaResponseException in TRIGGER_ERRORS
