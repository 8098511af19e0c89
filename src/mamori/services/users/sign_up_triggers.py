"""The sign-up triggers: PreSignUp (SignUp, AdminCreateUser, a provider's first sign-in), asked
before a user is written, and PostConfirmation (ConfirmSignUp, AdminConfirmSignUp,
ConfirmForgotPassword), told after. docs/triggers.md, "Sign-up"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mamori.domain.errors import InvalidLambdaResponseException
from mamori.domain.ids import region_of
from mamori.domain.triggers import TriggerName, trigger_attributes, trigger_event
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.triggers.dispatcher import Triggers

PRE_SIGN_UP_SIGN_UP = "PreSignUp_SignUp"
PRE_SIGN_UP_ADMIN_CREATE_USER = "PreSignUp_AdminCreateUser"
PRE_SIGN_UP_EXTERNAL_PROVIDER = "PreSignUp_ExternalProvider"
POST_CONFIRMATION_CONFIRM_SIGN_UP = "PostConfirmation_ConfirmSignUp"
POST_CONFIRMATION_CONFIRM_FORGOT_PASSWORD = "PostConfirmation_ConfirmForgotPassword"


@dataclass(frozen=True)
class PreSignUpAnswer:
    """What the PreSignUp function decided (all False without one)."""

    auto_confirm_user: bool = False
    auto_verify_email: bool = False
    auto_verify_phone: bool = False


NOT_ASKED = PreSignUpAnswer()


class SignUpTriggers:
    def __init__(self, triggers: Triggers) -> None:
        self._triggers = triggers

    async def pre_sign_up(
        self,
        pool: UserPool,
        source: str,
        username: str,
        client_id: str | None,
        attributes: Mapping[str, str],
        validation_data: Mapping[str, str] | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> PreSignUpAnswer:
        """Asks the pool's PreSignUp function about a user about to be written; raises what the
        function's failure raises (UserLambdaValidationException...), before anything is."""
        if self._triggers.function_for(pool, TriggerName.PRE_SIGN_UP) is None:
            return NOT_ASKED
        request: dict[str, Any] = {
            "userAttributes": dict(attributes),
            "validationData": dict(validation_data) if validation_data else None,
        }
        if client_metadata:
            request["clientMetadata"] = dict(client_metadata)
        answered = await self._triggers.invoke(
            pool,
            TriggerName.PRE_SIGN_UP,
            trigger_event(
                TriggerName.PRE_SIGN_UP,
                source,
                pool.id,
                region_of(pool.id),
                username,
                client_id,
                request,
                {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
            ),
        )
        response = (answered or {}).get("response") or {}
        if not isinstance(response, Mapping):
            raise InvalidLambdaResponseException(
                "Invalid lambda response: response is not an object"
            )
        return PreSignUpAnswer(
            _flag(response, "autoConfirmUser"),
            _flag(response, "autoVerifyEmail"),
            _flag(response, "autoVerifyPhone"),
        )

    async def post_confirmation(
        self,
        pool: UserPool,
        source: str,
        user: User,
        client_id: str | None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> None:
        """Tells the pool's PostConfirmation function about a confirmed user (or a password
        reset). Raises the function's failure; what was confirmed stays confirmed."""
        if self._triggers.function_for(pool, TriggerName.POST_CONFIRMATION) is None:
            return
        request: dict[str, Any] = {"userAttributes": trigger_attributes(user)}
        if client_metadata:
            request["clientMetadata"] = dict(client_metadata)
        await self._triggers.invoke(
            pool,
            TriggerName.POST_CONFIRMATION,
            trigger_event(
                TriggerName.POST_CONFIRMATION,
                source,
                pool.id,
                region_of(pool.id),
                user.username,
                client_id,
                request,
                {},
            ),
        )


def _flag(response: Mapping[str, Any], member: str) -> bool:
    value = response.get(member)
    if value is None or isinstance(value, bool):
        return bool(value)
    # Lambda runtimes that hand back strings ("true") are common enough to take.
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise InvalidLambdaResponseException(f"Invalid lambda response: {member} is not a boolean")
