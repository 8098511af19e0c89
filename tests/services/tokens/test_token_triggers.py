"""PreTokenGeneration's answers applied to a draft, in-process with a stand-in dispatcher: the
edge rules the live tests don't reach (suppression wins, empty groups and scopes, malformed
answers, which versions see client credentials) and a sign-in's token source."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.entities import client_value, pool_value

from mamori.domain.auth.auth_flow import Proof
from mamori.domain.errors import InvalidLambdaResponseException
from mamori.domain.triggers import TriggerName
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.auth.sign_in_state import SignIn
from mamori.services.auth.sign_in_triggers import token_source
from mamori.services.tokens.token_triggers import TokenDraft, TokenSource, TokenTriggers

pytestmark = pytest.mark.anyio


class Runner:
    """The dispatcher's surface: one function, one version, a fixed answer."""

    def __init__(self, version: str, response: Any) -> None:
        self.version = version
        self.response = response
        self.events: list[dict[str, Any]] = []

    def function_for(self, pool: UserPool, name: TriggerName) -> str | None:
        return "arn:aws:lambda:us-east-1:1:function:f"

    def version_of(self, pool: UserPool, name: TriggerName) -> str:
        return self.version

    async def invoke(
        self, pool: UserPool, name: TriggerName, event: dict[str, Any]
    ) -> dict[str, Any] | None:
        self.events.append(event)
        return {**event, "response": self.response}


def draft() -> TokenDraft:
    return TokenDraft(
        {"sub": "s", "email": "a@example.com", "cognito:groups": ["g"], "cognito:roles": ["r"]},
        {"sub": "s", "scope": "openid email", "cognito:groups": ["g"]},
        {"email": "a@example.com"},
        "ann",
        ["g"],
        ["r"],
        "r",
        ["openid", "email"],
    )


async def run(version: str, response: Any, source: TokenSource = TokenSource.AUTHENTICATION):
    pool = pool_value()
    runner = Runner(version, response)
    made = draft()
    await TokenTriggers(runner).customize(pool, client_value(pool.id), source, made)
    return made, runner


async def test_suppression_wins_and_empty_lists_remove_claims() -> None:
    made, _ = await run(
        "V2_0",
        {
            "claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {
                    "claimsToAddOrOverride": {"email": "b@example.com", "x": {"deep": [1]}},
                    "claimsToSuppress": ["email"],
                },
                "accessTokenGeneration": {"scopesToSuppress": ["openid", "email"]},
                "groupOverrideDetails": {"groupsToOverride": [], "iamRolesToOverride": []},
            }
        },
    )
    assert made.id_claims is not None
    assert "email" not in made.id_claims and made.id_claims["x"] == {"deep": [1]}
    assert "scope" not in made.access_claims
    assert "cognito:groups" not in made.id_claims and "cognito:groups" not in made.access_claims
    assert "cognito:roles" not in made.id_claims


async def test_positive_control_nothing_answered_changes_nothing() -> None:
    made, runner = await run("V2_0", {"claimsAndScopeOverrideDetails": None})
    assert made == draft()
    assert runner.events[0]["request"]["scopes"] == ["openid", "email"]


@pytest.mark.parametrize(
    "response",
    [
        {"claimsAndScopeOverrideDetails": []},
        {"claimsAndScopeOverrideDetails": {"idTokenGeneration": {"claimsToSuppress": "email"}}},
        {"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"scopesToAdd": [1]}}},
        {
            "claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {"claimsToAddOrOverride": {"a": None}}
            }
        },
        "not an object",
    ],
)
async def test_malformed_answers(response: Any) -> None:
    with pytest.raises(InvalidLambdaResponseException):
        await run("V2_0", response)


@pytest.mark.parametrize(("version", "asked"), [("V1_0", False), ("V2_0", False), ("V3_0", True)])
async def test_client_credentials_only_v3(version: str, asked: bool) -> None:
    _, runner = await run(version, {}, TokenSource.CLIENT_CREDENTIALS)
    assert bool(runner.events) is asked


def test_token_source_of_a_sign_in() -> None:
    base = SignIn("sub", "ann", frozenset({Proof.PASSWORD}))
    assert token_source(base) is TokenSource.AUTHENTICATION
    device = SignIn("sub", "ann", frozenset({Proof.PASSWORD, Proof.DEVICE}))
    assert token_source(device) is TokenSource.AUTHENTICATE_DEVICE
    renewed = SignIn("sub", "ann", frozenset({Proof.PASSWORD, Proof.NEW_PASSWORD}))
    assert token_source(renewed) is TokenSource.NEW_PASSWORD_CHALLENGE
