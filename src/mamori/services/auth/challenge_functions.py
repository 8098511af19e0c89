"""CUSTOM_AUTH's three triggers as the custom sign-in calls them (services/auth/custom_auth.py):
DefineAuthChallenge's decision, CreateAuthChallenge's challenge, VerifyAuthChallengeResponse's
verdict, with Cognito's events and checks of what the functions answer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mamori.domain.auth.auth_flow import Challenge
from mamori.domain.errors import InvalidLambdaResponseException, InvalidParameterException
from mamori.domain.ids import region_of
from mamori.domain.triggers import TriggerName, trigger_attributes, trigger_event
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.auth.sign_in_state import CustomRound

# Cognito: InvalidParameterException with this message when the pool has no DefineAuthChallenge
# (or CreateAuthChallenge, VerifyAuthChallengeResponse for the step that needs it).
NOT_CONFIGURED = "Custom auth lambda trigger is not configured for the user pool."
# mamori's bounds, so that a Session (at most 4096 characters in the model) fits: the JSON of
# privateChallengeParameters and of a challengeMetadata, in bytes (non-ASCII is escaped, six
# bytes a character); the rounds and the final check of the sealed length: custom_auth.py.
MAX_PRIVATE_BYTES = 1024
MAX_METADATA_BYTES = 64
SRP_A = "SRP_A"
PASSWORD_VERIFIER = Challenge.PASSWORD_VERIFIER.value
CUSTOM_CHALLENGE = Challenge.CUSTOM_CHALLENGE.value
# DefineAuthChallenge's decisions besides a challenge's name.
TOKENS = "tokens"
FAIL = "fail"


class ChallengeTriggers(Protocol):
    """The trigger dispatcher as the custom sign-in uses it (services/triggers/dispatcher.py):
    the function a pool names for a trigger, and a call to it (None: no function)."""

    def function_for(self, pool: UserPool, name: TriggerName) -> str | None: ...

    async def invoke(
        self, pool: UserPool, name: TriggerName, event: dict[str, Any]
    ) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Who:
    """The user a custom sign-in is for (None: nobody holds the name typed) and that name."""

    user: User | None
    typed: str


@dataclass(frozen=True)
class CreatedChallenge:
    """CreateAuthChallenge's answer: what the client is shown, what only Verify gets."""

    public: dict[str, str]
    private: dict[str, str]
    metadata: str | None


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


class ChallengeFunctions:
    def __init__(self, triggers: ChallengeTriggers | None) -> None:
        """`triggers`: None in tests that build the sign-in without a dispatcher (the flow is
        then refused as on a pool without the functions)."""
        self._triggers = triggers

    def configured(self, pool: UserPool, name: TriggerName) -> None:
        if self._triggers is None or self._triggers.function_for(pool, name) is None:
            raise InvalidParameterException(NOT_CONFIGURED)

    async def define(
        self,
        pool: UserPool,
        client: AppClient,
        who: Who,
        rounds: tuple[CustomRound, ...],
        metadata: Mapping[str, str],
    ) -> str:
        """DefineAuthChallenge's decision: TOKENS, FAIL, or the challenge it names next
        (PASSWORD_VERIFIER only right after SRP_A)."""
        request: dict[str, Any] = {
            "userAttributes": trigger_attributes(who.user),
            "session": _session_list(rounds),
            "clientMetadata": dict(metadata),
        }
        response = await self._invoke(
            pool,
            client,
            who,
            TriggerName.DEFINE_AUTH_CHALLENGE,
            request,
            {"challengeName": None, "issueTokens": None, "failAuthentication": None},
        )
        if response.get("failAuthentication") is True:
            return FAIL
        if response.get("issueTokens") is True:
            return TOKENS
        name = response.get("challengeName")
        if name == PASSWORD_VERIFIER and [r.name for r in rounds] == [SRP_A]:
            return PASSWORD_VERIFIER
        if name == CUSTOM_CHALLENGE:
            return CUSTOM_CHALLENGE
        raise InvalidLambdaResponseException(
            "DefineAuthChallenge answered neither issueTokens, failAuthentication nor a "
            f"challengeName this sign-in can send next: {name!r}."
        )

    async def create(
        self,
        pool: UserPool,
        client: AppClient,
        who: Who,
        rounds: tuple[CustomRound, ...],
        metadata: Mapping[str, str],
    ) -> CreatedChallenge:
        """CreateAuthChallenge for the next CUSTOM_CHALLENGE; InvalidLambdaResponseException
        for parameters that are not maps of strings, or too large to seal."""
        self.configured(pool, TriggerName.CREATE_AUTH_CHALLENGE)
        request: dict[str, Any] = {
            "userAttributes": trigger_attributes(who.user),
            "challengeName": CUSTOM_CHALLENGE,
            "session": _session_list(rounds),
            "clientMetadata": dict(metadata),
        }
        response = await self._invoke(
            pool,
            client,
            who,
            TriggerName.CREATE_AUTH_CHALLENGE,
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
        if challenge_metadata is not None and len(json.dumps(challenge_metadata)) - 2 > (
            MAX_METADATA_BYTES
        ):
            raise InvalidLambdaResponseException(
                f"challengeMetadata over {MAX_METADATA_BYTES} bytes."
            )
        return CreatedChallenge(public, private, challenge_metadata)

    async def verify(
        self,
        pool: UserPool,
        client: AppClient,
        who: Who,
        private: Mapping[str, str],
        answer: str,
        metadata: Mapping[str, str],
    ) -> bool:
        """VerifyAuthChallengeResponse's answerCorrect (anything but true: wrong)."""
        request: dict[str, Any] = {
            "userAttributes": trigger_attributes(who.user),
            "privateChallengeParameters": dict(private),
            "challengeAnswer": answer,
            "clientMetadata": dict(metadata),
        }
        response = await self._invoke(
            pool,
            client,
            who,
            TriggerName.VERIFY_AUTH_CHALLENGE_RESPONSE,
            request,
            {"answerCorrect": None},
        )
        return response.get("answerCorrect") is True

    async def _invoke(
        self,
        pool: UserPool,
        client: AppClient,
        who: Who,
        name: TriggerName,
        request: dict[str, Any],
        response: dict[str, Any],
    ) -> dict[str, Any]:
        """The function's `response` (UserLambdaValidationException and the other trigger
        errors raised by the dispatcher as they come)."""
        if self._triggers is None:
            raise InvalidParameterException(NOT_CONFIGURED)
        if client.prevent_user_existence_errors:
            # Cognito: userNotFound is sent only where PreventUserExistenceErrors is ENABLED.
            request["userNotFound"] = who.user is None
        event = trigger_event(
            name,
            f"{name.value}_Authentication",
            pool.id,
            region_of(pool.id),
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
