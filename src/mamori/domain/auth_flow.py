"""The sign-in state machine: which challenge, if any, comes after a proven step."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mamori.domain.user import User, UserStatus


class AuthFlow(StrEnum):
    USER_PASSWORD_AUTH = "USER_PASSWORD_AUTH"
    ADMIN_USER_PASSWORD_AUTH = "ADMIN_USER_PASSWORD_AUTH"
    ADMIN_NO_SRP_AUTH = "ADMIN_NO_SRP_AUTH"
    REFRESH_TOKEN_AUTH = "REFRESH_TOKEN_AUTH"
    REFRESH_TOKEN = "REFRESH_TOKEN"
    USER_SRP_AUTH = "USER_SRP_AUTH"
    CUSTOM_AUTH = "CUSTOM_AUTH"
    USER_AUTH = "USER_AUTH"


# The client setting (ExplicitAuthFlows) each flow needs.
REQUIRED_CLIENT_FLOW: dict[AuthFlow, str] = {
    AuthFlow.USER_PASSWORD_AUTH: "ALLOW_USER_PASSWORD_AUTH",
    AuthFlow.ADMIN_USER_PASSWORD_AUTH: "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    AuthFlow.ADMIN_NO_SRP_AUTH: "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    AuthFlow.REFRESH_TOKEN_AUTH: "ALLOW_REFRESH_TOKEN_AUTH",
    AuthFlow.REFRESH_TOKEN: "ALLOW_REFRESH_TOKEN_AUTH",
    AuthFlow.USER_SRP_AUTH: "ALLOW_USER_SRP_AUTH",
    AuthFlow.CUSTOM_AUTH: "ALLOW_CUSTOM_AUTH",
    AuthFlow.USER_AUTH: "ALLOW_USER_AUTH",
}

ADMIN_FLOWS = frozenset({AuthFlow.ADMIN_USER_PASSWORD_AUTH, AuthFlow.ADMIN_NO_SRP_AUTH})
PUBLIC_FLOWS = frozenset(AuthFlow) - ADMIN_FLOWS


class Challenge(StrEnum):
    NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"
    PASSWORD_VERIFIER = "PASSWORD_VERIFIER"
    SMS_MFA = "SMS_MFA"
    SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"
    EMAIL_OTP = "EMAIL_OTP"
    MFA_SETUP = "MFA_SETUP"
    SELECT_MFA_TYPE = "SELECT_MFA_TYPE"


class Step(StrEnum):
    """What the user has just proven."""

    PASSWORD = "PASSWORD"
    NEW_PASSWORD = "NEW_PASSWORD"


@dataclass(frozen=True)
class Next:
    """Either a challenge to send, or `None` meaning: issue tokens."""

    challenge: Challenge | None


def next_step(user: User, proven: Step) -> Next:
    """Pure decision of what follows `proven` for `user`."""
    if proven is Step.PASSWORD and user.status is UserStatus.FORCE_CHANGE_PASSWORD:
        return Next(Challenge.NEW_PASSWORD_REQUIRED)
    return Next(None)
