"""AuthService.hosted_sign_in / hosted_respond: the hosted pages' entries into the same
sign-in machine, ending in a SignedIn instead of tokens (services/auth/service.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.factories import PASSWORD
from tests.support.inprocess import FrozenClock, fresh_database, services_on

from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.domain.auth.answers import (
    CodeAnswer,
    NewPasswordAnswer,
    PasswordVerifierAnswer,
    SelectChallengeAnswer,
    SignInRequest,
)
from mamori.domain.auth.auth_flow import AuthFlow, Challenge, FirstFactor
from mamori.domain.errors import (
    CodeMismatchException,
    InvalidParameterException,
    InvalidPasswordException,
    NotAuthorizedException,
    ResourceNotFoundException,
    UserNotFoundException,
)
from mamori.services.container import Services
from mamori.services.userpools.clients import secret_hash

TEMPORARY = "Temp0rary-Pass!"
NEW_PASSWORD = "Brand-New-Passw0rd!"
WRONG = "Incorrect username or password."
EVERY_FACTOR = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("hosted"), request.param) as url:
        yield url


async def _pool_and_client(
    s: Services, pool: dict[str, Any] | None = None, **client: Any
) -> tuple[str, str]:
    made = await s.pools.create_user_pool(pool_in(pool or {}, "hosted"))
    settings = {"ClientName": "web", "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"], **client}
    app = await s.clients.create_user_pool_client(made.id, client_in(settings), True)
    return made.id, app.id


async def _user(s: Services, pool_id: str, name: str, **attributes: str) -> None:
    await s.admin_users.admin_create_user(pool_id, name, attributes, None, "SUPPRESS", ())
    await s.admin_users.admin_set_user_password(pool_id, name, PASSWORD, permanent=True)


@pytest.mark.anyio
async def test_a_password_sign_in_ends_signed_in_whatever_the_client_flows_and_secret(
    database: str, tmp_path: Path
) -> None:
    clock = FrozenClock()
    async with services_on(database, tmp_path, clock) as s:
        # A client with a secret and no password flow for the API: the pages sign in anyway.
        pool_id, client_id = await _pool_and_client(s)
        await _user(s, pool_id, "ann")
        outcome = await s.auth.hosted_sign_in(
            pool_id,
            client_id,
            SignInRequest(AuthFlow.USER_PASSWORD_AUTH, username="ann", password=PASSWORD),
        )
        user = await s.users.require_in_pool(pool_id, "ann")
        assert outcome.result is None and outcome.challenge is None
        assert outcome.signed_in is not None
        assert outcome.signed_in.sub == user.sub
        assert outcome.signed_in.auth_time == int(clock.now().timestamp())
        # The API still refuses the flow the client does not allow.
        with pytest.raises(InvalidParameterException, match="not enabled"):
            await s.auth.admin_initiate_auth(
                pool_id,
                client_id,
                SignInRequest(AuthFlow.ADMIN_USER_PASSWORD_AUTH, username="ann", password=PASSWORD),
            )


@pytest.mark.anyio
async def test_unknown_user_and_wrong_password_read_the_same(database: str, tmp_path: Path) -> None:
    async with services_on(database, tmp_path, FrozenClock()) as s:
        # PreventUserExistenceErrors LEGACY: the API says "User does not exist.", the pages don't.
        pool_id, client_id = await _pool_and_client(
            s,
            PreventUserExistenceErrors="LEGACY",
            ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"],
        )
        await _user(s, pool_id, "ann")
        for name, password in (("ann", "Wr0ng-Password!"), ("nobody", PASSWORD)):
            with pytest.raises(NotAuthorizedException, match=WRONG):
                await s.auth.hosted_sign_in(
                    pool_id,
                    client_id,
                    SignInRequest(AuthFlow.USER_PASSWORD_AUTH, username=name, password=password),
                )
        app = await s.clients.describe_user_pool_client(pool_id, client_id)
        with pytest.raises(UserNotFoundException):
            await s.auth.admin_initiate_auth(
                pool_id,
                client_id,
                SignInRequest(
                    AuthFlow.ADMIN_USER_PASSWORD_AUTH,
                    username="nobody",
                    password=PASSWORD,
                    secret_hash=secret_hash("nobody", client_id, app.secret or ""),
                ),
            )


@pytest.mark.anyio
async def test_a_hosted_session_is_answered_only_by_the_hosted_entry(
    database: str, tmp_path: Path
) -> None:
    async with services_on(database, tmp_path, FrozenClock()) as s:
        flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
        made = await s.pools.create_user_pool(pool_in({}, "cross"))
        pool_id = made.id
        app = await s.clients.create_user_pool_client(
            pool_id, client_in({"ClientName": "public", "ExplicitAuthFlows": flows}), False
        )
        client_id = app.id
        for name in ("ann", "bob"):
            await s.admin_users.admin_create_user(
                pool_id, name, {"email": f"{name}@example.com"}, TEMPORARY, "SUPPRESS", ()
            )
        hosted = await s.auth.hosted_sign_in(
            pool_id,
            client_id,
            SignInRequest(AuthFlow.USER_PASSWORD_AUTH, username="ann", password=TEMPORARY),
        )
        assert hosted.challenge is Challenge.NEW_PASSWORD_REQUIRED and hosted.session
        assert hosted.prompt.user_attributes == {"email": "ann@example.com"}
        with pytest.raises(NotAuthorizedException, match="Invalid session"):
            await s.auth.respond_to_auth_challenge(
                client_id, hosted.session, NewPasswordAnswer("ann", NEW_PASSWORD)
            )
        api = await s.auth.initiate_auth(
            client_id,
            SignInRequest(AuthFlow.USER_PASSWORD_AUTH, username="bob", password=TEMPORARY),
        )
        assert api.challenge is Challenge.NEW_PASSWORD_REQUIRED
        with pytest.raises(NotAuthorizedException, match="Invalid session"):
            await s.auth.hosted_respond(
                pool_id, client_id, api.session, NewPasswordAnswer(new_password=NEW_PASSWORD)
            )
        # SRP answers are the API's: the pages have no SRP exchange.
        with pytest.raises(NotAuthorizedException, match="Invalid session"):
            await s.auth.hosted_respond(pool_id, client_id, None, PasswordVerifierAnswer("ann"))
        # The pages name neither USERNAME nor SECRET_HASH: the Session's sign-in does.
        done = await s.auth.hosted_respond(
            pool_id,
            client_id,
            hosted.session,
            NewPasswordAnswer(new_password=NEW_PASSWORD, attributes={"name": "Ann"}),
        )
        user = await s.users.require_in_pool(pool_id, "ann")
        assert done.signed_in is not None and done.signed_in.sub == user.sub
        assert user.attributes["name"] == "Ann"
        # The password rules are the machine's: a weak one is refused as on the API.
        weak = await s.auth.hosted_sign_in(
            pool_id,
            client_id,
            SignInRequest(AuthFlow.USER_PASSWORD_AUTH, username="bob", password=TEMPORARY),
        )
        with pytest.raises(InvalidPasswordException):
            await s.auth.hosted_respond(
                pool_id, client_id, weak.session, NewPasswordAnswer(new_password="short")
            )


@pytest.mark.anyio
async def test_no_device_is_remembered(database: str, tmp_path: Path) -> None:
    always = {"ChallengeRequiredOnNewDevice": False, "DeviceOnlyRememberedOnUserPrompt": False}
    async with services_on(database, tmp_path, FrozenClock()) as s:
        made = await s.pools.create_user_pool(pool_in({"DeviceConfiguration": always}, "dev"))
        app = await s.clients.create_user_pool_client(
            made.id,
            client_in({"ClientName": "c", "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH"]}),
            False,
        )
        await _user(s, made.id, "ann")
        outcome = await s.auth.hosted_sign_in(
            made.id,
            app.id,
            SignInRequest(
                AuthFlow.USER_PASSWORD_AUTH, username="ann", password=PASSWORD, device_key="x"
            ),
        )
        # No NewDeviceMetadata, and the unknown DEVICE_KEY is not even looked at (the API
        # answers it with ResourceNotFoundException "Device does not exist.").
        assert outcome.signed_in is not None and outcome.new_device is None
        with pytest.raises(ResourceNotFoundException, match="Device does not exist"):
            await s.auth.admin_initiate_auth(
                made.id,
                app.id,
                SignInRequest(
                    AuthFlow.ADMIN_USER_PASSWORD_AUTH,
                    username="ann",
                    password=PASSWORD,
                    device_key="x",
                ),
            )


@pytest.mark.anyio
async def test_user_auth_offers_no_srp_and_signs_in_by_emailed_code(
    database: str, tmp_path: Path
) -> None:
    async with services_on(database, tmp_path, FrozenClock()) as s:
        pool_id, client_id = await _pool_and_client(
            s, {"Policies": EVERY_FACTOR}, ExplicitAuthFlows=[]
        )
        await _user(s, pool_id, "ann", email="ann@example.com", email_verified="true")
        choose = await s.auth.hosted_sign_in(
            pool_id, client_id, SignInRequest(AuthFlow.USER_AUTH, username="ann")
        )
        assert choose.challenge is Challenge.SELECT_CHALLENGE and choose.session
        assert choose.available == (FirstFactor.PASSWORD, FirstFactor.EMAIL_OTP)
        with pytest.raises(InvalidParameterException, match="PASSWORD_SRP"):
            await s.auth.hosted_sign_in(
                pool_id,
                client_id,
                SignInRequest(
                    AuthFlow.USER_AUTH, username="ann", preferred_challenge="PASSWORD_SRP"
                ),
            )
        code = await s.auth.hosted_respond(
            pool_id, client_id, choose.session, SelectChallengeAnswer(answer="EMAIL_OTP")
        )
        assert code.challenge is Challenge.EMAIL_OTP and code.session
        assert code.prompt.delivery_medium == "EMAIL"
        message = (await s.outbox.list_messages(pool_id, "ann@example.com", 10, latest=True))[0]
        assert message.code
        with pytest.raises(CodeMismatchException, match="Invalid code"):
            await s.auth.hosted_respond(
                pool_id, client_id, code.session, CodeAnswer(Challenge.EMAIL_OTP, code="000000")
            )
        done = await s.auth.hosted_respond(
            pool_id, client_id, code.session, CodeAnswer(Challenge.EMAIL_OTP, code=message.code)
        )
        assert done.signed_in is not None
        # An unknown user is offered what a known one without addresses is: the password.
        unknown = await s.auth.hosted_sign_in(
            pool_id, client_id, SignInRequest(AuthFlow.USER_AUTH, username="nobody")
        )
        assert unknown.available == (FirstFactor.PASSWORD,)
        with pytest.raises(NotAuthorizedException, match=WRONG):
            await s.auth.hosted_respond(
                pool_id,
                client_id,
                unknown.session,
                SelectChallengeAnswer(answer="PASSWORD", password=PASSWORD),
            )
