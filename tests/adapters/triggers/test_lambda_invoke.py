"""AWS Lambda's Invoke API through the dispatcher, against the local stand-in
(tests/support/lambda_stand_in.py), whose answers boto3's own lambda client reads as AWS's: the
call SigV4-signed for the ARN's region, the function's error with Lambda's FunctionError,
throttling and 5xx retried, refusals not, attempts counted at the stand-in."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator

import boto3
import httpx
import pytest
from botocore.config import Config
from tests.support import trigger_functions
from tests.support.lambda_stand_in import SECRET, LambdaStandIn
from tests.support.triggers import (
    TriggerScript,
    arn,
    function_names,
    pre_sign_up_pool,
    sign_up_event,
)

from mamori.adapters.triggers.lambda_invoke import InvokeConfig, LambdaInvoke, chain_credentials
from mamori.domain.errors import (
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from mamori.domain.triggers import TriggerName
from mamori.services.triggers.dispatcher import Triggers

KEY_ID = "AKIDTRIGGERTEST"


def lambda_name(function: str) -> str:
    return arn(function).rsplit(":", 1)[1]


@pytest.fixture
def stand_in() -> Iterator[LambdaStandIn]:
    handlers = {lambda_name(f): getattr(trigger_functions, f) for f in function_names()}
    with LambdaStandIn(handlers) as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False) as http:
        yield http


def lambda_triggers(
    stand_in: LambdaStandIn,
    client: httpx.AsyncClient,
    timeout: float = 5.0,
    region: str = "",
    key_id: str = KEY_ID,
    secret: str = SECRET,
) -> Triggers:
    config = InvokeConfig(stand_in.url, region, "eu-west-1", key_id, secret if key_id else "")
    return Triggers({}, LambdaInvoke(config, client), timeout_seconds=timeout)


async def invoke(triggers: Triggers, region: str = "us-east-1") -> dict[str, object] | None:
    pool = pre_sign_up_pool(region=region)
    return await triggers.invoke(pool, TriggerName.PRE_SIGN_UP, sign_up_event())


def test_boto3_reads_the_stand_ins_answers_as_lambdas(
    script: TriggerScript, stand_in: LambdaStandIn
) -> None:
    """The stand-in is faithful enough: AWS's own client invokes through it."""
    client = boto3.client(
        "lambda",
        endpoint_url=stand_in.url,
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"total_max_attempts": 1}),
    )
    event = sign_up_event()
    answer = client.invoke(FunctionName=arn("pre_sign_up"), Payload=json.dumps(event))
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == event
    script.set(pre_sign_up={"raise": "nope"})
    failed = client.invoke(FunctionName=lambda_name("pre_sign_up"), Payload=json.dumps(event))
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorMessage"] == "nope"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="no-such-function", Payload=b"{}")


@pytest.mark.anyio
async def test_the_function_is_invoked_signed_for_its_region(
    script: TriggerScript, stand_in: LambdaStandIn, client: httpx.AsyncClient
) -> None:
    script.set(pre_sign_up={"response": {"autoConfirmUser": True}})
    answer = await invoke(lambda_triggers(stand_in, client), region="eu-central-1")
    assert answer is not None and answer["response"]["autoConfirmUser"] is True
    [call] = stand_in.calls()
    assert call.function_name == arn("pre_sign_up", "eu-central-1")  # FunctionName: the ARN
    assert call.access_key_id == KEY_ID
    assert call.region == "eu-central-1"  # the ARN's region, not the default
    assert call.headers["x-amz-invocation-type"] == "RequestResponse"
    assert call.event == sign_up_event()
    assert script.events("pre_sign_up") == [sign_up_event()]
    # lambda_region, when set, is the region signed for.
    await invoke(lambda_triggers(stand_in, client, region="ap-south-1"), region="eu-central-1")
    assert stand_in.calls()[-1].region == "ap-south-1"


@pytest.mark.anyio
async def test_a_function_error_is_user_lambda_validation(
    script: TriggerScript, stand_in: LambdaStandIn, client: httpx.AsyncClient
) -> None:
    script.set(pre_sign_up={"raise": "Email domain not allowed"})
    with pytest.raises(UserLambdaValidationException) as caught:
        await invoke(lambda_triggers(stand_in, client))
    assert caught.value.message == "PreSignUp failed with error Email domain not allowed."
    assert len(stand_in.calls()) == 1


@pytest.mark.anyio
async def test_throttling_is_retried_up_to_three_attempts(
    script: TriggerScript, stand_in: LambdaStandIn, client: httpx.AsyncClient
) -> None:
    name = lambda_name("pre_sign_up")
    stand_in.fail(name, 429, "TooManyRequestsException", times=2)
    assert await invoke(lambda_triggers(stand_in, client)) is not None
    assert [c.answered for c in stand_in.calls()] == [429, 429, 200]
    stand_in.invocations.clear()
    stand_in.fail(name, 500, "ServiceException", times=5)
    with pytest.raises(UnexpectedLambdaException) as caught:
        await invoke(lambda_triggers(stand_in, client))
    assert caught.value.message == "PreSignUp invocation failed due to error ServiceException."
    assert [c.answered for c in stand_in.calls()] == [500, 500, 500]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "error"),
    [(403, "AccessDeniedException"), (400, "InvalidRequestContentException")],
)
async def test_refusals_are_not_retried(
    stand_in: LambdaStandIn, client: httpx.AsyncClient, status: int, error: str
) -> None:
    stand_in.fail(lambda_name("pre_sign_up"), status, error, times=3)
    with pytest.raises(UnexpectedLambdaException) as caught:
        await invoke(lambda_triggers(stand_in, client))
    assert caught.value.message == f"PreSignUp invocation failed due to error {error}."
    assert len(stand_in.calls()) == 1


