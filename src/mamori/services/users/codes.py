"""One-time codes and the messages that carry them: templates, delivery, checking."""

from __future__ import annotations

import dataclasses
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
from mamori.domain.ids import UserSub
from mamori.domain.triggers import TriggerName
from mamori.domain.userpools.user_pool import RecoveryOption, UserPool
from mamori.domain.users.user import User
from mamori.domain.users.user_rules import looks_like, mask
from mamori.services.ports import Clock, Message
from mamori.services.security.guard import Guard
from mamori.services.users.message_triggers import (
    SOURCE_OF_KIND,
    MessageEvent,
    MessageText,
    MessageTriggers,
)
from mamori.services.users.ports import CodeStore, MessageSender, StoredCode

# Purposes a code is stored under; one live code per user and purpose.
SIGNUP = "signup"
RESET = "reset"
MAX_ATTEMPTS = 5
# Cognito: a password-reset code lives one hour; sign-up and verification codes 24 hours.
RESET_TTL = timedelta(hours=1)
# Cognito: without an AccountRecoverySetting, the legacy order: SMS before email.
LEGACY_RECOVERY = (
    RecoveryOption("verified_phone_number", 1),
    RecoveryOption("verified_email", 2),
)
_RECOVERY_ATTRIBUTES = {"verified_phone_number": "phone_number", "verified_email": "email"}
_LIMIT = "Attempt limit exceeded, please try after some time."
# Weight of the latest delivery in the running mean of delivery times (see send_phantom_code).
_DELIVERY_WEIGHT = 0.2
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


def mask_delivery(user: User, attribute: str) -> Delivery:
    """The delivery a code to `user`'s `attribute` reports, as `CodeService.deliver` does."""
    channel = "SMS" if attribute == "phone_number" else "EMAIL"
    return Delivery(mask(user.attributes[attribute]), channel, attribute)


def delivery_attribute(pool: UserPool, user: User, candidates: tuple[str, ...]) -> str | None:
    """Where a code goes: the phone when it qualifies (Cognito prefers SMS), else email."""
    for attribute in ("phone_number", "email"):
        if attribute in candidates and user.attributes.get(attribute):
            return attribute
    return None


def admin_only(pool: UserPool) -> bool:
    """Whether only an administrator may reset passwords (AccountRecoverySetting admin_only)."""
    return any(option.name == "admin_only" for option in pool.account_recovery)


