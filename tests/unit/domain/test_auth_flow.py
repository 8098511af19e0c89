"""The sign-in state machine: its names are the model's, and what follows each proven step."""

from __future__ import annotations

import dataclasses

import botocore.session
import pytest
from tests.support.entities import pool_value, user_value

from mamori.domain.auth_flow import (
    REQUIRED_CLIENT_FLOW,
    AuthFlow,
    Challenge,
    Next,
    Step,
    next_step,
)
from mamori.domain.user import User, UserStatus

MODEL = botocore.session.get_session().get_service_model("cognito-idp")
POOL = pool_value()


def user_in(status: UserStatus) -> User:
    return dataclasses.replace(user_value(POOL), status=status)


def test_flows_and_challenges_are_the_models_names() -> None:
    assert {f.value for f in AuthFlow} <= set(MODEL.shape_for("AuthFlowType").enum)
    assert {c.value for c in Challenge} <= set(MODEL.shape_for("ChallengeNameType").enum)


def test_every_flow_names_the_client_setting_it_needs() -> None:
    explicit = set(MODEL.shape_for("ExplicitAuthFlowsType").enum)
    assert set(REQUIRED_CLIENT_FLOW) == set(AuthFlow)
    assert set(REQUIRED_CLIENT_FLOW.values()) <= explicit


def test_temporary_password_leads_to_new_password_required() -> None:
    user = user_in(UserStatus.FORCE_CHANGE_PASSWORD)
    assert next_step(user, Step.PASSWORD) == Next(Challenge.NEW_PASSWORD_REQUIRED)


@pytest.mark.parametrize("status", [UserStatus.CONFIRMED, UserStatus.EXTERNAL_PROVIDER])
def test_confirmed_password_leads_to_tokens(status: UserStatus) -> None:
    assert next_step(user_in(status), Step.PASSWORD) == Next(None)


def test_new_password_leads_to_tokens() -> None:
    user = user_in(UserStatus.FORCE_CHANGE_PASSWORD)
    assert next_step(user, Step.NEW_PASSWORD) == Next(None)
