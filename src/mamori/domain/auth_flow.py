"""The sign-in state machine: which flows each entry point takes, what follows a proven step."""

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


class Entry(StrEnum):
    """The operation a sign-in starts with."""

    INITIATE_AUTH = "InitiateAuth"
    ADMIN_INITIATE_AUTH = "AdminInitiateAuth"


# Cognito: the model's AuthFlowType enum is shared by both operations, but each accepts only
# some of it; the rest fail with InvalidParameterException "Initiate Auth method not supported."
# (USER_PASSWORD_AUTH only on InitiateAuth, the ADMIN_* flows only on AdminInitiateAuth).
FLOWS_BY_ENTRY: dict[Entry, frozenset[AuthFlow]] = {
    Entry.INITIATE_AUTH: frozenset(
        {
            AuthFlow.USER_PASSWORD_AUTH,
            AuthFlow.USER_SRP_AUTH,
            AuthFlow.REFRESH_TOKEN_AUTH,
            AuthFlow.REFRESH_TOKEN,
            AuthFlow.CUSTOM_AUTH,
            AuthFlow.USER_AUTH,
        }
    ),
    Entry.ADMIN_INITIATE_AUTH: frozenset(
        {
            AuthFlow.ADMIN_USER_PASSWORD_AUTH,
            AuthFlow.ADMIN_NO_SRP_AUTH,
            AuthFlow.USER_SRP_AUTH,
            AuthFlow.REFRESH_TOKEN_AUTH,
            AuthFlow.REFRESH_TOKEN,
            AuthFlow.CUSTOM_AUTH,
            AuthFlow.USER_AUTH,
        }
    ),
}

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

PASSWORD_FLOWS = frozenset(
    {AuthFlow.USER_PASSWORD_AUTH, AuthFlow.ADMIN_USER_PASSWORD_AUTH, AuthFlow.ADMIN_NO_SRP_AUTH}
)
REFRESH_FLOWS = frozenset({AuthFlow.REFRESH_TOKEN_AUTH, AuthFlow.REFRESH_TOKEN})


class Challenge(StrEnum):
    NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"
    PASSWORD_VERIFIER = "PASSWORD_VERIFIER"
    SMS_MFA = "SMS_MFA"
    SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"
    EMAIL_OTP = "EMAIL_OTP"
    MFA_SETUP = "MFA_SETUP"
    SELECT_MFA_TYPE = "SELECT_MFA_TYPE"


# Challenges RespondToAuthChallenge answers today; the others are refused, never a 500.
ANSWERABLE = frozenset({Challenge.NEW_PASSWORD_REQUIRED})


class Step(StrEnum):
    """What the user has just proven."""

    PASSWORD = "PASSWORD"
    NEW_PASSWORD = "NEW_PASSWORD"


@dataclass(frozen=True)
class Next:
    """Either a challenge to send, or `None` meaning: issue tokens."""

    challenge: Challenge | None


def next_step(user: User, proven: Step) -> Next:
    """Pure decision of what follows `proven` for `user`.

    PASSWORD -> NEW_PASSWORD_REQUIRED while the password is a temporary one (FORCE_CHANGE_PASSWORD),
    else tokens. NEW_PASSWORD -> tokens.
    """
    if proven is Step.PASSWORD and user.status is UserStatus.FORCE_CHANGE_PASSWORD:
        return Next(Challenge.NEW_PASSWORD_REQUIRED)
    return Next(None)
