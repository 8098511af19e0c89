"""The three transports behind a live server (boto3 SignUp firing PreSignUp): one pool's
function in-process, one's at an HTTP endpoint (trigger_targets), one's on the Lambda stand-in
(an ARN nobody mapped); each one's error reaching the caller as Cognito's; a slow function tried
three times within the time limit and leaving no user; a sleeping function leaving the server
free to answer other requests meanwhile."""

from __future__ import annotations

import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support import trigger_functions
from tests.support.cognito import attrs, error, unique
from tests.support.factories import PASSWORD, make_client, make_pool
from tests.support.lambda_stand_in import LambdaStandIn
from tests.support.live import Server, run_server
from tests.support.trigger_endpoint import SECRET, TriggerEndpoint
from tests.support.triggers import TriggerScript, arn

ON_HTTP = arn("pre_sign_up", "eu-west-1")  # mapped to the endpoint
ON_LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:pre-sign-up-on-lambda"


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, TriggerScript, TriggerEndpoint, LambdaStandIn]]:
    tmp: Path = tmp_path_factory.mktemp("trigger-transports")
    script = TriggerScript(tmp)
    with (
        TriggerEndpoint() as endpoint,
        LambdaStandIn({"pre-sign-up-on-lambda": trigger_functions.pre_sign_up}) as stand_in,
    ):
        env = script.env()
        env["MAMORI_TRIGGER_TARGETS"] += f",{ON_HTTP}={endpoint.target('pre_sign_up')}"
        env.update(stand_in.env())
        env["MAMORI_TRIGGER_HTTP_SECRET"] = SECRET
        env["MAMORI_TRIGGER_TIMEOUT_SECONDS"] = "1"
        with pytest.MonkeyPatch.context() as patch:
            # The endpoint and the stand-in run the functions in this process: same script.
            patch.setenv(trigger_functions.ENV, str(script.directory))
            with run_server(tmp, "sqlite", extra_env=env) as server:
                yield server, script, endpoint, stand_in


@pytest.fixture()
def script(live: tuple[Server, TriggerScript, Any, Any]) -> TriggerScript:
    live[1].reset()
    return live[1]


@pytest.fixture()
def server(live: tuple[Server, TriggerScript, Any, Any]) -> Server:
    return live[0]


def pool_with(server: Server, pre_sign_up: str) -> tuple[str, str]:
    """(client id, pool id) of a new pool whose PreSignUp is `pre_sign_up`."""
    pool_id = str(make_pool(server, LambdaConfig={"PreSignUp": pre_sign_up})["Id"])
    return str(make_client(server, pool_id)["ClientId"]), pool_id


def sign_up(server: Server, client_id: str, username: str) -> dict[str, Any]:
    return dict(
        server.public().sign_up(
            ClientId=client_id,
            Username=username,
            Password=PASSWORD,
            UserAttributes=attrs(email=f"{username}@example.com"),
        )
    )


def status(server: Server, pool_id: str, username: str) -> str | None:
    try:
        user = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "UserNotFoundException"
        return None
    return str(user["UserStatus"])


@pytest.mark.parametrize("where", ["python", "http", "lambda"])
def test_each_transport_confirms_and_refuses(
    server: Server,
    script: TriggerScript,
    live: tuple[Server, TriggerScript, TriggerEndpoint, LambdaStandIn],
    where: str,
) -> None:
    function = {"python": arn("pre_sign_up"), "http": ON_HTTP, "lambda": ON_LAMBDA}[where]
    client_id, pool_id = pool_with(server, function)
    script.set(pre_sign_up={"response": {"autoConfirmUser": True}})
    name = unique()
    assert sign_up(server, client_id, name)["UserConfirmed"] is True
    assert status(server, pool_id, name) == "CONFIRMED"
    [event] = script.events("pre_sign_up")
    assert event["triggerSource"] == "PreSignUp_SignUp"
    assert event["userPoolId"] == pool_id and event["userName"] == name
    assert event["callerContext"]["clientId"] == client_id
    # Where the call went: only this transport's log grew.
    _, _, endpoint, stand_in = live
    http_calls = [r for r in endpoint.received if r.signed and name.encode() in r.body]
    lambda_calls = [c for c in stand_in.calls() if c.event and c.event["userName"] == name]
    assert len(http_calls) == (where == "http")
    assert len(lambda_calls) == (where == "lambda")
    # In-process means in the server's process; the others ran in this one's.
    [call] = script.calls("pre_sign_up")
    assert (call["pid"] != os.getpid()) == (where == "python")
    # The function's error: the caller gets it, and no user is made.
    script.set(pre_sign_up={"raise": f"no {where} sign-ups"})
    refused = unique()
    with pytest.raises(ClientError) as caught:
        sign_up(server, client_id, refused)
    assert error(caught) == (
        "UserLambdaValidationException",
        f"PreSignUp failed with error no {where} sign-ups.",
    )
    assert status(server, pool_id, refused) is None


def test_a_slow_function_is_tried_three_times_and_makes_no_user(
    server: Server, script: TriggerScript
) -> None:
    client_id, pool_id = pool_with(server, arn("pre_sign_up"))
    script.set(pre_sign_up={"sleep": 3})
    name = unique()
    started = time.monotonic()
    with pytest.raises(ClientError) as caught:
        sign_up(server, client_id, name)
    took = time.monotonic() - started
    assert error(caught) == (
        "UnexpectedLambdaException",
        "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function.",
    )
    assert 3.0 <= took < 6.0  # three attempts of trigger_timeout_seconds (1 s)
    assert len(script.calls("pre_sign_up")) == 3
    assert status(server, pool_id, name) is None


def _health_times(server: Server, seconds: float) -> list[float]:
    """How long each /health took, asked one after another for `seconds`."""
    times: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        with urllib.request.urlopen(server.url + "/health", timeout=10) as answer:
            assert answer.status == 200
        times.append(time.monotonic() - started)
    return times


@pytest.mark.parametrize("function", ["pre_sign_up", "loop_blocker"])
def test_a_sleeping_function_leaves_the_server_free(
    server: Server, script: TriggerScript, function: str
) -> None:
    """A plain function sleeping 0.8 s runs on its thread: /health keeps answering at once.
    The control: an `async def` that sleeps without awaiting holds the loop, and /health
    waits for it (so the measure can tell)."""
    client_id, _ = pool_with(server, arn(function))
    script.set(**{function: {"sleep": 0.8}})
    signing_up = threading.Thread(target=sign_up, args=(server, client_id, unique()))
    signing_up.start()
    deadline = time.monotonic() + 5
    while not script.calls(function) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert script.calls(function), "the function was not called"
    slowest = max(_health_times(server, 0.5))
    signing_up.join()
    if function == "pre_sign_up":
        assert slowest < 0.25
    else:
        assert slowest > 0.3
