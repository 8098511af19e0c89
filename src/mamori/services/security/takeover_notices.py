"""Account-takeover notifications (AccountTakeoverRiskConfiguration's Notify): the email for the
action taken, Cognito's placeholders filled in, sent through the email sender; and the one-click
feedback links it carries, checked again when a user follows one."""

from __future__ import annotations

import html
import json
import logging
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mamori.crypto.aead import Keyring, SealError
from mamori.domain.errors import ServiceError
from mamori.domain.security.auth_events import AuthEvent, FeedbackValue
from mamori.domain.security.risk_config import (
    AccountTakeover,
    NotifyEmail,
    RiskLevel,
    TakeoverEventAction,
)
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.domain.users.user_rules import mask
from mamori.services.ports import Clock, Message
from mamori.services.security.auth_events import AuthEventLog
from mamori.services.security.guard import Guard

log = logging.getLogger("mamori.security")

KIND: Final = "account-takeover"
# The public endpoint the one-click links open (api/takeover_feedback.py), below public_url.
LINK_PATH: Final = "/auth-events/feedback"
_LINK = "takeover-link:"
# Cognito leaves no placeholder in the message; a value the event doesn't know reads as this.
UNKNOWN: Final = "Unknown"
_PLACEHOLDER = re.compile(
    r"\{(username|ip-address|city|country|login-time|device-name"
    r"|one-click-link-valid|one-click-link-invalid)\}"
)
_TAG = re.compile(r"<[A-Za-z/!][^<>]*>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/h[1-6]|/li|/tr)\b[^<>]*>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

_DETAILS = (
    "Time: {login-time}\nDevice: {device-name}\nLocation: {city}, {country}\n"
    "IP address: {ip-address}\n\n"
    "If this was you, tell us with this link: {one-click-link-valid}\n"
    "If it was not you, tell us with this link and change your password: "
    "{one-click-link-invalid}\n"
)
# Used when the configuration has no template for the action (NotifyConfiguration.email_for).
DEFAULT_EMAILS: Final = {
    TakeoverEventAction.BLOCK: NotifyEmail(
        "Blocked sign-in attempt",
        text_body="We blocked an unrecognized sign-in to your account {username}:\n\n" + _DETAILS,
    ),
    TakeoverEventAction.NO_ACTION: NotifyEmail(
        "New sign-in to your account",
        text_body="We noticed an unrecognized sign-in to your account {username}:\n\n" + _DETAILS,
    ),
    TakeoverEventAction.MFA_REQUIRED: NotifyEmail(
        "New sign-in to your account",
        text_body="We asked for a second factor at an unrecognized sign-in to your account "
        "{username}:\n\n" + _DETAILS,
    ),
}


class EmailSender(Protocol):
    """The configured email sender (docs/delivery.md)."""

    async def send(self, message: Message) -> None: ...


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


class LinkOutcome(StrEnum):
    RECORDED = "recorded"  # the feedback is the event's now (again, for a second click)
    BAD_LINK = "bad-link"  # not a link of ours, altered, expired, or the event is gone


@dataclass(frozen=True)
class LinkResult:
    outcome: LinkOutcome
    value: FeedbackValue | None = None


def substitute(template: str, values: Mapping[str, str]) -> str:
    """Each placeholder replaced in one pass: a value that itself reads like a placeholder (a
    username "{one-click-link-valid}") is left as it is, never expanded."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def _one_line(value: str) -> str:
    return _CONTROL.sub(" ", value).strip()


def text_of(html_template: str) -> str:
    """A text part for an HTML-only template: tags dropped, breaks kept, entities decoded
    (from the template only: values are substituted after, as they are)."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", html_template))).strip()


def render(template: NotifyEmail, values: Mapping[str, str]) -> Rendered:
    """Subject, text and HTML of one notification. Values are escaped in the HTML body (links
    too: `&` in a URL is `&amp;` inside an attribute) and kept on one line in the subject."""
    subject = substitute(template.subject, {k: _one_line(v) for k, v in values.items()})
    escaped = {k: html.escape(v, quote=True) for k, v in values.items()}
    html_body = substitute(template.html_body, escaped) if template.html_body else None
    if template.text_body:
        text = substitute(template.text_body, values)
    elif template.html_body:
        text = substitute(text_of(template.html_body), values)
    else:
        text = subject
    return Rendered(subject, text, html_body)


