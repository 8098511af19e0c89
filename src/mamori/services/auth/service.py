"""Sign-in: InitiateAuth and RespondToAuthChallenge through the state machine
(domain/auth/auth_flow.py decides, services/auth/sign_in.py runs it; docs/flows/sign-in.md draws
it). The hosted pages' entry points are in hosted_sign_in.py, sign-out and revocation in
sign_out.py, refresh in refresh.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from mamori.domain.auth import answers
from mamori.domain.auth.answers import ChallengeAnswer, SignInRequest
from mamori.domain.auth.auth_flow import (
    FIRST_FACTORS,
    PASSWORD_FLOWS,
    REFRESH_FLOWS,
    REQUIRED_CLIENT_FLOW,
    AuthFlow,
    Challenge,
    Entry,
    Proof,
    flow_of,
)
from mamori.domain.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ServiceError,
)
from mamori.domain.security.auth_events import RequestContext
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.auth.challenge_session import INVALID_SESSION
from mamori.services.auth.code_steps import CodeSteps
from mamori.services.auth.custom_auth import CustomAuthSteps
from mamori.services.auth.hosted_sign_in import HostedSignInOperations
from mamori.services.auth.mfa import MfaService
from mamori.services.auth.refresh import RefreshService
from mamori.services.auth.sign_in import SignInMachine
from mamori.services.auth.sign_in_events import MFA_FAILED, MFA_OK
from mamori.services.auth.sign_in_state import (
    ASSOCIATED,
    VERIFIED,
    AuthOutcome,
    ChallengeSessions,
    Proven,
    SignIn,
)
from mamori.services.auth.sign_out import SignOutOperations
from mamori.services.auth.srp_steps import SrpSteps
from mamori.services.auth.user_auth import UserAuthSteps
from mamori.services.security.guard import Guard
from mamori.services.tokens.pool_tokens import TokenService
from mamori.services.tokens.ports import RefreshSessionStore
from mamori.services.userpools.clients import ClientService
from mamori.services.users.accounts import UserAccounts

__all__ = ["AuthOutcome", "AuthService", "SignInSteps"]

_MFA_CODES = frozenset({Challenge.SMS_MFA, Challenge.SOFTWARE_TOKEN_MFA, Challenge.EMAIL_OTP})
_ONE_TIME_CODES = frozenset({Challenge.EMAIL_OTP, Challenge.SMS_OTP})


@dataclass(frozen=True)
class SignInSteps:
    """The sign-in's parts, each in its module, built by wiring: sealed Sessions and their
    counts, the code steps, the machine that runs next_step, the SRP steps and USER_AUTH's
    choices."""

    challenges: ChallengeSessions
    codes: CodeSteps
    machine: SignInMachine
    srp: SrpSteps
    user_auth: UserAuthSteps
    # CUSTOM_AUTH (None: refused as on a pool without the functions).
    custom: CustomAuthSteps | None = None


class AuthService(SignOutOperations, HostedSignInOperations):
    def __init__(
        self,
        users: UserAccounts,
        clients: ClientService,
        tokens: TokenService,
        sessions: RefreshSessionStore,
        guard: Guard,
        mfa: MfaService,
        refresh: RefreshService,
        steps: SignInSteps,
    ) -> None:
        self._guard = guard
        self._users = users
        self._clients = clients
        self._tokens = tokens
        self._sessions = sessions
        self._mfa = mfa
        self._refresh = refresh
        self._challenges = steps.challenges
        self._codes = steps.codes
        self._machine = steps.machine
        self._srp = steps.srp
        self._user_auth = steps.user_auth
        self._custom = steps.custom

    # --- entry points
    async def initiate_auth(
        self,
        client_id: str,
        request: SignInRequest,
        ip: str | None = None,
        context: RequestContext | None = None,
    ) -> AuthOutcome:
        """`ip`: the end user's address, for the per-IP rate limit (None: not known);
        `context`: what the request says of the end user, for the auth event."""
        flow_of(request.flow, Entry.INITIATE_AUTH)
        pool, client = await self._clients.client_for_public_call(client_id)
        return await self._start(pool, client, request, ip, _end_user(client, context))

    async def admin_initiate_auth(
        self,
        pool_id: str,
        client_id: str,
        request: SignInRequest,
        ip: str | None = None,
        context: RequestContext | None = None,
    ) -> AuthOutcome:
        """`ip`: the end user's address from ContextData (the caller is the app's backend)."""
        flow_of(request.flow, Entry.ADMIN_INITIATE_AUTH)
        pool, client = await self._clients.client_in_pool(pool_id, client_id)
        return await self._start(pool, client, request, ip, context)

    async def _start(
        self,
        pool: UserPool,
        client: AppClient,
        request: SignInRequest,
        ip: str | None = None,
        context: RequestContext | None = None,
    ) -> AuthOutcome:
        flow = request.flow
        if flow in REFRESH_FLOWS and client.refresh_rotation:
            # Cognito: REFRESH_TOKEN_AUTH is documented as incompatible with rotation; the
            # exception type isn't documented. Name the operation that works instead.
            raise InvalidParameterException(
                f"{flow.value} flow is not supported for a client with refresh token rotation: "
                "use GetTokensFromRefreshToken."
            )
        if not client.allows(REQUIRED_CLIENT_FLOW[flow]):
            raise InvalidParameterException(f"{flow.value} flow not enabled for this client")
        if flow in REFRESH_FLOWS:
            token = request.refresh_token
            if not token:
                raise InvalidParameterException("Missing required parameter REFRESH_TOKEN")
            result = await self._refresh.refresh_token_auth(
                pool, client, token, request.secret_hash, request.device_key or None
            )
            return AuthOutcome(result=result)
        if flow is AuthFlow.USER_SRP_AUTH:
            return await self._srp.start(
                pool,
                client,
                request.username,
                request.srp_a,
                request.secret_hash,
                ip,
                client_metadata=request.client_metadata,
            )
        if flow is AuthFlow.USER_AUTH:
            return await self._user_auth.start(pool, client, request, ip, context=context)
        if flow is AuthFlow.CUSTOM_AUTH and self._custom is not None:
            return await self._custom.start(pool, client, request, ip, context)
        if flow not in PASSWORD_FLOWS:
            raise InvalidParameterException(
                f"Auth flow {flow.value} is not supported by mamori yet."
            )
        username, password = request.username, request.password
        if not username:
            raise InvalidParameterException("Missing required parameter USERNAME")
        if password is None:
            raise InvalidParameterException("Missing required parameter PASSWORD")
        user, screened = await self._machine.password(
            pool,
            client,
            username,
            password,
            request.secret_hash,
            ip,
            context,
            request.client_metadata,
        )
        device_key = request.device_key or None
        sign_in = SignIn(user.sub, username, frozenset({Proof.PASSWORD}), device_key)
        return await self._machine.first_factor(pool, client, user, sign_in, context, screened)

    # --- challenges
    async def respond_to_auth_challenge(
        self,
        client_id: str,
        session: str | None,
        answer: ChallengeAnswer,
        ip: str | None = None,
        context: RequestContext | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> AuthOutcome:
        """`ip`: the end user's address, for the per-IP rate limit (None: not known);
        `client_metadata`: for PostAuthentication and PreTokenGeneration, as Cognito passes it."""
        pool, client = await self._clients.client_for_public_call(client_id)
        return await self._respond(
            pool,
            client,
            session,
            answer,
            ip,
            _end_user(client, context),
            client_metadata=client_metadata,
        )

    async def admin_respond_to_auth_challenge(
        self,
        pool_id: str,
        client_id: str,
        session: str | None,
        answer: ChallengeAnswer,
        ip: str | None = None,
        context: RequestContext | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> AuthOutcome:
        """`ip`: the end user's address from ContextData (the caller is the app's backend)."""
        pool, client = await self._clients.client_in_pool(pool_id, client_id)
        return await self._respond(
            pool, client, session, answer, ip, context, client_metadata=client_metadata
        )

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
        kind = answer.challenge
        step: AuthOutcome | Proven
        if isinstance(answer, answers.PasswordVerifierAnswer):
            # Its state is in PASSWORD_CLAIM_SECRET_BLOCK: clients send no Session with it.
            step, screened = await self._srp.password_verifier(pool, client, answer, ip, context)
            if step.sign_in.custom is not None and self._custom is not None:
                # CUSTOM_AUTH's password (CHALLENGE_NAME SRP_A): DefineAuthChallenge goes on.
                return await self._custom.after_password(
                    pool, client, step.user, step.sign_in, context, screened, answer.client_metadata
                )
            answered_in = dataclasses.replace(step.sign_in, client_metadata=client_metadata)
            return await self._machine.first_factor(
                pool, client, step.user, answered_in, context, screened
            )
        sign_in = self._challenges.open(session, pool.id, client.id, kind)
        sign_in = dataclasses.replace(sign_in, client_metadata=client_metadata)
        if sign_in.hosted is not hosted:
            # A hosted sign-in ends in a SignedIn for the authorization endpoint, an API one in
            # tokens: neither may be finished through the other's entry.
            raise NotAuthorizedException(INVALID_SESSION)
        if hosted:
            answer = dataclasses.replace(
                answer,
                username=sign_in.typed,
                secret_hash=self._hosted_secret_hash(client, sign_in.typed),
            )
        # Rate limits per IP and per user (or username as typed, before a first factor).
        await self._guard.check_answer(pool.id, sign_in.typed, sign_in.sub or None, ip)
        if isinstance(answer, answers.SelectChallengeAnswer):
            return await self._user_auth.select(pool, client, sign_in, answer, ip, context)
        if isinstance(answer, answers.CustomChallengeAnswer):
            if self._custom is None:
                raise NotAuthorizedException(INVALID_SESSION)
            return await self._custom.answer(pool, client, sign_in, answer, context)
        user = await self._machine.answering_user(
            pool, client, sign_in, answer.username, answer.secret_hash
        )
        first_factor = not sign_in.proven & FIRST_FACTORS
        if isinstance(answer, answers.CodeAnswer) and kind in _ONE_TIME_CODES and first_factor:
            return await self._user_auth.one_time_code(pool, client, user, sign_in, answer, context)
        elif isinstance(answer, answers.CodeAnswer) and kind in _MFA_CODES:
            try:
                await self._codes.check(pool, client, user, sign_in, kind, answer.code)
            except ServiceError:
                await self._machine.events.step_failed(pool, sign_in, MFA_FAILED)
                raise
            step = Proven(user, sign_in.proving(Proof.MFA))
        elif isinstance(answer, answers.NewPasswordAnswer):
            step = await self._machine.new_password(pool, client, user, sign_in, answer)
        elif isinstance(answer, answers.SelectMfaTypeAnswer):
            mfa = await self._codes.state(pool, user, sign_in.risk_mfa)
            step = Proven(user, CodeSteps.select(sign_in, mfa, answer.answer))
            # Single use, before the chosen factor's code is sent: one message per Session.
            await self._challenges.answered(sign_in, client)
        elif isinstance(answer, answers.MfaSetupAnswer):
            step = Proven(user, CodeSteps.set_up(sign_in))
            await self._challenges.answered(sign_in, client)
        elif isinstance(answer, answers.DeviceSrpAnswer):
            step = await self._srp.device_start(
                pool, client, user, sign_in, answer.device_key, answer.srp_a
            )
        elif isinstance(answer, answers.DevicePasswordVerifierAnswer):
            step = await self._srp.device_verifier(pool, client, user, sign_in, answer)
        else:
            raise NotAuthorizedException(INVALID_SESSION)
        if isinstance(step, AuthOutcome):
            return step
        outcome = await self._machine.advance(pool, client, step.user, step.sign_in)
        answered = MFA_OK if kind in _MFA_CODES and isinstance(answer, answers.CodeAnswer) else None
        await self._machine.events.step(pool, sign_in, answered, outcome)
        return outcome

    # --- MFA_SETUP: AssociateSoftwareToken / VerifySoftwareToken with the challenge's Session
    async def associate_software_token_for_session(self, session: str) -> tuple[str, str]:
        """(SecretCode, the Session to verify it with)."""
        pool, client, sign_in, user = await self._setup_session(session)
        await self._challenges.answered(sign_in, client)
        secret = await self._mfa.associate_for_session(pool, user)
        following = dataclasses.replace(sign_in.renewed(), setup=ASSOCIATED)
        return secret, self._challenges.seal(pool.id, client, Challenge.MFA_SETUP, following)

    async def verify_software_token_for_session(
        self, session: str, code: str, friendly_name: str | None
    ) -> str:
        """The Session to answer MFA_SETUP with, once the code proves the new token."""
        pool, client, sign_in, user = await self._setup_session(session)
        await self._mfa.verify_for_session(pool, user, code, friendly_name)
        # Spent once the code proved the token (a wrong code may be tried again).
        await self._challenges.answered(sign_in, client)
        following = dataclasses.replace(sign_in.renewed(), setup=VERIFIED)
        return self._challenges.seal(pool.id, client, Challenge.MFA_SETUP, following)

    async def _setup_session(self, session: str) -> tuple[UserPool, AppClient, SignIn, User]:
        pool_id, client_id, challenge = self._challenges.peek(session)
        if challenge != Challenge.MFA_SETUP.value:
            raise NotAuthorizedException(INVALID_SESSION)
        pool, client = await self._clients.client_in_pool(pool_id, client_id)
        sign_in = self._challenges.open(session, pool.id, client.id, Challenge.MFA_SETUP)
        user = await self._users.user_by_sub(pool, sign_in.sub)
        if user is None:
            raise NotAuthorizedException(INVALID_SESSION)
        if not user.enabled:
            raise NotAuthorizedException("User is disabled.")
        return pool, client, sign_in, user


def _end_user(client: AppClient, context: RequestContext | None) -> RequestContext | None:
    """The public sign-in's end user: UserContextData's IpAddress for a client that propagates
    it (the auth event's address, which threat protection scores). The per-IP rate limit keeps
    the connection's address: a claimed one must not choose the caller's own bucket."""
    if context is None or not client.propagates_user_context_data:
        return context
    return context.propagated()
