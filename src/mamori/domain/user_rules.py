"""Rules for writing user attributes: schema, permissions, required and immutable attributes."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from mamori.domain.app_client import AppClient
from mamori.domain.attributes import SYSTEM_ATTRIBUTES, Attributes, check_value
from mamori.domain.errors import InvalidParameterException, NotAuthorizedException
from mamori.domain.user_pool import UserPool

VERIFIED_FLAGS = frozenset({"email_verified", "phone_number_verified"})


class Writer(StrEnum):
    ADMIN = "admin"  # Admin* operations: anything but system attributes
    USER = "user"  # SignUp / UpdateUserAttributes: the client's write permissions apply


def check_attributes(
    pool: UserPool,
    attributes: Mapping[str, str],
    writer: Writer,
    client: AppClient | None = None,
    creating: bool = False,
) -> None:
    for name, value in attributes.items():
        attr = pool.attribute(name)
        if attr is None:
            raise InvalidParameterException(
                f"Attributes did not conform to the schema: {name}: Attribute does not exist in "
                "the schema."
            )
        if name in SYSTEM_ATTRIBUTES:
            raise InvalidParameterException(f"Cannot modify the non-mutable attribute {name}")
        if not attr.mutable and not creating:
            raise InvalidParameterException(f"Cannot modify the non-mutable attribute {name}")
        if writer is Writer.USER:
            if name in VERIFIED_FLAGS and not creating:
                raise InvalidParameterException(f"Cannot modify {name} without admin rights.")
            if client is not None and not client.can_write(name):
                raise NotAuthorizedException(
                    f"A client attempted to write unauthorized attribute {name}"
                )
        problem = check_value(attr, value)
        if problem:
            raise InvalidParameterException(f"Attributes did not conform to the schema: {problem}")


def check_required(pool: UserPool, attributes: Attributes) -> None:
    missing = [
        a.name for a in pool.schema if a.required and a.name != "sub" and not attributes.get(a.name)
    ]
    if missing:
        detail = ", ".join(f"{m}: The attribute {m} is required" for m in missing)
        raise InvalidParameterException(f"Attributes did not conform to the schema: {detail}")


def apply_changes(
    pool: UserPool, current: Attributes, changes: Mapping[str, str], verify_changed: bool
) -> dict[str, str]:
    """New attributes; a changed email/phone loses its verified flag unless the change sets it."""
    result = dict(current)
    for name, value in changes.items():
        if name in {"email", "phone_number"} and result.get(name) != value:
            flag = f"{name}_verified"
            if flag not in changes and verify_changed:
                result[flag] = "false"
        result[name] = value
    return {k: v for k, v in result.items() if v != "" or k in {"email_verified"}}


def mask(destination: str) -> str:
    """Cognito's masked destination: `a***@e***` for email, `+*******1234` for phone."""
    if "@" in destination:
        local, _, domain = destination.partition("@")
        return f"{local[:1]}***@{domain[:1]}***"
    return "+" + "*" * max(len(destination) - 5, 0) + destination[-4:]
