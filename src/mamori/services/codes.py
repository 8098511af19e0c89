"""One-time codes and the messages that carry them: templates, delivery, checking."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import anyio

from mamori.crypto.aead import Keyring
from mamori.crypto.secrets import numeric_code
from mamori.domain.errors import (
    CodeDeliveryFailureException,
    CodeMismatchException,
    ExpiredCodeException,
    LimitExceededException,
)
from mamori.domain.user import User
from mamori.domain.user_pool import UserPool
from mamori.domain.user_rules import looks_like, mask
from mamori.ports import Clock, CodeStore, Message, MessageSender, StoredCode

# Purposes a code is stored under; one live code per user and purpose.
SIGNUP = "signup"
RESET = "reset"
MAX_ATTEMPTS = 5
DEFAULT_CODE_MESSAGE = "Your verification code is {####}. "
DEFAULT_CODE_SUBJECT = "Your verification code"
DEFAULT_INVITE = "Your username is {username} and temporary password is {####}. "
DEFAULT_INVITE_SUBJECT = "Your temporary password"


@dataclass(frozen=True)
class Delivery:
    destination: str  # masked
    medium: str  # EMAIL | SMS
    attribute: str


def verify_purpose(attribute: str) -> str:
    """The purpose of the code that verifies `attribute` (UpdateUserAttributes and the like)."""
    return f"verify:{attribute}"


def simulated_delivery(pool: UserPool, username: str) -> Delivery:
    """A plausible delivery for a user that does not exist (PreventUserExistenceErrors)."""
    # Stable per username, so asking twice gives the same answer, as it would for a real user.
    if looks_like("phone_number", username):
        return Delivery(mask(username), "SMS", "phone_number")
    if looks_like("email", username):
        return Delivery(mask(username), "EMAIL", "email")
    if "email" not in pool.auto_verified_attributes:
        digits = "".join(str(b % 10) for b in hashlib.sha256(username.encode()).digest()[:4])
        return Delivery(mask(f"+1555000{digits}"), "SMS", "phone_number")
    return Delivery(mask(f"{username}@{username}"), "EMAIL", "email")


def delivery_attribute(pool: UserPool, user: User, candidates: tuple[str, ...]) -> str | None:
    """Where a code goes: the phone when it qualifies (Cognito prefers SMS), else email."""
    for attribute in ("phone_number", "email"):
        if attribute in candidates and user.attributes.get(attribute):
            return attribute
    return None


def render(template: str | None, default: str, code: str, username: str) -> str:
    return (template or default).replace("{####}", code).replace("{username}", username)


class CodeService:
    def __init__(
        self,
        store: CodeStore,
        email: MessageSender,
        sms: MessageSender,
        keyring: Keyring,
        clock: Clock,
        ttl: timedelta,
    ) -> None:
        self._store = store
        self._email = email
        self._sms = sms
        self._keyring = keyring
        self._clock = clock
        self._ttl = ttl

    def _digest(self, pool: UserPool, user: User, purpose: str, code: str) -> str:
        return self._keyring.digest(f"{pool.id}:{user.sub}:{purpose}:{code}", "code")

    async def deliver(
        self,
        pool: UserPool,
        user: User,
        attribute: str,
        kind: str,
        body: str,
        subject: str | None,
        code: str | None,
    ) -> Delivery:
        destination = user.attributes[attribute]
        channel = "SMS" if attribute == "phone_number" else "EMAIL"
        sender = self._sms if channel == "SMS" else self._email
        message = Message(
            pool.id,
            channel,
            destination,
            subject if channel == "EMAIL" else None,
            body,
            kind,
            code,
            self._clock.now(),
        )
        try:
            await sender.send(message)
        except CodeDeliveryFailureException:
            raise
        except Exception as exc:
            raise CodeDeliveryFailureException(
                f"Unable to deliver the message to {mask(destination)}."
            ) from exc
        return Delivery(mask(destination), channel, attribute)

    async def send_code(
        self, pool: UserPool, user: User, purpose: str, attribute: str, kind: str
    ) -> Delivery:
        """A fresh code for `purpose` (replacing any earlier one), sent to `attribute`."""
        code = numeric_code()
        template = pool.verification_message
        channel_sms = attribute == "phone_number"
        body = render(
            template.sms_message if channel_sms else template.email_message,
            DEFAULT_CODE_MESSAGE,
            code,
            user.username,
        )
        previous = await self._store.get_code(pool.id, user.sub, purpose)
        # Stored before it is sent: a receiver may use the code before the send call returns.
        await self._store.put_code(
            pool.id,
            user.sub,
            purpose,
            self._digest(pool, user, purpose, code),
            self._clock.now() + self._ttl,
        )
        try:
            return await self.deliver(
                pool,
                user,
                attribute,
                kind,
                body,
                template.email_subject or DEFAULT_CODE_SUBJECT,
                code,
            )
        except BaseException:
            # An undelivered code must not void the one the user was last sent.
            with anyio.CancelScope(shield=True):
                await self._restore(pool, user, purpose, previous)
            raise

    async def _restore(
        self, pool: UserPool, user: User, purpose: str, previous: StoredCode | None
    ) -> None:
        if previous is None:
            await self._store.delete_code(pool.id, user.sub, purpose)
            return
        await self._store.put_code(pool.id, user.sub, purpose, previous.digest, previous.expires)
        for _ in range(previous.attempts):  # its attempt count goes back too
            await self._store.count_attempt(pool.id, user.sub, purpose)

    async def send_invitation(
        self, pool: UserPool, user: User, attribute: str, temporary_password: str
    ) -> Delivery | None:
        """The AdminCreateUser welcome message with the temporary password, if it can carry it."""
        template = pool.invite_message
        sms = attribute == "phone_number"
        text = template.sms_message if sms else template.email_message
        if text and "{####}" not in text:
            # Cognito: a template without the password placeholder is not delivered at all.
            return None
        body = render(text, DEFAULT_INVITE, temporary_password, user.username)
        return await self.deliver(
            pool,
            user,
            attribute,
            "invitation",
            body,
            template.email_subject or DEFAULT_INVITE_SUBJECT,
            None,
        )

    async def send_invitations(
        self, pool: UserPool, user: User, temporary_password: str, mediums: Sequence[str]
    ) -> None:
        """AdminCreateUser's invitation over each of DesiredDeliveryMediums the user can get."""
        wanted = ["phone_number" if m == "SMS" else "email" for m in mediums or ("SMS",)]
        targets = [a for a in dict.fromkeys(wanted) if user.attributes.get(a)]
        if not mediums and not targets and user.attributes.get("email"):
            # The default medium is SMS; a user without a phone number is invited by email.
            targets = ["email"]
        for attribute in targets:
            await self.send_invitation(pool, user, attribute, temporary_password)

    async def check_code(self, pool: UserPool, user: User, purpose: str, code: str) -> None:
        """Consume the code or raise: mismatch, expiry and the attempt limit are all enforced."""
        stored = await self._store.get_code(pool.id, user.sub, purpose)
        if stored is None:
            raise ExpiredCodeException()
        if stored.expires <= self._clock.now():
            await self._store.delete_code(pool.id, user.sub, purpose)
            raise ExpiredCodeException()
        if stored.attempts >= MAX_ATTEMPTS:
            # The code stays locked (not deleted) until it expires or a new one is sent, so SDKs
            # that retry LimitExceededException as throttling get the same answer again.
            raise LimitExceededException("Attempt limit exceeded, please try after some time.")
        given = self._digest(pool, user, purpose, code)
        if not hmac.compare_digest(stored.digest.encode(), given.encode()):
            await self._store.count_attempt(pool.id, user.sub, purpose)
            raise CodeMismatchException()
        if not await self._store.delete_code(pool.id, user.sub, purpose):
            raise ExpiredCodeException()  # a concurrent request used it first
