"""CUSTOM_AUTH with the real amazon-cognito-identity-js (tests/node/cognito_identity_js.mjs)
against a live server whose challenge functions are in-process Python (tests/support/
trigger_functions.py's quiz: "round n: what is n + n?", three rounds): `initiateAuth` (no
password) and `authenticateUser` with CUSTOM_AUTH (SRP first), each through three rounds of
`customChallenge` / `sendCustomChallengeAnswer`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.factories import PASSWORD, make_client, make_pool, make_user
from tests.support.live import Server, run_server
from tests.support.node import calls, run_node
from tests.support.triggers import TriggerScript, lambda_config

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js"),
]

QUIZ = lambda_config(
    DefineAuthChallenge="quiz_define",
    CreateAuthChallenge="quiz_create",
    VerifyAuthChallengeResponse="quiz_verify",
)
RIGHT = ["2", "4", "6"]


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("custom-auth-js")


@pytest.fixture(scope="module")
def server(directory: Path) -> Iterator[Server]:
    env = TriggerScript(directory).env(["quiz_define", "quiz_create", "quiz_verify"])
    with run_server(directory, extra_env=env) as live:
        yield live


@pytest.fixture
def script(directory: Path) -> Iterator[TriggerScript]:
    script = TriggerScript(directory)
    script.reset()
    yield script
    script.reset()


@pytest.fixture(scope="module")
def app(server: Server) -> dict[str, str]:
    pool_id = str(make_pool(server, LambdaConfig=QUIZ)["Id"])
    client = make_client(
        server,
        pool_id,
        ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED",
    )
    return {"endpoint": server.url, "userPoolId": pool_id, "clientId": str(client["ClientId"])}


def test_initiate_auth_through_three_custom_challenges(
    server: Server, app: dict[str, str], script: TriggerScript
) -> None:
    user = make_user(server, app["userPoolId"])
    steps = run_node(
        "cognito_identity_js.mjs",
        {
            **app,
            "steps": [
                {
                    "op": "initiateAuth",
                    "username": user,
                    "clientMetadata": {"app": "js"},
                    "challengeAnswers": RIGHT,
                },
                {"op": "getSession"},
                {
                    "name": "wrong",
                    "op": "initiateAuth",
                    "username": user,
                    "challengeAnswers": ["2", "5"],
                    "expectError": True,
                },
            ],
        },
    )
    done = steps["initiateAuth"]["result"]
    assert done["callbacks"] == ["customChallenge"] * 3 + ["onSuccess"]
    assert [c["question"] for c in done["challenges"]] == [
        f"round {n}: what is {n} + {n}?" for n in (1, 2, 3)
    ]
    assert all(c["USERNAME"] == user for c in done["challenges"])
    assert all("answer" not in c and "secret" not in c for c in done["challenges"])
    assert done["session"]["idTokenPayload"]["cognito:username"] == user
    assert (
        calls(steps["initiateAuth"])
        == [("InitiateAuth", "CUSTOM_AUTH")] + [("RespondToAuthChallenge", "CUSTOM_CHALLENGE")] * 3
    )
    # The library keeps the session like any other sign-in's.
    assert steps["getSession"]["result"]["username"] == user
    # The library's ClientMetadata reached the functions.
    assert script.events("quiz_define")[0]["request"]["clientMetadata"] == {"app": "js"}
    assert script.events("quiz_verify")[0]["request"]["clientMetadata"] == {"app": "js"}
    wrong = steps["wrong"]
    assert wrong["ok"] is False
    assert wrong["error"]["name"] == "NotAuthorizedException"
    assert wrong["error"]["message"] == "Incorrect username or password."


def test_authenticate_user_with_custom_auth_verifies_the_password_first(
    server: Server, app: dict[str, str], script: TriggerScript
) -> None:
    user = make_user(server, app["userPoolId"])
    steps = run_node(
        "cognito_identity_js.mjs",
        {
            **app,
            "steps": [
                {
                    "op": "authenticateUser",
                    "username": user,
                    "password": PASSWORD,
                    "authenticationFlowType": "CUSTOM_AUTH",
                    "challengeAnswers": RIGHT,
                },
                {
                    "name": "wrong password",
                    "op": "authenticateUser",
                    "username": user,
                    "password": "Wr0ng-Horse!",
                    "authenticationFlowType": "CUSTOM_AUTH",
                    "challengeAnswers": RIGHT,
                    "expectError": True,
                },
            ],
        },
    )
    done: dict[str, Any] = steps["authenticateUser"]["result"]
    assert done["callbacks"] == ["customChallenge"] * 3 + ["onSuccess"]
    assert (
        calls(steps["authenticateUser"])
        == [
            ("InitiateAuth", "CUSTOM_AUTH"),
            ("RespondToAuthChallenge", "PASSWORD_VERIFIER"),
        ]
        + [("RespondToAuthChallenge", "CUSTOM_CHALLENGE")] * 3
    )
    sessions = [e["request"]["session"] for e in script.events("quiz_define")]
    assert [s["challengeName"] for s in sessions[1]] == ["SRP_A", "PASSWORD_VERIFIER"]
    wrong = steps["wrong password"]
    assert wrong["ok"] is False and wrong["error"]["name"] == "NotAuthorizedException"
    assert calls(wrong)[-1] == ("RespondToAuthChallenge", "PASSWORD_VERIFIER")
