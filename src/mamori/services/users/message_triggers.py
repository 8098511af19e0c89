"""The message triggers: CustomMessage (the function writes the text of a code's message) and the
custom senders, CustomEmailSender and CustomSMSSender (the function sends it, given the code
encrypted). CodeService (codes.py) asks here before it sends anything; docs/triggers.md,
"Messages"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mamori.domain.errors import (
    CodeDeliveryFailureException,
    InvalidLambdaResponseException,
    InvalidParameterException,
)
from mamori.domain.ids import region_of
from mamori.domain.triggers import TriggerName, trigger_attributes, trigger_event
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.triggers.dispatcher import Triggers
from mamori.services.users.ports import CodeEncryption

CODE_PARAMETER = "{####}"
USERNAME_PARAMETER = "{username}"
# Cognito: what a message's body must match (the validation error quotes it).
_BODY_PATTERN = r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{####\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*"
_SENDER_REQUEST = {
    TriggerName.CUSTOM_EMAIL_SENDER: "customEmailSenderRequestV1",
    TriggerName.CUSTOM_SMS_SENDER: "customSMSSenderRequestV1",
}

# The sources, as the triggers' names end: CustomMessage_SignUp, CustomEmailSender_SignUp...
SIGN_UP = "SignUp"
ADMIN_CREATE_USER = "AdminCreateUser"
RESEND_CODE = "ResendCode"
FORGOT_PASSWORD = "ForgotPassword"
UPDATE_USER_ATTRIBUTE = "UpdateUserAttribute"
VERIFY_USER_ATTRIBUTE = "VerifyUserAttribute"
AUTHENTICATION = "Authentication"
# A message's source when its sender names none, by the kind CodeService stores it as.
SOURCE_OF_KIND = {
    "confirmation": SIGN_UP,
    "invitation": ADMIN_CREATE_USER,
    "password-reset": FORGOT_PASSWORD,
    "verification": VERIFY_USER_ATTRIBUTE,
    "mfa": AUTHENTICATION,
}


@dataclass(frozen=True)
class MessageEvent:
    """Why a message is sent, as the message triggers are told: the source (SIGN_UP...), the
    app client of the call (None: an administrator's) and the call's ClientMetadata."""

    source: str
    client_id: str | None = None
    client_metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MessageText:
    """A message before its code is put in: `body` holds the placeholders."""

    body: str
    subject: str | None


class MessageTriggers:
    def __init__(self, triggers: Triggers, encryption: CodeEncryption | None) -> None:
        """`encryption`: how custom senders' codes are encrypted (None: custom senders fail)."""
        self._triggers = triggers
        self._encryption = encryption

    def sender_of(self, pool: UserPool, channel: str) -> TriggerName | None:
        """The custom sender trigger that sends `channel`'s messages (EMAIL, SMS), if any."""
        name = (
            TriggerName.CUSTOM_SMS_SENDER if channel == "SMS" else TriggerName.CUSTOM_EMAIL_SENDER
        )
        return name if self._triggers.function_for(pool, name) is not None else None

    async def custom_send(
        self, pool: UserPool, user: User, event: MessageEvent, sender: TriggerName, code: str
    ) -> None:
        """The custom sender called instead of sending: the code (or temporary password)
        encrypted. Raises the trigger's errors; the caller has sent nothing."""
        if self._encryption is None:
            raise CodeDeliveryFailureException("No key is configured for custom sender codes.")
        key_id = pool.lambda_config.kms_key_id if pool.lambda_config else None
        encrypted = await self._encryption.encrypt(pool, key_id, code)
        request: dict[str, Any] = {
            "type": _SENDER_REQUEST[sender],
            "code": encrypted,
            "userAttributes": trigger_attributes(user),
        }
        if event.client_metadata:
            request["clientMetadata"] = dict(event.client_metadata)
        await self._triggers.invoke(
            pool,
            sender,
            trigger_event(
                sender,
                f"{sender.value}_{event.source}",
                pool.id,
                region_of(pool.id),
                user.username,
                event.client_id,
                request,
                {},
            ),
        )

    async def custom_message(
        self, pool: UserPool, user: User, event: MessageEvent, channel: str, default: MessageText
    ) -> MessageText:
        """The text the CustomMessage function writes for the message `default` would be
        (unchanged without a function, or where it leaves the channel's message out).
        InvalidParameterException for a body without the code's placeholder (and, inviting,
        the username's), as Cognito refuses it."""
        if self._triggers.function_for(pool, TriggerName.CUSTOM_MESSAGE) is None:
            return default
        invitation = event.source == ADMIN_CREATE_USER
        request: dict[str, Any] = {
            "userAttributes": trigger_attributes(user),
            "codeParameter": CODE_PARAMETER,
            "linkParameter": None,
            "usernameParameter": USERNAME_PARAMETER if invitation else None,
        }
        if event.client_metadata:
            request["clientMetadata"] = dict(event.client_metadata)
        answered = await self._triggers.invoke(
            pool,
            TriggerName.CUSTOM_MESSAGE,
            trigger_event(
                TriggerName.CUSTOM_MESSAGE,
                f"CustomMessage_{event.source}",
                pool.id,
                region_of(pool.id),
                user.username,
                event.client_id,
                request,
                {"smsMessage": None, "emailMessage": None, "emailSubject": None},
            ),
        )
        response = _response(answered)
        sms = channel == "SMS"
        body = _text(response, "smsMessage" if sms else "emailMessage")
        subject = None if sms else _text(response, "emailSubject")
        if body is None:
            return MessageText(default.body, subject or default.subject)
        member = "smsMessage" if sms else "emailBody"
        if CODE_PARAMETER not in body:
            raise InvalidParameterException(
                f"1 validation error detected: Value '{body}' at '{member}' failed to satisfy "
                f"constraint: Member must satisfy regular expression pattern: {_BODY_PATTERN}"
            )
        if invitation and USERNAME_PARAMETER not in body:
            # Cognito: an invitation must carry the username as well as the password.
            raise InvalidParameterException(
                f"1 validation error detected: Value '{body}' at '{member}' failed to satisfy "
                f"constraint: Member must contain {USERNAME_PARAMETER}"
            )
        return MessageText(body, subject or default.subject)


def _response(answered: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if answered is None:
        return {}
    response = answered.get("response")
    if response is None:
        return {}
    if not isinstance(response, Mapping):
        raise InvalidLambdaResponseException("Invalid lambda response: response is not an object")
    return response


def _text(response: Mapping[str, Any], member: str) -> str | None:
    value = response.get(member)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidLambdaResponseException(f"Invalid lambda response: {member} is not a string")
    return value
