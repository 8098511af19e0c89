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
import json
from collections.abc import Mapping
from typing import Any, Protocol

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
from mamori.domain.triggers import TriggerName, trigger_event
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.auth.challenge_session import INVALID_SESSION
from mamori.services.auth.sign_in import WRONG, SignInMachine
from mamori.services.auth.sign_in_risk import Screening
from mamori.services.auth.sign_in_state import AuthOutcome, ChallengeSessions, CustomRound, SignIn
from mamori.services.auth.srp_exchange import CUSTOM
from mamori.services.auth.srp_steps import SrpSteps
from mamori.services.security.guard import Guard
from mamori.services.userpools.clients import check_secret_hash
from mamori.services.users.accounts import UserAccounts

# Cognito: InvalidParameterException with this message when the pool has no DefineAuthChallenge
# (or CreateAuthChallenge, VerifyAuthChallengeResponse for the step that needs it).
NOT_CONFIGURED = "Custom auth lambda trigger is not configured for the user pool."
# mamori's bounds, so that a Session (at most 4096 characters in the model) always fits: the
# rounds one sign-in may take, the JSON of privateChallengeParameters, a challengeMetadata.
MAX_ROUNDS = 8
MAX_PRIVATE_BYTES = 1536
MAX_METADATA_CHARS = 64
SRP_A = "SRP_A"
PASSWORD_VERIFIER = Challenge.PASSWORD_VERIFIER.value
CUSTOM_CHALLENGE = Challenge.CUSTOM_CHALLENGE.value


class ChallengeTriggers(Protocol):
    """The trigger dispatcher as the custom sign-in uses it (services/triggers/dispatcher.py):
    the function a pool names for a trigger, and a call to it (None: no function)."""

    def function_for(self, pool: UserPool, name: TriggerName) -> str | None: ...

    async def invoke(
        self, pool: UserPool, name: TriggerName, event: dict[str, Any]
    ) -> dict[str, Any] | None: ...


@dataclasses.dataclass(frozen=True)
class _Who:
    """The user a custom sign-in is for (None: nobody holds the name typed) and that name."""

    user: User | None
    typed: str


def _user_attributes(user: User | None) -> dict[str, str]:
    if user is None:
        return {}
    attributes = dict(user.attributes)
    attributes["cognito:user_status"] = user.status.value
    return attributes


def _session_list(rounds: tuple[CustomRound, ...]) -> list[dict[str, Any]]:
    out = []
    for r in rounds:
        entry: dict[str, Any] = {"challengeName": r.name, "challengeResult": r.result}
        if r.metadata is not None:
            entry["challengeMetadata"] = r.metadata
        out.append(entry)
    return out


