"""Cognito's triggers: their names, the event envelope every trigger gets, and which function
and event version a pool's LambdaConfig names for each (docs/triggers.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from mamori.domain.errors import (
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from mamori.domain.userpools.settings import LambdaConfig, VersionedLambda
from mamori.domain.users.user import User

# Cognito: callerContext.clientId when no app client is involved (AdminCreateUser,
# AdminConfirmSignUp); awsSdkVersion is what Cognito sends for calls from any SDK.
NO_CLIENT = "CLIENT_ID_NOT_APPLICABLE"
AWS_SDK_VERSION = "aws-sdk-unknown-unknown"


class TriggerName(StrEnum):
    """A trigger as Cognito names it in its error messages ("PreSignUp failed with error ...")."""

    PRE_SIGN_UP = "PreSignUp"
    POST_CONFIRMATION = "PostConfirmation"
    PRE_AUTHENTICATION = "PreAuthentication"
    POST_AUTHENTICATION = "PostAuthentication"
    PRE_TOKEN_GENERATION = "PreTokenGeneration"
    CUSTOM_MESSAGE = "CustomMessage"
    DEFINE_AUTH_CHALLENGE = "DefineAuthChallenge"
    CREATE_AUTH_CHALLENGE = "CreateAuthChallenge"
    VERIFY_AUTH_CHALLENGE_RESPONSE = "VerifyAuthChallengeResponse"
    USER_MIGRATION = "UserMigration"
    CUSTOM_EMAIL_SENDER = "CustomEmailSender"
    CUSTOM_SMS_SENDER = "CustomSMSSender"
    INBOUND_FEDERATION = "InboundFederation"


# What a trigger's failure raises (Triggers.invoke): `except TRIGGER_ERRORS` where a flow must
# turn any of them into its own answer (the hosted pages, federation's redirect).
TRIGGER_ERRORS = (
    UserLambdaValidationException,
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
)


def redirect_error(error: Exception) -> tuple[str, str]:
    """(error, error_description) for a redirect to the app's callback after a trigger failed
    in a federated or hosted sign-in.

    Cognito: observed redirects carry error=invalid_request and the trigger's message with a
    space after it ("PreSignUp failed with error User already exists.. ", aws-amplify/amplify-js
    issues 4319 and 14063), not access_denied."""
    return "invalid_request", f"{error} "


# Triggers whose answer Cognito does not read: a function may return nothing (null).
ANSWER_IGNORED = frozenset({TriggerName.CUSTOM_EMAIL_SENDER, TriggerName.CUSTOM_SMS_SENDER})

_PLAIN = {
    TriggerName.PRE_SIGN_UP: "pre_sign_up",
    TriggerName.POST_CONFIRMATION: "post_confirmation",
    TriggerName.PRE_AUTHENTICATION: "pre_authentication",
    TriggerName.POST_AUTHENTICATION: "post_authentication",
    TriggerName.CUSTOM_MESSAGE: "custom_message",
    TriggerName.DEFINE_AUTH_CHALLENGE: "define_auth_challenge",
    TriggerName.CREATE_AUTH_CHALLENGE: "create_auth_challenge",
    TriggerName.VERIFY_AUTH_CHALLENGE_RESPONSE: "verify_auth_challenge_response",
    TriggerName.USER_MIGRATION: "user_migration",
}
_VERSIONED = {
    TriggerName.PRE_TOKEN_GENERATION: "pre_token_generation_config",
    TriggerName.CUSTOM_EMAIL_SENDER: "custom_email_sender",
    TriggerName.CUSTOM_SMS_SENDER: "custom_sms_sender",
    TriggerName.INBOUND_FEDERATION: "inbound_federation",
}


def _versioned(config: LambdaConfig, name: TriggerName) -> VersionedLambda | None:
    attribute = _VERSIONED.get(name)
    value = getattr(config, attribute) if attribute else None
    return value if isinstance(value, VersionedLambda) else None


def function_arn(config: LambdaConfig | None, name: TriggerName) -> str | None:
    """The ARN of the function `config` names for `name`; None: no function."""
    if config is None:
        return None
    if name in _PLAIN:
        arn: str | None = getattr(config, _PLAIN[name])
        return arn or None
    versioned = _versioned(config, name)
    if versioned is not None and versioned.lambda_arn:
        return versioned.lambda_arn
    if name is TriggerName.PRE_TOKEN_GENERATION:
        # Cognito: PreTokenGenerationConfig wins over the older PreTokenGeneration member;
        # a pool given only the latter gets V1_0 events.
        return config.pre_token_generation or None
    return None


def function_version(config: LambdaConfig | None, name: TriggerName) -> str:
    """The event version `config` asks for (LambdaVersion: V1_0, V2_0, V3_0); V1_0 when the
    trigger has none."""
    versioned = _versioned(config, name) if config is not None else None
    if versioned is not None and versioned.lambda_arn and versioned.lambda_version:
        return versioned.lambda_version
    return "V1_0"


def trigger_event(
    name: TriggerName,
    source: str,
    pool_id: str,
    region: str,
    username: str | None,
    client_id: str | None,
    request: dict[str, Any],
    response: dict[str, Any] | None = None,
    version: str = "1",
) -> dict[str, Any]:
    """Cognito's envelope around a trigger's `request` and `response` (`name` is the caller's
    record of which trigger it is for: the envelope carries only `source`, its triggerSource)."""
    del name  # the envelope does not carry it; kept so call sites read as the trigger they build
    return {
        "version": version,
        "triggerSource": source,
        "region": region,
        "userPoolId": pool_id,
        "userName": username,
        "callerContext": {"awsSdkVersion": AWS_SDK_VERSION, "clientId": client_id or NO_CLIENT},
        "request": request,
        "response": {} if response is None else response,
    }


def trigger_attributes(user: User | None) -> dict[str, str]:
    """A user's attributes as Cognito's trigger events carry them, with its status
    (`cognito:user_status`); none for a user who isn't there (userNotFound)."""
    if user is None:
        return {}
    return {**user.attributes, "cognito:user_status": user.status.value}