def recovery_attribute(pool: UserPool, user: User) -> str | None:
    """Where a password-reset code goes: the first verified channel in the pool's recovery
    priorities (the legacy order without a setting, or when it is admin_only)."""
    options = LEGACY_RECOVERY if admin_only(pool) else pool.account_recovery or LEGACY_RECOVERY
    for option in sorted(options, key=lambda o: o.priority):
        attribute = _RECOVERY_ATTRIBUTES.get(option.name)
        if attribute and user.attributes.get(attribute) and user.verified(attribute):
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
        guard: Guard,
        messages: MessageTriggers | None = None,
    ) -> None:
        """`messages`: the pools' CustomMessage and custom sender triggers (None: never asked)."""
        self._messages = messages
        self._store = store
        self._guard = guard
        self._email = email
        self._sms = sms
        self._keyring = keyring
        self._clock = clock
        self._ttl = ttl
        # A shorter configured lifetime shortens reset codes too.
        self._reset_ttl = min(ttl, RESET_TTL)
        # Running mean of how long a delivery takes, per channel (seconds; this process only).
        self._delivery_seconds: dict[str, float] = {}

    def lifetime(self, purpose: str) -> timedelta:
        return self._reset_ttl if purpose == RESET else self._ttl

    def _digest(
        self, pool: UserPool, sub: str, purpose: str, code: str, binding: str | None = None
    ) -> str:
        # A bound code only works for the value it was sent to (codes are all digits, so the
        # separator cannot be forged from the code side).
        bound = f":{binding}" if binding is not None else ""
        return self._keyring.digest(f"{pool.id}:{sub}:{purpose}:{code}{bound}", "code")

    def phantom_sub(self, pool: UserPool, username: str) -> UserSub:
        """A stable id for a username nobody holds: codes stored under it can never be used."""
        key = self._keyring.digest(f"{pool.id}:{pool.username_key(username)}", "phantom")
        return UserSub(f"phantom:{key[:40]}")

    async def deliver(
        self,
        pool: UserPool,
        user: User,
        attribute: str,
        kind: str,
        body: str,
        subject: str | None,
        code: str | None,
        destination: str | None = None,
    ) -> Delivery:
        """Sends to `destination`, by default the user's current value of `attribute`.
        Every code and invitation passes here: LimitExceededException past the hourly quota
        of the user or of the destination (services/security/guard.py)."""
        destination = destination or user.attributes[attribute]
        await self._guard.check_send(pool.id, user.sub, destination)
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
        started = anyio.current_time()
        try:
            await sender.send(message)
        except CodeDeliveryFailureException:
            raise
        except Exception as exc:
            raise CodeDeliveryFailureException(
                f"Unable to deliver the message to {mask(destination)}."
            ) from exc
        self._observe(channel, anyio.current_time() - started)
        return Delivery(mask(destination), channel, attribute)

    def _observe(self, channel: str, seconds: float) -> None:
        mean = self._delivery_seconds.get(channel)
        self._delivery_seconds[channel] = (
            seconds if mean is None else mean + _DELIVERY_WEIGHT * (seconds - mean)
        )

    async def send_code(
        self,
        pool: UserPool,
        user: User,
        purpose: str,
        attribute: str,
        kind: str,
        destination: str | None = None,
        binding: str | None = None,
        message: str | None = None,
        subject: str | None = None,
        event: MessageEvent | None = None,
    ) -> Delivery:
        """A fresh code for `purpose` (replacing any earlier one), sent to `destination` (by
        default the user's `attribute`). A code with a `binding` is checked with the same one.
        `message` and `subject` replace the pool's verification template (MFA codes). `event`:
        what the message triggers are told (by default, the source `kind` implies)."""
        code = numeric_code()
        template = pool.verification_message
        channel = "SMS" if attribute == "phone_number" else "EMAIL"
        event = event or MessageEvent(SOURCE_OF_KIND[kind])
        sender = self._messages.sender_of(pool, channel) if self._messages else None
        text = MessageText(
            message
            or (template.sms_message if channel == "SMS" else template.email_message)
            or DEFAULT_CODE_MESSAGE,
            subject or template.email_subject or DEFAULT_CODE_SUBJECT,
        )
        if self._messages is not None and sender is None:
            # Before the code is stored: a refused message leaves the last one sent usable.
            text = await self._messages.custom_message(pool, user, event, channel, text)
        body = render(text.body, DEFAULT_CODE_MESSAGE, code, user.username)
        previous = await self._store.get_code(pool.id, user.sub, purpose)
        # Stored before it is sent: a receiver may use the code before the send call returns.
        await self._store.put_code(
            pool.id,
            user.sub,
            purpose,
            self._digest(pool, user.sub, purpose, code, binding),
            self._clock.now() + self.lifetime(purpose),
        )
        try:
            if sender is not None:
                return await self._custom_send(
                    pool, user, attribute, event, sender, code, destination
                )
            return await self.deliver(
                pool, user, attribute, kind, body, text.subject, code, destination
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

    async def _custom_send(
        self,
        pool: UserPool,
        user: User,
        attribute: str,
        event: MessageEvent,
        sender: TriggerName,
        secret: str,
        destination: str | None = None,
    ) -> Delivery:
        """The custom sender trigger instead of a send: counted against the same quotas."""
        assert self._messages is not None
        destination = destination or user.attributes[attribute]
        await self._guard.check_send(pool.id, user.sub, destination)
        await self._messages.custom_send(pool, user, event, sender, secret)
        return mask_delivery(
            dataclasses.replace(user, attributes={attribute: destination}), attribute
        )

    async def send_invitation(
        self,
        pool: UserPool,
        user: User,
        attribute: str,
        temporary_password: str,
        event: MessageEvent | None = None,
    ) -> Delivery | None:
        """The AdminCreateUser welcome message with the temporary password, if it can carry it."""
        event = event or MessageEvent(SOURCE_OF_KIND["invitation"])
        channel = "SMS" if attribute == "phone_number" else "EMAIL"
        if self._messages is not None:
            sender = self._messages.sender_of(pool, channel)
            if sender is not None:
                return await self._custom_send(
                    pool, user, attribute, event, sender, temporary_password
                )
        template = pool.invite_message
        configured = template.sms_message if channel == "SMS" else template.email_message
        text = MessageText(
            configured or DEFAULT_INVITE, template.email_subject or DEFAULT_INVITE_SUBJECT
        )
        if self._messages is not None:
            text = await self._messages.custom_message(pool, user, event, channel, text)
        if "{####}" not in text.body:
            # Cognito: a template without the password placeholder is not delivered at all.
            return None
        body = render(text.body, DEFAULT_INVITE, temporary_password, user.username)
        return await self.deliver(pool, user, attribute, "invitation", body, text.subject, None)

    async def send_invitations(
        self,
        pool: UserPool,
        user: User,
        temporary_password: str,
        mediums: Sequence[str],
        event: MessageEvent | None = None,
    ) -> None:
        """AdminCreateUser's invitation over each of DesiredDeliveryMediums the user can get."""
        wanted = ["phone_number" if m == "SMS" else "email" for m in mediums or ("SMS",)]
        targets = [a for a in dict.fromkeys(wanted) if user.attributes.get(a)]
        if not mediums and not targets and user.attributes.get("email"):
            # The default medium is SMS; a user without a phone number is invited by email.
            targets = ["email"]
        for attribute in targets:
            await self.send_invitation(pool, user, attribute, temporary_password, event)

    async def send_phantom_code(
        self, pool: UserPool, phantom: UserSub, purpose: str, channel: str
    ) -> None:
        """What `send_code` does, for a username nobody holds (PreventUserExistenceErrors): the
        same reads and writes, a code stored under the phantom id (never delivered, so it can
        only be guessed; checking it answers like a real one: mismatch, attempt limit,
        expiry), and a wait as long as a delivery on `channel` has been taking. The phantom
        has a quota like a user's, so its answers turn to LimitExceededException alike."""
        await self._guard.check_send(pool.id, phantom, None)
        await self._store.get_code(pool.id, phantom, purpose)
        await self._store.put_code(
            pool.id,
            phantom,
            purpose,
            self._digest(pool, phantom, purpose, numeric_code()),
            self._clock.now() + self.lifetime(purpose),
        )
        await anyio.sleep(self._delivery_seconds.get(channel, 0.0))

    async def check_code(
        self, pool: UserPool, user: User, purpose: str, code: str, binding: str | None = None
    ) -> None:
        """Consume the code or raise: mismatch, expiry and the attempt limit are all enforced."""
        await self._check(pool, user.sub, purpose, code, binding)

    async def check_phantom_code(
        self, pool: UserPool, phantom: UserSub, purpose: str, code: str
    ) -> None:
        """`check_code` for a username nobody holds: the same answers, and never a success."""
        await self._check(pool, phantom, purpose, code, None)
        raise CodeMismatchException()  # guessed the undelivered code: still nobody's

    async def _check(
        self, pool: UserPool, sub: UserSub, purpose: str, code: str, binding: str | None
    ) -> None:
        stored = await self._store.get_code(pool.id, sub, purpose)
        if stored is None:
            raise ExpiredCodeException()
        if stored.expires <= self._clock.now():
            await self._store.delete_code(pool.id, sub, purpose)
            raise ExpiredCodeException()
        if stored.attempts >= MAX_ATTEMPTS:
            # The code stays locked (not deleted) until it expires or a new one is sent, so SDKs
            # that retry LimitExceededException as throttling get the same answer again.
            raise LimitExceededException(_LIMIT)
        # Counted before comparing, the increment returning its own count: concurrent guesses
        # each see a distinct one, so no more than MAX_ATTEMPTS of them are ever compared.
        counted = await self._store.count_attempt(pool.id, sub, purpose)
        if counted is None:
            raise ExpiredCodeException()  # used or replaced meanwhile
        if counted.attempts > MAX_ATTEMPTS:
            raise LimitExceededException(_LIMIT)
        given = self._digest(pool, sub, purpose, code, binding)
        if not hmac.compare_digest(counted.digest.encode(), given.encode()):
            raise CodeMismatchException()
        if not await self._store.delete_code(pool.id, sub, purpose):
            raise ExpiredCodeException()  # a concurrent request used it first