def _string_map(value: Any, member: str) -> dict[str, str]:
    """A map of strings the function answered (null or absent: empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidLambdaResponseException(
            f"CreateAuthChallenge answered {member} that is not a map of strings."
        )
    return dict(value)


class CustomAuthSteps:
    def __init__(
        self,
        machine: SignInMachine,
        srp: SrpSteps,
        users: UserAccounts,
        sessions: ChallengeSessions,
        guard: Guard,
        triggers: ChallengeTriggers | None,
    ) -> None:
        """`triggers`: None in tests that build the sign-in without a dispatcher (the flow is
        then refused as on a pool without the functions)."""
        self._machine = machine
        self._srp = srp
        self._users = users
        self._sessions = sessions
        self._guard = guard
        self._triggers = triggers

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
        self._configured(pool, TriggerName.DEFINE_AUTH_CHALLENGE)
        with_srp = request.challenge_name == SRP_A
        if with_srp and not request.srp_a:
            raise InvalidParameterException("Missing required parameter SRP_A")
        check_secret_hash(client, username, request.secret_hash)
        user = await self._users.find(pool, username)
        await self._guard.check_sign_in(pool.id, username, user.sub if user else None, ip)
        if user is None and not client.prevent_user_existence_errors:
            raise UserNotFoundException("User does not exist.")
        if user is not None:
            # A disabled or unconfirmed user is refused before any function runs.
            user = await self._machine.checked_user(pool, user, None)
        who = _Who(user, username)
        rounds = (CustomRound(SRP_A, True),) if with_srp else ()
        define = await self._define(pool, client, who, rounds, request.client_metadata)
        if with_srp and define == PASSWORD_VERIFIER:
            # The password by SRP, as USER_SRP_AUTH's (a decoy for a name nobody holds).
            return await self._srp.start(
                pool, client, username, request.srp_a, request.secret_hash, ip, kind=CUSTOM
            )
        base = SignIn(user.sub if user else "", username, custom=rounds)
        return await self._decided(
            pool, client, who, base, define, request.client_metadata, context
        )

    async def after_password(
        self,
        pool: UserPool,
        client: AppClient,
        user: User,
        sign_in: SignIn,
        context: RequestContext | None,
        screened: Screening,
    ) -> AuthOutcome:
        """PASSWORD_VERIFIER proven in a custom sign-in: DefineAuthChallenge again, with its
        round appended."""
        assert sign_in.custom is not None
        rounds = (*sign_in.custom, CustomRound(PASSWORD_VERIFIER, True))
        who = _Who(user, sign_in.typed)
        define = await self._define(pool, client, who, rounds, {})
        following = dataclasses.replace(sign_in, custom=rounds)
        return await self._decided(pool, client, who, following, define, {}, context, screened)

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
        self._configured(pool, TriggerName.VERIFY_AUTH_CHALLENGE_RESPONSE)
        # Spent before the function runs: of two answers to one Session, one is checked.
        await self._sessions.answered(sign_in, client)
        who = _Who(user, sign_in.typed)
        request: dict[str, Any] = {
            "userAttributes": _user_attributes(user),
            "privateChallengeParameters": dict(sign_in.private or {}),
            "challengeAnswer": answer.answer,
            "clientMetadata": dict(answer.client_metadata),
        }
        response = await self._invoke(
            pool,
            client,
            who,
            TriggerName.VERIFY_AUTH_CHALLENGE_RESPONSE,
            "VerifyAuthChallengeResponse_Authentication",
            request,
            {"answerCorrect": None},
        )
        correct = response.get("answerCorrect") is True
        rounds = (*sign_in.custom, CustomRound(CUSTOM_CHALLENGE, correct, sign_in.metadata))
        define = await self._define(pool, client, who, rounds, answer.client_metadata)
        following = dataclasses.replace(sign_in, custom=rounds, private=None, metadata=None)
        return await self._decided(
            pool, client, who, following, define, answer.client_metadata, context
        )

    # --- the triggers
    async def _define(
        self,
        pool: UserPool,
        client: AppClient,
        who: _Who,
        rounds: tuple[CustomRound, ...],
        metadata: Mapping[str, str],
    ) -> str:
        """DefineAuthChallenge's decision: "tokens", "fail", or the challenge it names."""
        request: dict[str, Any] = {
            "userAttributes": _user_attributes(who.user),
            "session": _session_list(rounds),
            "clientMetadata": dict(metadata),
        }
        response = await self._invoke(
            pool,
            client,
            who,
            TriggerName.DEFINE_AUTH_CHALLENGE,
            "DefineAuthChallenge_Authentication",
            request,
            {"challengeName": None, "issueTokens": None, "failAuthentication": None},
        )
        if response.get("failAuthentication") is True:
            return "fail"
        if response.get("issueTokens") is True:
            return "tokens"
        name = response.get("challengeName")
        if name == PASSWORD_VERIFIER and [r.name for r in rounds] == [SRP_A]:
            return PASSWORD_VERIFIER
        if name == CUSTOM_CHALLENGE:
            return CUSTOM_CHALLENGE
        raise InvalidLambdaResponseException(
            "DefineAuthChallenge answered neither issueTokens, failAuthentication nor a "
            f"challengeName this sign-in can send next: {name!r}."
        )

    async def _decided(
        self,
        pool: UserPool,
        client: AppClient,
        who: _Who,
        sign_in: SignIn,
        define: str,
        metadata: Mapping[str, str],
        context: RequestContext | None,
        screened: Screening | None = None,
    ) -> AuthOutcome:
        """Carries out DefineAuthChallenge's decision: refused, tokens (through the machine:
        a new password, MFA after a verified password), or a new custom challenge."""
        rounds = sign_in.custom or ()
        if define == "fail" or (define == "tokens" and who.user is None):
            # Cognito: failAuthentication is answered as a wrong password is; tokens for a
            # name nobody holds are never issued, whatever the function says.
            raise NotAuthorizedException(WRONG)
        if define == "tokens":
            assert who.user is not None
            proven = dataclasses.replace(
                sign_in.proving(Proof.CUSTOM), custom=None, private=None, metadata=None
            )
            return await self._machine.first_factor(
                pool, client, who.user, proven, context, screened
            )
        if len(rounds) >= MAX_ROUNDS:
            raise NotAuthorizedException(WRONG)
        self._configured(pool, TriggerName.CREATE_AUTH_CHALLENGE)
        request: dict[str, Any] = {
            "userAttributes": _user_attributes(who.user),
            "challengeName": CUSTOM_CHALLENGE,
            "session": _session_list(rounds),
            "clientMetadata": dict(metadata),
        }
        response = await self._invoke(
            pool,
            client,
            who,
            TriggerName.CREATE_AUTH_CHALLENGE,
            "CreateAuthChallenge_Authentication",
            request,
            {
                "publicChallengeParameters": None,
                "privateChallengeParameters": None,
                "challengeMetadata": None,
            },
        )
        public = _string_map(response.get("publicChallengeParameters"), "publicChallengeParameters")
        private = _string_map(
            response.get("privateChallengeParameters"), "privateChallengeParameters"
        )
        challenge_metadata = response.get("challengeMetadata")
        if challenge_metadata is not None and not isinstance(challenge_metadata, str):
            raise InvalidLambdaResponseException(
                "CreateAuthChallenge answered a challengeMetadata that is not a string."
            )
        if len(json.dumps(private).encode()) > MAX_PRIVATE_BYTES:
            raise InvalidLambdaResponseException(
                f"privateChallengeParameters over {MAX_PRIVATE_BYTES} bytes."
            )
        if challenge_metadata is not None and len(challenge_metadata) > MAX_METADATA_CHARS:
            raise InvalidLambdaResponseException(
                f"challengeMetadata over {MAX_METADATA_CHARS} characters."
            )
        pending = dataclasses.replace(
            sign_in.renewed(), private=private, metadata=challenge_metadata
        )
        session = self._sessions.seal(pool.id, client, Challenge.CUSTOM_CHALLENGE, pending)
        name = (
            who.user.username if who.user is not None else self._srp.decoy_user_id(pool, who.typed)
        )
        return AuthOutcome(
            challenge=Challenge.CUSTOM_CHALLENGE,
            prompt=ChallengePrompt(username=name, custom=public),
            session=session,
        )

    def _configured(self, pool: UserPool, name: TriggerName) -> None:
        if self._triggers is None or self._triggers.function_for(pool, name) is None:
            raise InvalidParameterException(NOT_CONFIGURED)

    async def _invoke(
        self,
        pool: UserPool,
        client: AppClient,
        who: _Who,
        name: TriggerName,
        source: str,
        request: dict[str, Any],
        response: dict[str, Any],
    ) -> dict[str, Any]:
        """The function's `response` (UserLambdaValidationException and the other trigger
        errors raised by the dispatcher as they come)."""
        if self._triggers is None:
            raise InvalidParameterException(NOT_CONFIGURED)
        if self._triggers_prevent(client):
            request["userNotFound"] = who.user is None
        event = trigger_event(
            name,
            source,
            pool.id,
            pool.id.split("_", 1)[0],
            who.user.username if who.user is not None else who.typed,
            client.id,
            request,
            response,
        )
        answered = await self._triggers.invoke(pool, name, event)
        if answered is None:
            raise InvalidParameterException(NOT_CONFIGURED)
        out = answered.get("response")
        if not isinstance(out, dict):
            raise InvalidLambdaResponseException()
        return out

    @staticmethod
    def _triggers_prevent(client: AppClient) -> bool:
        # Cognito: userNotFound is sent only where PreventUserExistenceErrors is ENABLED.
        return client.prevent_user_existence_errors