def login_time(created: datetime, timezone: str | None) -> str:
    """The event's time in the place's time zone when GeoIP gave one, else UTC."""
    zone: Any = UTC
    if timezone:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC
    return created.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def placeholder_values(
    user: User, event: AuthEvent, valid_link: str, invalid_link: str
) -> dict[str, str]:
    context = event.context
    return {
        "username": user.username,
        "ip-address": context.ip or UNKNOWN,
        "city": context.city or UNKNOWN,
        "country": context.country or UNKNOWN,
        "login-time": login_time(event.created, context.timezone),
        "device-name": context.device_name or UNKNOWN,
        "one-click-link-valid": valid_link,
        "one-click-link-invalid": invalid_link,
    }


class TakeoverNotices:
    def __init__(
        self,
        email: EmailSender,
        auth_events: AuthEventLog,
        keyring: Keyring,
        clock: Clock,
        public_url: str,
        guard: Guard | None = None,
    ) -> None:
        self._email = email
        self._auth_events = auth_events
        self._keyring = keyring
        self._clock = clock
        self._public_url = public_url.rstrip("/")
        self._guard = guard

    # --- the email
    async def notify(
        self,
        pool: UserPool,
        user: User,
        event: AuthEvent,
        level: RiskLevel,
        configuration: AccountTakeover,
        action: TakeoverEventAction | None = None,
    ) -> bool:
        """Sends the notification for `event` at `level` when the level's action notifies;
        whether an email went out. `action` is the action taken when it differs from the
        configured one (MFA_IF_CONFIGURED for a user without MFA took none: NO_ACTION).
        Never raises for delivery: a sign-in doesn't fail because its notice couldn't go."""
        configured = configuration.action_for(level)
        notify = configuration.notify
        address = user.attributes.get("email")
        if not configured.notify or notify is None or not address:
            return False
        taken = action or configured.action
        template = notify.email_for(taken) or DEFAULT_EMAILS[_default_key(taken)]
        values = placeholder_values(
            user,
            event,
            self.link(event, FeedbackValue.VALID),
            self.link(event, FeedbackValue.INVALID),
        )
        rendered = render(template, values)
        message = Message(
            pool.id,
            "EMAIL",
            address,
            rendered.subject,
            rendered.text,
            KIND,
            None,
            self._clock.now(),
            html=rendered.html,
            sender=notify.from_address,
            reply_to=notify.reply_to,
        )
        try:
            if self._guard is not None:
                await self._guard.check_send(pool.id, user.sub, address)
            await self._email.send(message)
        except Exception as exc:  # a notice that can't go is logged, never the sign-in's failure
            log.warning(
                "account-takeover notice to %s in pool %s not sent (%s)",
                mask(address),
                pool.id,
                type(exc).__name__,
            )
            return False
        return True

    def link(self, event: AuthEvent, value: FeedbackValue) -> str:
        """A one-click link: the event's feedback token (AuthEventLog.feedback_token) sealed
        with the event's id and the value, so the link records that value for that event only
        (changing `value=` in the URL makes a bad link)."""
        sealed = self._keyring.seal(
            json.dumps(
                {"f": self._auth_events.feedback_token(event), "e": event.id, "v": value.value},
                separators=(",", ":"),
            ).encode(),
            _LINK + event.pool_id,
        )
        query = urllib.parse.urlencode(
            {"pool": event.pool_id, "value": value.value.lower(), "token": sealed}
        )
        return f"{self._public_url}{LINK_PATH}?{query}"

    # --- the link followed
    async def follow(self, pool_id: str, value: str, token: str) -> LinkResult:
        """Records the feedback a link carries (again: the same answer, nothing rewritten).
        Anything wrong is BAD_LINK, whatever it was: a link tells nobody more than that."""
        try:
            payload: Any = json.loads(self._keyring.open(token, _LINK + pool_id))
        except (SealError, ValueError):
            return LinkResult(LinkOutcome.BAD_LINK)
        if not isinstance(payload, dict):
            return LinkResult(LinkOutcome.BAD_LINK)
        feedback, event_id, sealed_value = payload.get("f"), payload.get("e"), payload.get("v")
        if (
            not isinstance(feedback, str)
            or not isinstance(event_id, str)
            or sealed_value not in (FeedbackValue.VALID.value, FeedbackValue.INVALID.value)
            or value.lower() != str(sealed_value).lower()
        ):
            return LinkResult(LinkOutcome.BAD_LINK)
        chosen = FeedbackValue(sealed_value)
        try:
            await self._auth_events.link_feedback(pool_id, event_id, feedback, chosen)
        except ServiceError:
            return LinkResult(LinkOutcome.BAD_LINK)
        return LinkResult(LinkOutcome.RECORDED, chosen)


def _default_key(action: TakeoverEventAction) -> TakeoverEventAction:
    if action in (TakeoverEventAction.MFA_IF_CONFIGURED, TakeoverEventAction.MFA_REQUIRED):
        return TakeoverEventAction.MFA_REQUIRED
    return action
