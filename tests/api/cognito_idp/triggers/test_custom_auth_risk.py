"""Threat protection over CUSTOM_AUTH (docs/threat-protection.md, "Custom authentication"):
custom sign-ins are covered only when AdvancedSecurityAdditionalFlows.CustomAuthMode is set,
in that mode, whatever the pool's. boto3's AdminInitiateAuth with ContextData places the end
user; the quiz functions of tests/support/trigger_functions.py ask one round."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import error
from tests.support.factories import PASSWORD, make_client, make_pool, make_user
from tests.support.live import Server, run_server
from tests.support.triggers import TriggerScript, lambda_config

QUIZ = lambda_config(
    DefineAuthChallenge="quiz_define",
    CreateAuthChallenge="quiz_create",
    VerifyAuthChallengeResponse="quiz_verify",
)
BLOCKED_RANGE = "203.0.113.0/24"
INSIDE = "203.0.113.50"
OUTSIDE = "192.0.2.10"
BLOCKED = ("NotAuthorizedException", "Unable to login because of security reasons.")


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("custom-auth-risk")


@pytest.fixture(scope="module")
def server(directory: Path) -> Iterator[Server]:
    env = TriggerScript(directory).env(["quiz_define", "quiz_create", "quiz_verify"])
    with run_server(directory, extra_env=env) as live:
        yield live


@pytest.fixture
def script(directory: Path) -> Iterator[TriggerScript]:
    script = TriggerScript(directory)
    script.reset()
    script.set(quiz_define={"rounds": 1})
    yield script
    script.reset()


def protected(server: Server, mode: str, custom_mode: str | None) -> tuple[str, str]:
    add_ons: dict[str, Any] = {"AdvancedSecurityMode": mode}
    if custom_mode is not None:
        add_ons["AdvancedSecurityAdditionalFlows"] = {"CustomAuthMode": custom_mode}
    pool_id = str(make_pool(server, LambdaConfig=QUIZ, UserPoolAddOns=add_ons)["Id"])
    server.admin().set_risk_configuration(
        UserPoolId=pool_id, RiskExceptionConfiguration={"BlockedIPRangeList": [BLOCKED_RANGE]}
    )
    client = make_client(
        server,
        pool_id,
        ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"],
        PreventUserExistenceErrors="ENABLED",
    )
    return pool_id, str(client["ClientId"])


def context(ip: str) -> dict[str, Any]:
    return {
        "IpAddress": ip,
        "ServerName": "app.example.com",
        "ServerPath": "/login",
        "HttpHeaders": [],
    }


def custom_sign_in(
    server: Server, pool_id: str, client_id: str, user: str, ip: str, answer: str = "2"
) -> dict[str, Any]:
    admin = server.admin()
    out = admin.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": user},
        ContextData=context(ip),
    )
    return dict(
        admin.admin_respond_to_auth_challenge(
            UserPoolId=pool_id,
            ClientId=client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=out["Session"],
            ChallengeResponses={"USERNAME": user, "ANSWER": answer},
            ContextData=context(ip),
        )
    )


def password_sign_in(server: Server, pool_id: str, client_id: str, user: str, ip: str) -> Any:
    return server.admin().admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
        ContextData=context(ip),
    )


def events(server: Server, pool_id: str, user: str) -> list[dict[str, Any]]:
    out = server.admin().admin_list_user_auth_events(UserPoolId=pool_id, Username=user)
    return list(out["AuthEvents"])


def test_without_custom_auth_mode_custom_sign_ins_are_not_looked_at(
    server: Server, script: TriggerScript
) -> None:
    pool_id, client_id = protected(server, "ENFORCED", None)
    user = make_user(server, pool_id)
    # Positive control: the pool's own mode refuses a password from the blocked range.
    with pytest.raises(ClientError) as refused:
        password_sign_in(server, pool_id, client_id, user, INSIDE)
    assert error(refused) == BLOCKED
    recorded = len(events(server, pool_id, user))
    assert recorded == 1
    done = custom_sign_in(server, pool_id, client_id, user, INSIDE)
    assert "AccessToken" in done["AuthenticationResult"]
    assert len(events(server, pool_id, user)) == recorded


def test_enforced_custom_auth_mode_refuses_a_blocked_range_before_any_function(
    server: Server, script: TriggerScript
) -> None:
    pool_id, client_id = protected(server, "AUDIT", "ENFORCED")
    user = make_user(server, pool_id)
    with pytest.raises(ClientError) as refused:
        custom_sign_in(server, pool_id, client_id, user, INSIDE)
    assert error(refused) == BLOCKED
    assert script.events("quiz_define") == []
    (refusal,) = events(server, pool_id, user)
    assert refusal["EventResponse"] == "Fail"
    assert refusal["EventRisk"]["RiskDecision"] == "Block"
    # Elsewhere the same user signs in, recorded as a passed sign-in.
    done = custom_sign_in(server, pool_id, client_id, user, OUTSIDE)
    assert "AccessToken" in done["AuthenticationResult"]
    latest = events(server, pool_id, user)[0]
    assert latest["EventResponse"] == "Pass"
    assert latest["EventContextData"]["IpAddress"] == OUTSIDE
    # The pool's own mode (AUDIT) still only records passwords from the blocked range.
    assert "AuthenticationResult" in password_sign_in(server, pool_id, client_id, user, INSIDE)


def test_audit_custom_auth_mode_records_and_a_wrong_answer_is_a_failure(
    server: Server, script: TriggerScript
) -> None:
    pool_id, client_id = protected(server, "ENFORCED", "AUDIT")
    user = make_user(server, pool_id)
    done = custom_sign_in(server, pool_id, client_id, user, INSIDE)
    assert "AccessToken" in done["AuthenticationResult"]
    (passed,) = events(server, pool_id, user)
    assert passed["EventResponse"] == "Pass"
    with pytest.raises(ClientError) as wrong:
        custom_sign_in(server, pool_id, client_id, user, OUTSIDE, answer="5")
    assert error(wrong) == ("NotAuthorizedException", "Incorrect username or password.")
    latest = events(server, pool_id, user)[0]
    assert latest["EventResponse"] == "Fail"
