"""The auth-event log's values: what one sign-in, sign-up, forgot password, password change or
code resend records (AdminListUserAuthEvents' AuthEventType), and the pure rules that build it:
the steps of a sign-in, the device name read from a User-Agent, the paging cursor."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from mamori.domain.ids import PoolId, UserSub


class EventType(StrEnum):
    SIGN_IN = "SignIn"
    SIGN_UP = "SignUp"
    FORGOT_PASSWORD = "ForgotPassword"
    PASSWORD_CHANGE = "PasswordChange"
    RESEND_CODE = "ResendCode"


class EventResponse(StrEnum):
    PASS = "Pass"
    FAIL = "Fail"
    # Cognito: a sign-in waiting for a challenge's answer (MFA, a new password) shows InProgress.
    IN_PROGRESS = "InProgress"


class RiskDecision(StrEnum):
    NO_RISK = "NoRisk"
    ACCOUNT_TAKEOVER = "AccountTakeover"
    BLOCK = "Block"


class RiskLevel(StrEnum):
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"


class StepName(StrEnum):
    """ChallengeResponseType's ChallengeName: Cognito reports only these two kinds of step."""

    PASSWORD = "Password"
    MFA = "Mfa"


class StepResult(StrEnum):
    SUCCESS = "Success"
    FAILURE = "Failure"


class FeedbackValue(StrEnum):
    VALID = "Valid"
    INVALID = "Invalid"


class FeedbackProvider(StrEnum):
    """EventFeedbackType's Provider: who gave the feedback."""

    ADMIN = "Admin"  # AdminUpdateAuthEventFeedback
    USER = "User"  # UpdateAuthEventFeedback, the feedback token from the notification email


@dataclass(frozen=True)
class EventRisk:
    decision: RiskDecision
    level: RiskLevel | None
    compromised_credentials: bool


# An event with nothing found: events other than sign-ins, and sign-ins assessed NoRisk.
NO_RISK = EventRisk(RiskDecision.NO_RISK, None, False)


@dataclass(frozen=True)
class ChallengeStep:
    name: StepName
    result: StepResult


@dataclass(frozen=True)
class EventContext:
    """Where a request came from, as far as the request tells (EventContextDataType), plus the
    opaque device signal. City, country and time zone come from a GeoIP lookup of `ip`."""

    ip: str | None = None
    device_name: str | None = None
    timezone: str | None = None
    city: str | None = None
    country: str | None = None
    # UserContextData / ContextData's EncodedData (amazon-cognito-identity-js's collected device
    # data), kept as given: never decoded here, never shown by AdminListUserAuthEvents.
    encoded_data: str | None = None


EMPTY_CONTEXT = EventContext()


@dataclass(frozen=True)
class RequestContext:
    """What a request says about the end user: the address (the connection's, or ContextData /
    UserContextData's IpAddress), the User-Agent (the request's, or ContextData's HttpHeaders)
    and EncodedData."""

    ip: str | None = None
    user_agent: str | None = None
    encoded_data: str | None = None
    # UserContextData's IpAddress as sent: anyone may send one, so it is the end user's address
    # only for a client that propagates it (`propagated`).
    claimed_ip: str | None = None

    def propagated(self) -> RequestContext:
        """Cognito: an app client with a secret and EnablePropagateAdditionalUserContextData is
        the app's backend calling for its user (it proves so with SECRET_HASH), and
        UserContextData's IpAddress is that user's address. One that is not an address is
        ignored: the connection's stands."""
        if not self.claimed_ip:
            return self
        try:
            address = ipaddress.ip_address(self.claimed_ip.strip())
        except ValueError:
            return self
        return replace(self, ip=str(address))


@dataclass(frozen=True)
class EventFeedback:
    value: FeedbackValue
    provider: FeedbackProvider
    date: datetime


@dataclass(frozen=True)
class AuthEvent:
    id: str
    pool_id: PoolId
    user_sub: UserSub
    type: EventType
    created: datetime
    response: EventResponse
    risk: EventRisk = NO_RISK
    steps: tuple[ChallengeStep, ...] = ()
    context: EventContext = EMPTY_CONTEXT
    feedback: EventFeedback | None = None


def with_step(event: AuthEvent, step: ChallengeStep, response: EventResponse) -> AuthEvent:
    """The event once a sign-in's next step is answered: the step appended, the response now
    `response` (InProgress while another challenge follows)."""
    return replace(event, steps=(*event.steps, step), response=response)


def with_feedback(event: AuthEvent, feedback: EventFeedback) -> AuthEvent:
    # Cognito: feedback given again replaces the earlier one; the event keeps one.
    return replace(event, feedback=feedback)


class EventTrace(NamedTuple):
    """What the risk engine reads of earlier events (services/security/risk_signals.py): the
    columns it compares, for `events` alike events (same type, response, address, device name,
    country and feedback) among the user's latest, `created` and `feedback_date` the latest of
    them, `recent` how many were created since the time the reader named. The store groups
    them, so that a history of sixty sign-ins from one place is one trace, not sixty."""

    type: EventType
    response: EventResponse
    created: datetime
    ip: str | None
    device_name: str | None
    country: str | None
    feedback: FeedbackValue | None = None
    feedback_date: datetime | None = None
    events: int = 1
    recent: int = 0

    @classmethod
    def of(cls, event: AuthEvent, since: datetime | None = None) -> EventTrace:
        """One event's own trace (`recent` 1 when it was created at or after `since`)."""
        fb = event.feedback
        ctx = event.context
        return cls(
            event.type,
            event.response,
            event.created,
            ctx.ip,
            ctx.device_name,
            ctx.country,
            fb.value if fb else None,
            fb.date if fb else None,
            1,
            int(since is not None and event.created >= since),
        )


@dataclass(frozen=True)
class EventCursor:
    """Where the next page of a user's events starts: newest first, ties broken by id."""

    created: datetime
    id: str


# The User-Agent's browser and system, as Cognito's DeviceName shows them ("Chrome 120,
# Windows 10"); the first pattern that matches wins, so the more specific come first.
_BROWSERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"\bOPR/(\d+)")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/(\d+)")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"\b(?:Chrome|CriOS)/(\d+)")),
    ("Safari", re.compile(r"\bVersion/(\d+)(?:\.\d+)*(?: Mobile/\S+)? Safari/")),
)
_SYSTEMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Windows NT 10\.0"), "Windows 10"),
    (re.compile(r"Windows NT 6\.3"), "Windows 8.1"),
    (re.compile(r"Windows NT 6\.1"), "Windows 7"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"iPhone|iPad|iPod"), "iOS"),
    (re.compile(r"Mac OS X"), "Mac OS X"),
    (re.compile(r"Android"), "Android"),
    (re.compile(r"CrOS"), "Chrome OS"),
    (re.compile(r"Linux"), "Linux"),
)
_MAX_USER_AGENT = 512  # the patterns need only the head; bounds the regex work


def device_name(user_agent: str | None) -> str | None:
    """ "<browser> <major version>, <system>" from a User-Agent, "Other" for what isn't known;
    None when there is no User-Agent at all."""
    if not user_agent:
        return None
    head = user_agent[:_MAX_USER_AGENT]
    browser = "Other"
    for name, pattern in _BROWSERS:
        match = pattern.search(head)
        if match:
            browser = f"{name} {match.group(1)}"
            break
    system = next((label for pattern, label in _SYSTEMS if pattern.search(head)), "Other")
    return f"{browser}, {system}"