@pytest.mark.anyio
async def test_a_function_lambda_does_not_know(
    stand_in: LambdaStandIn, client: httpx.AsyncClient
) -> None:
    triggers = lambda_triggers(stand_in, client)
    with pytest.raises(UnexpectedLambdaException) as caught:
        await triggers.invoke(
            pre_sign_up_pool("deleted_function"), TriggerName.PRE_SIGN_UP, sign_up_event()
        )
    assert caught.value.message == (
        "PreSignUp invocation failed due to error ResourceNotFoundException."
    )
    assert len(stand_in.calls()) == 1


@pytest.mark.anyio
async def test_a_slow_lambda_is_tried_three_times(
    script: TriggerScript, stand_in: LambdaStandIn, client: httpx.AsyncClient
) -> None:
    stand_in.delay = 1.0
    started = time.monotonic()
    with pytest.raises(UnexpectedLambdaException) as caught:
        await invoke(lambda_triggers(stand_in, client, timeout=0.3))
    assert time.monotonic() - started < 2.0
    assert caught.value.message.endswith("Socket timeout while invoking Lambda function.")
    assert len(stand_in.calls()) == 3


@pytest.mark.anyio
@pytest.mark.parametrize("answer", [None, [1, 2], {"response": 5}], ids=str)
async def test_an_answer_that_is_not_the_event_is_invalid(
    script: TriggerScript, stand_in: LambdaStandIn, client: httpx.AsyncClient, answer: object
) -> None:
    script.set(pre_sign_up={"answer": answer})
    with pytest.raises(InvalidLambdaResponseException):
        await invoke(lambda_triggers(stand_in, client))
    assert len(stand_in.calls()) == 1


@pytest.mark.anyio
async def test_without_keys_botocores_chain_signs(
    script: TriggerScript,
    stand_in: LambdaStandIn,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stand_in.secrets = {"AKIDFROMTHECHAIN": "chain-secret"}
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMTHECHAIN")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "chain-secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    assert await invoke(lambda_triggers(stand_in, client, key_id="")) is not None
    assert stand_in.calls()[-1].access_key_id == "AKIDFROMTHECHAIN"
    # No credentials anywhere: refused before any call.
    config = InvokeConfig(stand_in.url)
    nothing = Triggers({}, LambdaInvoke(config, client, credentials=lambda: None))
    with pytest.raises(UnexpectedLambdaException) as caught:
        await invoke(nothing)
    assert caught.value.message == (
        "PreSignUp invocation failed due to error AccessDeniedException."
    )
    assert len(stand_in.calls()) == 1
    assert chain_credentials() is not None  # the chain itself, as the transport calls it


@pytest.mark.anyio
async def test_the_signature_is_sigv4_as_aws_checks_it(
    script: TriggerScript, stand_in: LambdaStandIn, client: httpx.AsyncClient
) -> None:
    """The stand-in checks signatures with mamori's SigV4 verifier: the right secret passes
    (every other test), a wrong one is refused and not retried."""
    with pytest.raises(UnexpectedLambdaException) as caught:
        await invoke(lambda_triggers(stand_in, client, secret="not-the-secret"))
    assert caught.value.message == (
        "PreSignUp invocation failed due to error InvalidSignatureException."
    )
    assert [c.answered for c in stand_in.calls()] == [403]
    assert script.events() == []
    assert await invoke(lambda_triggers(stand_in, client)) is not None


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("function", "url"),
    [
        (
            "arn:aws:lambda:eu-west-2:123456789012:function:f",
            "https://lambda.eu-west-2.amazonaws.com/2015-03-31/functions/"
            "arn%3Aaws%3Alambda%3Aeu-west-2%3A123456789012%3Afunction%3Af/invocations",
        ),
        (
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:f:live",
            "https://lambda.cn-north-1.amazonaws.com.cn/2015-03-31/functions/"
            "arn%3Aaws-cn%3Alambda%3Acn-north-1%3A123456789012%3Afunction%3Af%3Alive/invocations",
        ),
    ],
)
async def test_without_an_endpoint_aws_lambda_of_the_arns_region(
    client: httpx.AsyncClient, function: str, url: str
) -> None:
    transport = LambdaInvoke(InvokeConfig(access_key_id=KEY_ID, secret_access_key=SECRET), client)
    request = await transport.request(function, b"{}", 5.0)
    assert str(request.url) == url
    region = function.split(":")[3]
    assert f"/{region}/lambda/aws4_request" in request.headers["authorization"]
