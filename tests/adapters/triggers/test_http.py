"""HTTP trigger endpoints through the dispatcher, against a live local endpoint
(tests/support/trigger_endpoint.py): the request signed as webhooks are, the endpoint's error
shown as the function's, throttling and 5xx retried, attempts counted at the endpoint."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from tests.support.trigger_endpoint import SECRET, TriggerEndpoint
from tests.support.triggers import TriggerScript, arn, pre_sign_up_pool, sign_up_event

from mamori.adapters.delivery.webhook import signing_key
from mamori.adapters.triggers.http import HttpFunctions
from mamori.domain.errors import (
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from mamori.domain.triggers import TriggerName
from mamori.services.triggers.dispatcher import Route, Triggers


@pytest.fixture
def endpoint() -> Iterator[TriggerEndpoint]:
    with TriggerEndpoint() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False) as http:
        yield http


def http_triggers(
    endpoint: TriggerEndpoint,
    client: httpx.AsyncClient,
    timeout: float = 5.0,
    secret: str = SECRET,
    url: str | None = None,
) -> Triggers:
    transport = HttpFunctions(signing_key(secret), client)
    route = Route(transport, url or endpoint.target("pre_sign_up"), "http")
    return Triggers({arn("pre_sign_up"): route}, None, timeout_seconds=timeout)


async def invoke(triggers: Triggers) -> dict[str, object] | None:
    return await triggers.invoke(pre_sign_up_pool(), TriggerName.PRE_SIGN_UP, sign_up_event())


@pytest.mark.anyio
async def test_the_event_is_posted_signed_and_the_answer_read(
    script: TriggerScript, endpoint: TriggerEndpoint, client: httpx.AsyncClient
) -> None:
    script.set(pre_sign_up={"response": {"autoConfirmUser": True}})
    answer = await invoke(http_triggers(endpoint, client))
    assert answer is not None and answer["response"] == {
        "autoConfirmUser": True,
        "autoVerifyEmail": False,
        "autoVerifyPhone": False,
    }
    [request] = endpoint.received
    assert request.path == "/pre_sign_up"
    assert request.signed
    assert json.loads(request.body) == sign_up_event()
    assert request.headers["content-type"] == "application/json"
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    assert request.headers["webhook-id"].startswith("trg_")
    assert script.events("pre_sign_up") == [sign_up_event()]


@pytest.mark.anyio
async def test_a_wrong_secret_does_not_verify(
    script: TriggerScript, endpoint: TriggerEndpoint, client: httpx.AsyncClient
) -> None:
    with pytest.raises(UnexpectedLambdaException) as caught:
        await invoke(http_triggers(endpoint, client, secret="another-secret-of-length"))
    assert caught.value.message == (
        "PreSignUp invocation failed due to error AccessDeniedException."
    )
    assert [r.signed for r in endpoint.received] == [False]  # 401: not retried
    assert script.events() == []


@pytest.mark.anyio
async def test_a_whsec_secret_is_decoded(script: TriggerScript, client: httpx.AsyncClient) -> None:
    raw = "k" * 24
    with TriggerEndpoint(secret=raw) as endpoint:
        whsec = "whsec_" + base64.b64encode(raw.encode()).decode()
        assert await invoke(http_triggers(endpoint, client, secret=whsec)) is not None
        assert endpoint.received[0].signed


@pytest.mark.anyio
async def test_the_endpoints_error_is_the_functions_error(
    script: TriggerScript, endpoint: TriggerEndpoint, client: httpx.AsyncClient
) -> None:
    script.set(pre_sign_up={"raise": "No sign-ups on Sundays"})
    with pytest.raises(UserLambdaValidationException) as caught:
        await invoke(http_triggers(endpoint, client))
    assert caught.value.message == "PreSignUp failed with error No sign-ups on Sundays."
    assert [r.status for r in endpoint.received] == [400]


@pytest.mark.anyio
async def test_throttling_and_5xx_are_retried(
    script: TriggerScript, endpoint: TriggerEndpoint, client: httpx.AsyncClient
) -> None:
    endpoint.refuse = [429, 503]
    answer = await invoke(http_triggers(endpoint, client))
    assert answer is not None
    assert [r.status for r in endpoint.received] == [429, 503, 200]
    # Three refusals: the third attempt was the last.
    endpoint.received.clear()
    endpoint.refuse = [500, 502, 503, 504]
    with pytest.raises(UnexpectedLambdaException) as caught:
        await invoke(http_triggers(endpoint, client))
    assert caught.value.message == "PreSignUp invocation failed due to error ServiceException."
    assert [r.status for r in endpoint.received] == [500, 502, 503]
    assert len(script.calls("pre_sign_up")) == 1  # only the first round reached the function


@pytest.mark.anyio
async def test_other_refusals_are_not_retried(
    endpoint: TriggerEndpoint, client: httpx.AsyncClient
) -> None:
    with pytest.raises(UnexpectedLambdaException) as caught:
        await invoke(http_triggers(endpoint, client, url=endpoint.target("no_such_function")))
    assert caught.value.message == (
        "PreSignUp invocation failed due to error ResourceNotFoundException."
    )
    assert [r.status for r in endpoint.received] == [404]


@pytest.mark.anyio
async def test_a_slow_endpoint_is_tried_three_times(
    script: TriggerScript, endpoint: TriggerEndpoint, client: httpx.AsyncClient
) -> None:
    endpoint.delay = 1.0
    started = time.monotonic()
    with pytest.raises(UnexpectedLambdaException) as caught:
        await invoke(http_triggers(endpoint, client, timeout=0.3))
    assert time.monotonic() - started < 2.0
    assert caught.value.message.endswith("Socket timeout while invoking Lambda function.")
    assert len(endpoint.received) == 3
    assert len({r.headers["webhook-id"] for r in endpoint.received}) == 3  # each signed anew


@pytest.mark.anyio
@pytest.mark.parametrize("raw", [b"<html>oops</html>", b'"just a string"', b"", b"{}"])
async def test_an_answer_that_is_not_the_event_is_invalid(
    endpoint: TriggerEndpoint, client: httpx.AsyncClient, raw: bytes
) -> None:
    endpoint.raw = raw
    with pytest.raises(InvalidLambdaResponseException):
        await invoke(http_triggers(endpoint, client))
    assert len(endpoint.received) == 1


@pytest.mark.anyio
async def test_an_endpoint_nobody_listens_on_is_unexpected(
    endpoint: TriggerEndpoint, client: httpx.AsyncClient
) -> None:
    url = endpoint.target("pre_sign_up")
    endpoint.close()
    with pytest.raises(UnexpectedLambdaException) as caught:
        await invoke(http_triggers(endpoint, client, url=url))
    assert caught.value.message == "PreSignUp invocation failed due to error ConnectError."
