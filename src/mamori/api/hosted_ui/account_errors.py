"""What the account pages (sign-up, confirmation, password reset) tell a user when a service
refuses: the error as a catalogue message in the user's words, and the field it belongs to.

The rules stay the services'; this only names their refusals. Messages that could tell whether
an account exists never appear where the services conceal it (they raise the wrong-code errors
instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mamori.api.hosted_ui.pages import N_
from mamori.domain.errors import (
    AliasExistsException,
    CodeDeliveryFailureException,
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    InvalidPasswordException,
    LimitExceededException,
    NotAuthorizedException,
    ServiceError,
    TooManyRequestsException,
    UsernameExistsException,
    UserNotFoundException,
)
from mamori.domain.userpools.password_policy import PasswordPolicy, PasswordRule

PASSWORD_RULES = {
    PasswordRule.LENGTH: N_("Your password must have at least %(count)s characters."),
    PasswordRule.LOWERCASE: N_("Your password must contain a lowercase letter."),
    PasswordRule.UPPERCASE: N_("Your password must contain an uppercase letter."),
    PasswordRule.NUMBERS: N_("Your password must contain a number."),
    PasswordRule.SYMBOLS: N_("Your password must contain a special character."),
    PasswordRule.SPACES: N_("Your password must not begin or end with a space."),
}
INVALID_CODE = N_("The code is not correct. Please check it and try again.")
EXPIRED_CODE = N_("This code has expired or was replaced. Please request a new code.")
TOO_MANY_ATTEMPTS = N_("Too many attempts. Please wait a while and try again.")
TOO_MANY_REQUESTS = N_("Too many requests. Please wait a moment and try again.")
NOT_DELIVERED = N_("We could not send the code. Please check your details and try again.")
USER_EXISTS = N_("User already exists.")
ALIAS_EXISTS = N_("An account with this email address or phone number already exists.")
NOT_CONFIRMABLE = N_("This account cannot be confirmed. It may be confirmed already.")
NO_SUCH_USER = N_("There is no account with this username.")
PASSWORDS_DIFFER = N_("The passwords do not match.")
INVALID_DETAILS = N_("Some of the details are not valid: %(detail)s")
SOMETHING_WRONG = N_("Something went wrong. Please try again.")


@dataclass(frozen=True)
class Refusal:
    """An error for a page: `message` (a catalogue id, with `values` for its placeholders),
    shown on the field `on` or, when None, for the whole form."""

    message: str
    on: str | None = None
    values: dict[str, Any] = field(default_factory=dict)


def password_refusal(policy: PasswordPolicy, password: str, exc: ServiceError) -> Refusal:
    """The rule the password breaks, in words (the same policy the service applied)."""
    rule = policy.broken_rule(password)
    if rule is None:  # not a policy rule (e.g. a password the history remembers)
        return Refusal(INVALID_DETAILS, "password", {"detail": exc.message})
    values = {"count": policy.minimum_length} if rule is PasswordRule.LENGTH else {}
    return Refusal(PASSWORD_RULES[rule], "password", values)


def refusal(exc: ServiceError) -> Refusal:
    """A service error on an account page, by its class."""
    if isinstance(exc, CodeMismatchException):
        return Refusal(INVALID_CODE, "code")
    if isinstance(exc, ExpiredCodeException):
        return Refusal(EXPIRED_CODE, "code")
    if isinstance(exc, LimitExceededException):
        return Refusal(TOO_MANY_ATTEMPTS)
    if isinstance(exc, TooManyRequestsException):
        return Refusal(TOO_MANY_REQUESTS)
    if isinstance(exc, CodeDeliveryFailureException):
        return Refusal(NOT_DELIVERED)
    if isinstance(exc, UsernameExistsException):
        return Refusal(USER_EXISTS, "username")
    if isinstance(exc, AliasExistsException):
        return Refusal(ALIAS_EXISTS)
    if isinstance(exc, UserNotFoundException):
        return Refusal(NO_SUCH_USER, "username")
    if isinstance(exc, NotAuthorizedException):
        return Refusal(NOT_CONFIRMABLE)
    if isinstance(exc, InvalidPasswordException | InvalidParameterException):
        return Refusal(INVALID_DETAILS, None, {"detail": exc.message})
    return Refusal(SOMETHING_WRONG)
