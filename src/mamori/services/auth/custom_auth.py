"""CUSTOM_AUTH: the sign-in whose challenges the pool's functions define (DefineAuthChallenge),
create (CreateAuthChallenge) and check (VerifyAuthChallengeResponse), optionally after the
password by SRP (CHALLENGE_NAME SRP_A). docs/triggers.md "Custom authentication" and
docs/flows/sign-in.md describe it.

Nothing is kept between the steps but the sealed Session: the rounds so far (the triggers'
`session`), and the pending challenge's private parameters and metadata, which the client
cannot read (AEAD) and which are bounded so that the Session stays within the model's 4096
characters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from mamori.domain.auth.answers import CustomChallengeAnswer, SignInRequest
from mamori.domain.auth.auth_flow import Challenge, Proof
from mamori.domain.auth.prompts import ChallengePrompt
from mamori.domain.errors import (
    InvalidLambdaResponseException,
    InvalidParameterException,
    NotAuthorizedException,
    UserNotFoundException,
)
from mamori.domain.security.auth_events import RequestContext
from mamori.domain.triggers import TriggerName
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.auth.challenge_functions import (
    CUSTOM_CHALLENGE,
    FAIL,
    PASSWORD_VERIFIER,
    SRP_A,
    TOKENS,
    ChallengeFunctions,
    Who,
)
from mamori.services.auth.challenge_session import INVALID_SESSION
from mamori.services.auth.sign_in import WRONG, SignInMachine
from mamori.services.auth.sign_in_risk import RiskGate, Screening
from mamori.services.auth.sign_in_state import AuthOutcome, ChallengeSessions, CustomRound, SignIn
from mamori.services.auth.srp_exchange import CUSTOM
from mamori.services.auth.srp_steps import SrpSteps
from mamori.services.security.guard import Guard
from mamori.services.userpools.clients import check_secret_hash
from mamori.services.users.accounts import UserAccounts

# mamori's bound on the rounds one sign-in may take (the Session carries them all), and the
# model's on a Session's length.
MAX_ROUNDS = 8
MAX_SESSION_CHARS = 4096


def _screened(gate: RiskGate | None) -> Screening | None:
    return Screening(gate=gate) if gate is not None else None


class CustomAuthSteps:
    def __init__(
        self,
        machine: SignInMachine,
        srp: SrpSteps,
        users: UserAccounts,
        sessions: ChallengeSessions,
        guard: Guard,
        functions: ChallengeFunctions,
    ) -> None:
        self._machine = machine
        self._srp = srp
        self._users = users
        self._sessions = sessions
        self._guard = guard
        self._functions = functions

    # --- InitiateAuth / AdminInitiateAuth with CUSTOM_AUTH
    async def start(
        self,
        pool: UserPool,
        client: AppClient,
        request: SignInRequest,
        ip: str | None,
        context: RequestContext | None = None,
    ) -> AuthOutcome:
        """DefineAuthChallenge with an empty session (or, with CHALLENGE_NAME SRP_A, with
        SRP_A's round, to which it answers PASSWORD_VERIFIER), then what it decides."""
        username = request.username
        if not username:
            raise InvalidParameterException("Missing required parameter USERNAME")
        self._functions.configured(pool, TriggerName.DEFINE_AUTH_CHALLENGE)
        with_srp = request.challenge_name == SRP_A
        if with_srp and not request.srp_a:
            raise InvalidParameterException("Missing required parameter SRP_A")
        exchange = None
        if with_srp:
            # The password's exchange first, as USER_SRP_AUTH's (SECRET_HASH, rate limits,
            # PreAuthentication, a decoy for a name nobody holds, UserNotFound with LEGACY);
            # sent only if DefineAuthChallenge asks for PASSWORD_VERIFIER.
            exchange = await self._srp.start(
                pool,
                client,
                username,
                request.srp_a,
                request.secret_hash,
                ip,
                kind=CUSTOM,
                client_metadata=request.client_metadata,
            )
            user = await self._users.find(pool, username)
        else:
            check_secret_hash(client, username, request.secret_hash)
            user = await self._users.find(pool, username)
            await self._guard.check_sign_in(pool.id, username, user.sub if user else None, ip)
            if user is None and not client.prevent_user_existence_errors:
                raise UserNotFoundException("User does not exist.")
        if user is not None:
            # A disabled or unconfirmed user is refused before any function runs.
            user = await self._machine.checked_user(pool, user, None)
        # Threat protection in CustomAuthMode's mode (not at all without it); with SRP_A the
        # password is gated at PASSWORD_VERIFIER as USER_SRP_AUTH's is, in the pool's mode.
        gate = None
        if not with_srp:
            gate = await self._machine.risk_gate(pool, client, username, user, context, True)
            if self._machine.triggers is not None:
                # Cognito: PreAuthentication before DefineAuthChallenge (with SRP_A, the
                # password's exchange made that call).
                await self._machine.triggers.pre_authentication(
                    pool, client, username, user, request.client_metadata
                )
        who = Who(user, username)
        rounds = (CustomRound(SRP_A, True),) if with_srp else ()
        define = await self._functions.define(pool, client, who, rounds, request.client_metadata)
        if exchange is not None and define == PASSWORD_VERIFIER:
            return exchange
        base = SignIn(user.sub if user else "", username, custom=rounds)
        return await self._decided(
            pool, client, who, base, define, request.client_metadata, context, _screened(gate)
        )

    async def after_password(
        self,
        pool: UserPool,
        client: AppClient,
        user: User,
        sign_in: SignIn,
        context: RequestContext | None,
        screened: Screening,
        metadata: Mapping[str, str],
    ) -> AuthOutcome:
        """PASSWORD_VERIFIER proven in a custom sign-in: DefineAuthChallenge again, with its
        round appended (`metadata`: the answer's ClientMetadata)."""
        assert sign_in.custom is not None
        rounds = (*sign_in.custom, CustomRound(PASSWORD_VERIFIER, True))
        who = Who(user, sign_in.typed)
        define = await self._functions.define(pool, client, who, rounds, metadata)
        following = dataclasses.replace(sign_in, custom=rounds)
        return await self._decided(
            pool, client, who, following, define, metadata, context, screened
        )

    # --- RespondToAuthChallenge with CUSTOM_CHALLENGE
    async def answer(
        self,
        pool: UserPool,
        client: AppClient,
        sign_in: SignIn,
        answer: CustomChallengeAnswer,
        context: RequestContext | None = None,
    ) -> AuthOutcome:
        """ANSWER for VerifyAuthChallengeResponse, with the private parameters the Session
        sealed; its answerCorrect becomes the round's challengeResult, and DefineAuthChallenge
        decides what follows. Each Session is answered once: a wrong answer gets a new one if
        DefineAuthChallenge asks again."""
        if sign_in.custom is None:
            raise NotAuthorizedException(INVALID_SESSION)
        username = answer.username
        if not username:
            raise InvalidParameterException("Missing required parameter USERNAME")
        user = await self._users.user_by_sub(pool, sign_in.sub) if sign_in.sub else None
        if sign_in.sub and user is None:
            raise NotAuthorizedException(INVALID_SESSION)
        if username != sign_in.typed and (user is None or username != user.username):
            named = await self._users.find(pool, username)
            if user is None:
                if not self._srp.names_decoy(pool, sign_in.typed, username):
                    raise NotAuthorizedException(INVALID_SESSION)
            elif named is None or named.sub != user.sub:
                raise NotAuthorizedException(INVALID_SESSION)
        check_secret_hash(client, username, answer.secret_hash)
        if answer.answer is None:
            raise InvalidParameterException("Missing required parameter ANSWER")
        if user is not None and not user.enabled:
            raise NotAuthorizedException("User is disabled.")
        self._functions.configured(pool, TriggerName.VERIFY_AUTH_CHALLENGE_RESPONSE)
        # The answer's address against the risk exceptions first: in CustomAuthMode's mode,
        # or after SRP_A in the pool's, as the password was.
        password_first = any(r.name == PASSWORD_VERIFIER for r in sign_in.custom)
        gate = await self._machine.risk_gate(
            pool, client, sign_in.typed, user, context, not password_first, count=False
        )
        # Spent before the function runs: of two answers to one Session, one is checked.
        await self._sessions.answered(sign_in, client)
        who = Who(user, sign_in.typed)
        correct = await self._functions.verify(
            pool, client, who, sign_in.private or {}, answer.answer, answer.client_metadata
        )
        if not correct and gate is not None:
            # A wrong answer counts against the address, and a known user gets a Fail event.
            await self._machine.risk_failed(gate)
            if user is not None:
                await self._machine.events.failed_first_factor(pool, user.sub, context)
        rounds = (*sign_in.custom, CustomRound(CUSTOM_CHALLENGE, correct, sign_in.metadata))
        define = await self._functions.define(pool, client, who, rounds, answer.client_metadata)
        following = dataclasses.replace(sign_in, custom=rounds, private=None, metadata=None)
        return await self._decided(
            pool, client, who, following, define, answer.client_metadata, context, _screened(gate)
        )

    async def _decided(
        self,
        pool: UserPool,
        client: AppClient,
        who: Who,
        sign_in: SignIn,
        define: str,
        metadata: Mapping[str, str],
        context: RequestContext | None,
        screened: Screening | None = None,
    ) -> AuthOutcome:
        """Carries out DefineAuthChallenge's decision: refused, tokens (through the machine:
        a new password, MFA after a verified password, threat protection's assessment and
        action when `screened` carries a gate), or a new custom challenge. `screened` None: a
        custom sign-in CustomAuthMode leaves out (no assessment, no auth event)."""
        rounds = sign_in.custom or ()
        if define == FAIL or (define == TOKENS and who.user is None):
            # Cognito: failAuthentication is answered as a wrong password is; tokens for a
            # name nobody holds are never issued, whatever the function says.
            raise NotAuthorizedException(WRONG)
        if define == TOKENS:
            assert who.user is not None
            proven = dataclasses.replace(
                sign_in.proving(Proof.CUSTOM), custom=None, private=None, metadata=None
            )
            return await self._machine.first_factor(
                pool, client, who.user, proven, context, screened, record=screened is not None
            )
        if len(rounds) >= MAX_ROUNDS:
            raise NotAuthorizedException(WRONG)
        created = await self._functions.create(pool, client, who, rounds, metadata)
        pending = dataclasses.replace(
            sign_in.renewed(), private=created.private, metadata=created.metadata
        )
        session = self._sessions.seal(pool.id, client, Challenge.CUSTOM_CHALLENGE, pending)
        if len(session) > MAX_SESSION_CHARS:
            # Within the bounds this is reached only by the longest usernames in non-ASCII
            # with the largest parameters: never hand out a Session the client can't send.
            raise InvalidLambdaResponseException(
                "The challenge's parameters do not fit in a Session."
            )
        name = (
            who.user.username if who.user is not None else self._srp.decoy_user_id(pool, who.typed)
        )
        return AuthOutcome(
            challenge=Challenge.CUSTOM_CHALLENGE,
            prompt=ChallengePrompt(username=name, custom=created.public),
            session=session,
        )
