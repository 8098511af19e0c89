"""The sign-in core driven with typed values only, as a hosted login page will drive it: no
AuthParameters, ChallengeResponses or ChallengeParameters (domain/auth/answers.py, prompts.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.support.inprocess import FrozenClock, fresh_database, services_on

from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.domain.auth.answers import NewPasswordAnswer, SelectChallengeAnswer, SignInRequest
from mamori.domain.auth.auth_flow import AuthFlow, Challenge, FirstFactor
from mamori.domain.errors import InvalidParameterException

TEMPORARY = "Temp0rary-Pass!"
NEW_PASSWORD = "Brand-New-Passw0rd!"
FLOWS = ["ALLOW_USER_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    with fresh_database(tmp_path, request.param) as url:
        yield url


@pytest.mark.anyio
async def test_a_typed_sign_in_from_temporary_password_to_tokens(
    database: str, tmp_path: Path
) -> None:
    async with services_on(database, tmp_path, FrozenClock()) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "typed"))
        client = await s.clients.create_user_pool_client(
            pool.id, client_in({"ClientName": "c", "ExplicitAuthFlows": FLOWS}), False
        )
        await s.admin_users.admin_create_user(
            pool.id, "ann", {"email": "ann@example.com"}, TEMPORARY, "SUPPRESS", ()
        )

        first = await s.auth.initiate_auth(
            client.id,
            SignInRequest(AuthFlow.USER_PASSWORD_AUTH, username="ann", password=TEMPORARY),
        )
        assert first.challenge is Challenge.NEW_PASSWORD_REQUIRED and first.session
        assert first.prompt.user_id_for_srp == "ann"
        assert first.prompt.user_attributes == {"email": "ann@example.com"}
        assert first.prompt.required_attributes == ()

        # A value not given is None, refused by the step that needs it, as on the wire.
        with pytest.raises(InvalidParameterException, match="parameter NEW_PASSWORD"):
            await s.auth.respond_to_auth_challenge(
                client.id, first.session, NewPasswordAnswer(username="ann")
            )
        done = await s.auth.respond_to_auth_challenge(
            client.id,
            first.session,
            NewPasswordAnswer("ann", NEW_PASSWORD, {"name": "Ann"}),
        )
        assert done.result is not None and done.challenge is None
        user = await s.users.require_in_pool(pool.id, "ann")
        assert user.attributes["name"] == "Ann"

        # USER_AUTH: the choice of first factors, typed, and the password chosen.
        choose = await s.auth.initiate_auth(
            client.id, SignInRequest(AuthFlow.USER_AUTH, username="ann")
        )
        assert choose.challenge is Challenge.SELECT_CHALLENGE and choose.session
        assert choose.prompt.username == "ann"
        assert FirstFactor.PASSWORD in choose.available
        signed = await s.auth.respond_to_auth_challenge(
            client.id,
            choose.session,
            SelectChallengeAnswer("ann", FirstFactor.PASSWORD.value, password=NEW_PASSWORD),
        )
        assert signed.result is not None
