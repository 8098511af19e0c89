"""Error classes answer with Cognito's real HTTP statuses."""

from __future__ import annotations

import pytest

from mamori.domain import errors

# AWS's front door, not Cognito, answers these; AWS documents their statuses in its common
# errors (MissingAuthenticationToken 403) and as the HTTP meaning (payload too large 413).
FRONT_DOOR_STATUSES = {
    "MissingAuthenticationTokenException": 403,
    "RequestEntityTooLargeException": 413,
}


def every_error_class() -> list[type[errors.ServiceError]]:
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, type)
        and issubclass(value, errors.ServiceError)
        and value is not errors.ServiceError
    ]


@pytest.mark.parametrize("error_class", every_error_class(), ids=lambda c: c.__name__)
def test_client_errors_are_400_and_only_internal_error_is_500(
    error_class: type[errors.ServiceError],
) -> None:
    # Cognito: every client error is HTTP 400 with the exception in __type/x-amzn-ErrorType
    # (NotAuthorized, ResourceNotFound, UserNotFound, TooManyRequests, LimitExceeded...).
    name = error_class.__name__
    expected = 500 if name == "InternalErrorException" else FRONT_DOOR_STATUSES.get(name, 400)
    assert error_class("x").status == expected


def test_the_list_covers_the_classes_that_used_other_statuses() -> None:
    names = {c.__name__ for c in every_error_class()}
    assert {
        "NotAuthorizedException",
        "ResourceNotFoundException",
        "UserNotFoundException",
        "TooManyRequestsException",
        "LimitExceededException",
        "UnauthorizedException",
        "ForbiddenException",
        "InternalErrorException",
    } <= names
