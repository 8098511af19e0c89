"""CUSTOM_AUTH through boto3 against a live server whose DefineAuthChallenge,
CreateAuthChallenge and VerifyAuthChallengeResponse are in-process Python functions
(tests/support/trigger_functions.py's quiz: "round n: what is n + n?", three rounds, the SRP
password first when the sign-in starts with CHALLENGE_NAME SRP_A)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP, long_to_hex
from tests.support.factories import PASSWORD, make_client, make_pool, make_user
from tests.support.live import Server, run_server
from tests.support.mfa import enroll_totp, mfa_pool
from tests.support.triggers import TriggerScript, lambda_config

QUIZ = lambda_config(
    DefineAuthChallenge="quiz_define",
    CreateAuthChallenge="quiz_create",
    VerifyAuthChallengeResponse="quiz_verify",
)
FLOWS = ["ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
WRONG = "Incorrect username or password."
# Every privateChallengeParameters the quiz makes carries this: no response may.
PRIVATE_MARK = "s3cr3t"


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("custom-auth")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def server(request: pytest.FixtureRequest, directory: Path) -> Iterator[Server]:
    env = TriggerScript(directory).env(
        ["quiz_define", "quiz_create", "quiz_verify", "pre_authentication"]
    )
    with run_server(directory, request.param, extra_env=env) as live:
        yield live


@pytest.fixture
def script(directory: Path) -> Iterator[TriggerScript]:
    script = TriggerScript(directory)
    script.reset()
    yield script
    script.reset()


@pytest.fixture(scope="module")
def pool_id(server: Server) -> str:
    return str(make_pool(server, LambdaConfig=QUIZ)["Id"])


@pytest.fixture(scope="module")
def client_id(server: Server, pool_id: str) -> str:
    made = make_client(
        server, pool_id, ExplicitAuthFlows=FLOWS, PreventUserExistenceErrors="ENABLED"
    )
    return str(made["ClientId"])


class Recorder:
    """Every response the client got, to check that no private parameter reached it."""

    def __init__(self, server: Server, client_id: str) -> None:
        self.api = server.public()
        self.client_id = client_id
        self.seen: list[dict[str, Any]] = []

    def start(self, **params: str) -> dict[str, Any]:
        out = self.api.initiate_auth(
            ClientId=self.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters=params
        )
        self.seen.append(out)
        return dict(out)

    def respond(self, name: str, session: str | None, **responses: str) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if session is not None:
            kwargs["Session"] = session
        out = self.api.respond_to_auth_challenge(
            ClientId=self.client_id,
            ChallengeName=name,
            ChallengeResponses=responses,
            **kwargs,
        )
        self.seen.append(out)
        return dict(out)

    def answer(self, out: dict[str, Any], user: str, answer: str | None = None) -> dict[str, Any]:
        """Answers a quiz question (right unless `answer` says otherwise)."""
        assert out["ChallengeName"] == "CUSTOM_CHALLENGE", out
        question = out["ChallengeParameters"]["question"]
        n = int(question.split()[1].rstrip(":"))
        return self.respond(
            "CUSTOM_CHALLENGE", out["Session"], USERNAME=user, ANSWER=answer or str(n + n)
        )

    def private_leaked(self) -> bool:
        return PRIVATE_MARK in json.dumps(self.seen)


def fails(call: Any, code: str, message: str | None = None) -> None:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    assert error["Code"] == code, error
    if message is not None:
        assert error["Message"] == message, error


def test_three_rounds_answered_right_sign_in(
    server: Server, pool_id: str, client_id: str, script: TriggerScript
) -> None:
    user = make_user(server, pool_id)
    flow = Recorder(server, client_id)
    out = flow.start(USERNAME=user)
    questions = []
    for _ in range(3):
        assert out["ChallengeName"] == "CUSTOM_CHALLENGE"
        assert out["ChallengeParameters"]["USERNAME"] == user
        questions.append(out["ChallengeParameters"]["question"])
        out = flow.answer(out, user)
    assert questions == [f"round {n}: what is {n} + {n}?" for n in (1, 2, 3)]
    tokens = out["AuthenticationResult"]
    claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
    assert claims["cognito:username"] == user
    assert not flow.private_leaked()
    # What the functions were told, as Cognito tells them.
    defines = script.events("quiz_define")
    assert [len(e["request"]["session"]) for e in defines] == [0, 1, 2, 3]
    assert defines[-1]["request"]["session"] == [
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": m}
        for m in ("ROUND_1", "ROUND_2", "ROUND_3")
    ]
    first = defines[0]
    assert first["triggerSource"] == "DefineAuthChallenge_Authentication"
    assert first["userPoolId"] == pool_id and first["userName"] == user
    assert first["callerContext"]["clientId"] == client_id
    assert first["request"]["userNotFound"] is False
    assert first["request"]["userAttributes"]["email"] == f"{user}@example.com"
    assert first["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    creates = script.events("quiz_create")
    assert [e["triggerSource"] for e in creates] == ["CreateAuthChallenge_Authentication"] * 3
    assert creates[1]["request"]["challengeName"] == "CUSTOM_CHALLENGE"
    assert len(creates[1]["request"]["session"]) == 1
    verifies = script.events("quiz_verify")
    assert verifies[0]["triggerSource"] == "VerifyAuthChallengeResponse_Authentication"
    assert verifies[0]["request"]["challengeAnswer"] == "2"
    # The private parameters came back to the function that checks the answer, and only there.
    assert verifies[2]["request"]["privateChallengeParameters"] == {
        "answer": "6",
        "secret": "private-3-s3cr3t",
    }


def test_a_wrong_answer_fails_the_sign_in(
    server: Server, pool_id: str, client_id: str, script: TriggerScript
) -> None:
    user = make_user(server, pool_id)
    flow = Recorder(server, client_id)
    out = flow.answer(flow.start(USERNAME=user), user)  # round 1 right
    fails(lambda: flow.answer(out, user, answer="nope"), "NotAuthorizedException", WRONG)
    last = script.events("quiz_define")[-1]["request"]["session"]
    assert [s["challengeResult"] for s in last] == [True, False]
    # The Session answered is spent: answering it again, even right, is refused.
    fails(lambda: flow.answer(out, user), "NotAuthorizedException")
    assert not flow.private_leaked()


def test_a_wrong_answer_may_be_followed_by_another_question(
    server: Server, pool_id: str, client_id: str, script: TriggerScript
) -> None:
    script.set(quiz_define={"retry": True, "rounds": 1})
    user = make_user(server, pool_id)
    flow = Recorder(server, client_id)
    first = flow.start(USERNAME=user)
    again = flow.answer(first, user, answer="41")
    assert again["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert again["Session"] != first["Session"]
    assert "AccessToken" in flow.answer(again, user)["AuthenticationResult"]


def test_fail_authentication_refuses(
    server: Server, pool_id: str, client_id: str, script: TriggerScript
) -> None:
    user = make_user(server, pool_id)
    script.set(quiz_define={"response": {"failAuthentication": True}})
    fails(lambda: Recorder(server, client_id).start(USERNAME=user), "NotAuthorizedException", WRONG)
    assert script.events("quiz_create") == []
    # Positive control: the same user signs in once Define lets it.
    script.reset()
    flow = Recorder(server, client_id)
    out = flow.start(USERNAME=user)
    for _ in range(3):
        out = flow.answer(out, user)
    assert "AccessToken" in out["AuthenticationResult"]


def test_srp_then_custom_challenges(
    server: Server, pool_id: str, client_id: str, script: TriggerScript
) -> None:
    user = make_user(server, pool_id)
    flow = Recorder(server, client_id)
    aws = AWSSRP(user, PASSWORD, pool_id, client_id, client=server.public())
    params = {"USERNAME": user, "CHALLENGE_NAME": "SRP_A", "SRP_A": long_to_hex(aws.large_a_value)}
    out = flow.start(**params)
    assert out["ChallengeName"] == "PASSWORD_VERIFIER"
    claim = aws.process_challenge(out["ChallengeParameters"], params)
    out = flow.api.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=claim,
        ClientMetadata={"step": "password"},
    )
    flow.seen.append(out)
    for _ in range(3):
        out = flow.answer(out, user)
    assert "AccessToken" in out["AuthenticationResult"]
    sessions = [e["request"]["session"] for e in script.events("quiz_define")]
    assert sessions[0] == [{"challengeName": "SRP_A", "challengeResult": True}]
    assert sessions[1] == [
        {"challengeName": "SRP_A", "challengeResult": True},
        {"challengeName": "PASSWORD_VERIFIER", "challengeResult": True},
    ]
    assert script.events("quiz_define")[1]["request"]["clientMetadata"] == {"step": "password"}
    assert [s["challengeName"] for s in sessions[-1]] == ["SRP_A", "PASSWORD_VERIFIER"] + [
        "CUSTOM_CHALLENGE"
    ] * 3
    assert not flow.private_leaked()


def test_srp_with_a_wrong_password_never_reaches_the_custom_challenges(
    server: Server, pool_id: str, client_id: str, script: TriggerScript
) -> None:
    user = make_user(server, pool_id)
    aws = AWSSRP(user, "Wr0ng-Horse!", pool_id, client_id, client=server.public())
    params = {"USERNAME": user, "CHALLENGE_NAME": "SRP_A", "SRP_A": long_to_hex(aws.large_a_value)}
    flow = Recorder(server, client_id)
    out = flow.start(**params)
    claim = aws.process_challenge(out["ChallengeParameters"], params)
    fails(lambda: flow.respond("PASSWORD_VERIFIER", None, **claim), "NotAuthorizedException", WRONG)
    assert len(script.events("quiz_define")) == 1
    assert script.events("quiz_create") == []


def test_a_failing_function_refuses_with_its_message_and_no_tokens(
    server: Server, pool_id: str, client_id: str, script: TriggerScript
) -> None:
    user = make_user(server, pool_id)
    flow = Recorder(server, client_id)
    out = flow.answer(flow.start(USERNAME=user), user)
    script.set(quiz_verify={"raise": "no quiz today"})
    fails(
        lambda: flow.answer(out, user),
        "UserLambdaValidationException",
        "VerifyAuthChallengeResponse failed with error no quiz today.",
    )
    assert all("AuthenticationResult" not in r for r in flow.seen)
    script.set(quiz_define={"raise": "closed"})
    fails(
        lambda: flow.start(USERNAME=user),
        "UserLambdaValidationException",
        "DefineAuthChallenge failed with error closed.",
    )
    script.reset()
    script.set(quiz_create={"answer": {"response": {"publicChallengeParameters": {"n": 1}}}})
    fails(lambda: flow.start(USERNAME=user), "InvalidLambdaResponseException")


def test_a_client_without_allow_custom_auth_is_refused(
    server: Server, pool_id: str, script: TriggerScript
) -> None:
    user = make_user(server, pool_id)
    srp_only = make_client(server, pool_id, ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"])
    fails(
        lambda: Recorder(server, srp_only["ClientId"]).start(USERNAME=user),
        "InvalidParameterException",
        "CUSTOM_AUTH flow not enabled for this client",
    )
    assert script.events() == []


def test_a_pool_without_the_functions_is_refused(server: Server, script: TriggerScript) -> None:
    bare = make_pool(server)
    client = make_client(server, bare["Id"], ExplicitAuthFlows=FLOWS)
    user = make_user(server, bare["Id"])
    fails(
        lambda: Recorder(server, client["ClientId"]).start(USERNAME=user),
        "InvalidParameterException",
        "Custom auth lambda trigger is not configured for the user pool.",
    )


def test_an_unknown_user_is_questioned_and_never_signed_in(
    server: Server, pool_id: str, client_id: str, script: TriggerScript
) -> None:
    flow = Recorder(server, client_id)
    out = flow.start(USERNAME="nobody-here")
    assert out["ChallengeName"] == "CUSTOM_CHALLENGE"
    first = script.events("quiz_define")[0]["request"]
    assert first["userNotFound"] is True and first["userAttributes"] == {}
    for _ in range(2):
        out = flow.answer(out, "nobody-here")
    # The functions say tokens; nobody holds the name, so none are issued.
    fails(lambda: flow.answer(out, "nobody-here"), "NotAuthorizedException", WRONG)
    # Where the client reveals user existence, the name is refused at once.
    legacy = make_client(
        server, pool_id, ExplicitAuthFlows=FLOWS, PreventUserExistenceErrors="LEGACY"
    )
    fails(
        lambda: Recorder(server, legacy["ClientId"]).start(USERNAME="nobody-here"),
        "UserNotFoundException",
    )


def test_admin_initiate_auth_runs_the_same_challenges(
    server: Server, pool_id: str, client_id: str, script: TriggerScript
) -> None:
    user = make_user(server, pool_id)
    admin = server.admin()
    script.set(quiz_define={"rounds": 1})
    out = admin.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": user},
        ClientMetadata={"app": "backend"},
    )
    assert out["ChallengeName"] == "CUSTOM_CHALLENGE"
    done = admin.admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=out["Session"],
        ChallengeResponses={"USERNAME": user, "ANSWER": "2"},
        ClientMetadata={"app": "answer"},
    )
    assert "AccessToken" in done["AuthenticationResult"]
    assert script.events("quiz_define")[0]["request"]["clientMetadata"] == {"app": "backend"}
    assert script.events("quiz_verify")[0]["request"]["clientMetadata"] == {"app": "answer"}


def test_pre_authentication_runs_before_define_and_may_refuse(
    server: Server, script: TriggerScript
) -> None:
    pool_id = str(
        make_pool(
            server, LambdaConfig={**QUIZ, **lambda_config(PreAuthentication="pre_authentication")}
        )["Id"]
    )
    client = make_client(server, pool_id, ExplicitAuthFlows=FLOWS)["ClientId"]
    user = make_user(server, pool_id)
    script.set(pre_authentication={"raise": "not today"}, quiz_define={"rounds": 1})
    fails(
        lambda: Recorder(server, client).start(USERNAME=user, CHALLENGE_NAME="CUSTOM_CHALLENGE"),
        "UserLambdaValidationException",
        "PreAuthentication failed with error not today.",
    )
    assert script.events("quiz_define") == []
    script.set(pre_authentication={})
    flow = Recorder(server, client)
    done = flow.answer(flow.start(USERNAME=user), user)
    assert "AccessToken" in done["AuthenticationResult"]
    (called,) = script.events("pre_authentication")[1:]
    assert called["triggerSource"] == "PreAuthentication_Authentication"


def test_mfa_follows_only_when_the_password_was_verified(
    server: Server, script: TriggerScript
) -> None:
    pool_id, client = mfa_pool(
        server,
        "OPTIONAL",
        sms=False,
        client={
            "ExplicitAuthFlows": [*FLOWS, "ALLOW_USER_PASSWORD_AUTH"],
            "PreventUserExistenceErrors": "ENABLED",
        },
        LambdaConfig=QUIZ,
    )
    user = make_user(server, pool_id)
    totp = enroll_totp(server, pool_id, client, user)
    script.set(quiz_define={"rounds": 1})
    # Custom challenges alone: no MFA step (Cognito).
    flow = Recorder(server, client)
    assert "AccessToken" in flow.answer(flow.start(USERNAME=user), user)["AuthenticationResult"]
    # With the password first, the user's software token is asked after the custom round.
    aws = AWSSRP(user, PASSWORD, pool_id, client, client=server.public())
    params = {"USERNAME": user, "CHALLENGE_NAME": "SRP_A", "SRP_A": long_to_hex(aws.large_a_value)}
    out = flow.start(**params)
    out = flow.respond(
        "PASSWORD_VERIFIER", None, **aws.process_challenge(out["ChallengeParameters"], params)
    )
    out = flow.answer(out, user)
    assert out["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = flow.respond(
        "SOFTWARE_TOKEN_MFA", out["Session"], USERNAME=user, SOFTWARE_TOKEN_MFA_CODE=totp.code()
    )
    assert "AccessToken" in done["AuthenticationResult"]


def test_a_temporary_password_is_replaced_after_the_custom_rounds(
    server: Server, pool_id: str, client_id: str, script: TriggerScript
) -> None:
    user = make_user(server, pool_id, confirmed=False)
    script.set(quiz_define={"rounds": 1})
    flow = Recorder(server, client_id)
    out = flow.answer(flow.start(USERNAME=user), user)
    assert out["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    done = flow.respond(
        "NEW_PASSWORD_REQUIRED", out["Session"], USERNAME=user, NEW_PASSWORD="An0ther-Horse!"
    )
    assert "AccessToken" in done["AuthenticationResult"]


def test_parameters_too_large_to_seal_are_refused(
    server: Server, pool_id: str, client_id: str, script: TriggerScript
) -> None:
    user = make_user(server, pool_id)
    flow = Recorder(server, client_id)
    big = {"response": {"privateChallengeParameters": {"answer": "x" * 1100}}}
    script.set(quiz_create=big)
    fails(lambda: flow.start(USERNAME=user), "InvalidLambdaResponseException")
    script.set(quiz_create={"response": {"challengeMetadata": "é" * 20}})
    fails(lambda: flow.start(USERNAME=user), "InvalidLambdaResponseException")
    # Positive control: at the bounds, the Session is made and answered.
    script.set(
        quiz_create={
            "response": {
                "privateChallengeParameters": {"answer": "2", "pad": "p" * 990},
                "challengeMetadata": "m" * 64,
            }
        },
        quiz_define={"rounds": 1},
    )
    done = flow.answer(flow.start(USERNAME=user), user)
    assert "AccessToken" in done["AuthenticationResult"]
