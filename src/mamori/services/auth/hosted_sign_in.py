"""The hosted pages' sign-in (api/hosted_ui/): InitiateAuth's and RespondToAuthChallenge's
rules through the same machine, ending in a SignedIn the authorization endpoint turns into a
code or tokens (`HostedSignInOperations`, which `AuthService` extends)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from mamori.domain.auth import answers
from mamori.domain.auth.answers import ChallengeAnswer, SignInRequest
from mamori.domain.auth.auth_flow import AuthFlow, FirstFactor, Proof
from mamori.domain.errors import InvalidParameterException, NotAuthorizedException
from mamori.domain.security.auth_events import RequestContext
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.auth.challenge_session import INVALID_SESSION
from mamori.services.auth.sign_in import SignInMachine
from mamori.services.auth.sign_in_state import AuthOutcome, SignIn
from mamori.services.auth.user_auth import UserAuthSteps
from mamori.services.userpools.clients import ClientService, secret_hash

# The hosted pages hold no SRP state: these answers are the API's only.
_SRP_ANSWERS = (
    answers.PasswordVerifierAnswer,
    answers.DeviceSrpAnswer,
    answers.DevicePasswordVerifierAnswer,
)


class HostedSignInOperations:
    """AuthService's hosted-page entry points (services/auth/service.py builds it with these)."""

    _clients: ClientService
    _machine: SignInMachine
    _user_auth: UserAuthSteps

    async def _respond(
        self,
        pool: UserPool,
        client: AppClient,
        session: str | None,
        answer: ChallengeAnswer,
        ip: str | None,
        context: RequestContext | None = None,
        hosted: bool = False,
        client_metadata: Mapping[str, str] | None = None,
    ) -> AuthOutcome:
        raise NotImplementedError  # AuthService's: RespondToAuthChallenge's rules

    async def hosted_sign_in(
        self,
        pool_id: str,
        client_id: str,
        request: SignInRequest,
        ip: str | None = None,
        context: RequestContext | None = None,
    ) -> AuthOutcome:
        """A sign-in on the hosted pages: USER_PASSWORD_AUTH (USERNAME and PASSWORD) or
        USER_AUTH (USERNAME, and PREFERRED_CHALLENGE PASSWORD with its PASSWORD, EMAIL_OTP or
        SMS_OTP; none: SELECT_CHALLENGE). Every rule of InitiateAuth applies (password, user
        state, lockout, rate limits, MFA) except these: the client's ExplicitAuthFlows don't
        limit it (they govern the API); its SECRET_HASH is computed here (the server holds the
        secret: the pages are its own); no device is remembered; no user existence is revealed
        (PreventUserExistenceErrors as if ENABLED); and it ends with `signed_in` instead of
        tokens, which the authorization endpoint turns into a code or tokens."""
        pool, client = await self._hosted_client(pool_id, client_id)
        username = request.username
        if not username:
            raise InvalidParameterException("Missing required parameter USERNAME")
        request = dataclasses.replace(
            request,
            secret_hash=self._hosted_secret_hash(client, username),
            device_key=None,
            srp_a=None,
        )
        if request.flow is AuthFlow.USER_AUTH:
            if request.preferred_challenge == FirstFactor.PASSWORD_SRP.value:
                raise InvalidParameterException("Invalid PREFERRED_CHALLENGE: PASSWORD_SRP.")
            return await self._user_auth.start(
                pool, client, request, ip, hosted=True, context=context
            )
        if request.flow is not AuthFlow.USER_PASSWORD_AUTH:
            raise InvalidParameterException(
                f"Auth flow {request.flow.value} is not supported by the hosted pages."
            )
        if request.password is None:
            raise InvalidParameterException("Missing required parameter PASSWORD")
        user, screened = await self._machine.password(
            pool,
            client,
            username,
            request.password,
            request.secret_hash,
            ip,
            context,
            request.client_metadata,
        )
        sign_in = SignIn(user.sub, username, frozenset({Proof.PASSWORD}), hosted=True)
        return await self._machine.first_factor(pool, client, user, sign_in, context, screened)

    async def hosted_respond(
        self,
        pool_id: str,
        client_id: str,
        session: str | None,
        answer: ChallengeAnswer,
        ip: str | None = None,
        context: RequestContext | None = None,
    ) -> AuthOutcome:
        """A hosted sign-in's challenge answered: RespondToAuthChallenge's rules, for a Session
        hosted_sign_in began (no other). The answer's USERNAME is the name the sign-in began
        with and its SECRET_HASH is computed here: the pages ask for neither."""
        pool, client = await self._hosted_client(pool_id, client_id)
        if isinstance(answer, _SRP_ANSWERS):
            raise NotAuthorizedException(INVALID_SESSION)
        return await self._respond(pool, client, session, answer, ip, context, hosted=True)

    async def _hosted_client(self, pool_id: str, client_id: str) -> tuple[UserPool, AppClient]:
        pool, client = await self._clients.client_in_pool(pool_id, client_id)
        # The pages never say whether a user exists (Cognito's managed login says "Incorrect
        # username or password." for both), whatever the client tells the API to do.
        return pool, dataclasses.replace(client, prevent_user_existence_errors=True)

    @staticmethod
    def _hosted_secret_hash(client: AppClient, username: str) -> str | None:
        if client.secret is None:
            return None
        return secret_hash(username, client.id, client.secret)
