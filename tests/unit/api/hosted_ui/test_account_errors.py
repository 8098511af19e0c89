"""The account pages' refusals (api/hosted_ui/account_errors.py): each service error has its
words and field, and a password refusal names the rule the pool's own policy says is broken."""

from __future__ import annotations

import pytest

from mamori.api.hosted_ui import account_errors as words
from mamori.api.hosted_ui.account_errors import Refusal, password_refusal, refusal
from mamori.domain import errors
from mamori.domain.userpools.password_policy import PasswordPolicy, PasswordRule


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.CodeMismatchException(), Refusal(words.INVALID_CODE, "code")),
        (errors.ExpiredCodeException(), Refusal(words.EXPIRED_CODE, "code")),
        (errors.LimitExceededException("x"), Refusal(words.TOO_MANY_ATTEMPTS)),
        (errors.TooManyRequestsException("x"), Refusal(words.TOO_MANY_REQUESTS)),
        (errors.CodeDeliveryFailureException("x"), Refusal(words.NOT_DELIVERED)),
        (errors.UsernameExistsException(), Refusal(words.USER_EXISTS, "username")),
        (errors.AliasExistsException("x"), Refusal(words.ALIAS_EXISTS)),
        (errors.NotAuthorizedException("x"), Refusal(words.NOT_CONFIRMABLE)),
        (
            errors.InvalidParameterException("bad thing"),
            Refusal(words.INVALID_DETAILS, None, {"detail": "bad thing"}),
        ),
        (errors.InternalErrorException("x"), Refusal(words.SOMETHING_WRONG)),
    ],
)
def test_each_error_has_its_words(error: errors.ServiceError, expected: Refusal) -> None:
    assert refusal(error) == expected


@pytest.mark.parametrize(
    ("password", "message", "values"),
    [
        ("Ab1!", words.PASSWORD_RULES[PasswordRule.LENGTH], {"count": 8}),
        ("ABCDEFG1!", words.PASSWORD_RULES[PasswordRule.LOWERCASE], {}),
        ("abcdefg1!", words.PASSWORD_RULES[PasswordRule.UPPERCASE], {}),
        ("Abcdefgh!", words.PASSWORD_RULES[PasswordRule.NUMBERS], {}),
        ("Abcdefgh1", words.PASSWORD_RULES[PasswordRule.SYMBOLS], {}),
    ],
)
def test_password_refusal_names_the_rule(
    password: str, message: str, values: dict[str, int]
) -> None:
    exc = errors.InvalidPasswordException("Password did not conform with policy")
    assert password_refusal(PasswordPolicy(), password, exc) == Refusal(message, "password", values)


def test_a_refusal_outside_the_policy_keeps_the_services_words() -> None:
    exc = errors.InvalidPasswordException("Password has previously been used")
    found = password_refusal(PasswordPolicy(), "Fine-password-1", exc)
    assert found == Refusal(words.INVALID_DETAILS, "password", {"detail": exc.message})
