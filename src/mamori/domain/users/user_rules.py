"""Rules for writing user attributes: schema, permissions, required and immutable attributes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from mamori.domain.errors import InvalidParameterException, NotAuthorizedException
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.schema import (
    SYSTEM_ATTRIBUTES,
    Attributes,
    check_value,
    is_phone_number,
)
from mamori.domain.userpools.user_pool import UserPool

VERIFIED_FLAGS = frozenset({"email_verified", "phone_number_verified"})
UNAUTHORIZED_ATTRIBUTE = "A client attempted to write unauthorized attribute"


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
        # Cognito: users never set their own verified flags; clients write only WriteAttributes.
        if writer is Writer.USER and (
            name in VERIFIED_FLAGS
            or attr.developer_only
            or (client is not None and not client.can_write(name))
        ):
            raise NotAuthorizedException(UNAUTHORIZED_ATTRIBUTE)
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


def held_until_verified(
    pool: UserPool, current: Attributes, changes: Mapping[str, str]
) -> dict[str, str]:
    """The new email / phone_number values of `changes` that wait for verification before they
    replace the current ones (the pool's AttributesRequireVerificationBeforeUpdate).

    Only a verified value is worth keeping: it is what signs the user in and receives their
    messages. A change that sets the verified flag itself (administrators only) applies at once.
    """
    held = {}
    for name in pool.attributes_require_verification_before_update:
        value = changes.get(name)
        if (
            value
            and value != current.get(name)
            and current.get(f"{name}_verified") == "true"
            and changes.get(f"{name}_verified") != "true"
        ):
            held[name] = value
    return held


def looks_like(attribute: str, value: str) -> bool:
    """Whether a sign-in name is shaped like an email address or an E.164 phone number."""
    if attribute == "email":
        return "@" in value
    if attribute == "phone_number":
        return is_phone_number(value)
    return False


_KINDS = {"email": "an email", "phone_number": "a phone number"}
_ALIAS_KINDS = {"email": "email", "phone_number": "phone number"}


def stored_username(
    pool: UserPool, username: str, attributes: Mapping[str, str], sub: str
) -> tuple[str, dict[str, str]]:
    """The username a new user is stored under, and its attributes with the sign-in value added.

    Pools that sign in by email or phone take that value as an attribute and store the sub as the
    username; alias pools refuse usernames shaped like the aliased email or phone number.
    """
    attrs = dict(attributes)
    if pool.username_attributes:
        for attribute in pool.username_attributes:
            if not looks_like(attribute, username):
                continue
            if attrs.get(attribute, username) != username:
                raise InvalidParameterException(
                    f"{attribute} attribute does not match the username."
                )
            attrs[attribute] = username
            attr = pool.attribute(attribute)
            problem = check_value(attr, username) if attr is not None else None
            if problem:
                raise InvalidParameterException(
                    f"Attributes did not conform to the schema: {problem}"
                )
            # Cognito: in these pools the generated username is the user's sub.
            return sub, attrs
        kinds = [_KINDS[a] for a in pool.username_attributes if a in _KINDS]
        wanted = " or ".join(kinds) if len(kinds) < 2 else f"either {' or '.join(kinds)}"
        raise InvalidParameterException(f"Username should be {wanted}.")
    for attribute in pool.alias_attributes:
        if attribute in _ALIAS_KINDS and looks_like(attribute, username):
            kind = _ALIAS_KINDS[attribute]
            raise InvalidParameterException(
                f"Username cannot be of {kind} format, since user pool is configured for "
                f"{kind} alias."
            )
    return username, attrs


def remove_attributes(pool: UserPool, current: Attributes, names: Sequence[str]) -> dict[str, str]:
    """Attributes without `names`; required, immutable and unknown ones are refused."""
    for name in names:
        attr = pool.attribute(name)
        if attr is None:
            raise InvalidParameterException(
                f"Attributes did not conform to the schema: {name}: Attribute does not exist in "
                "the schema."
            )
        if attr.required or name in SYSTEM_ATTRIBUTES:
            raise InvalidParameterException(
                f"Attributes did not conform to the schema: {name}: The attribute {name} is "
                "required"
            )
        if not attr.mutable:
            raise InvalidParameterException(f"Cannot modify the non-mutable attribute {name}")
    gone = set(names)
    # A deleted email or phone number takes its verified flag with it.
    gone |= {f"{n}_verified" for n in names if n in {"email", "phone_number"}}
    return {k: v for k, v in current.items() if k not in gone}


def mask(destination: str) -> str:
    """Cognito's masked destination: `a***@e***` for email, `+*******1234` for phone."""
    if "@" in destination:
        local, _, domain = destination.partition("@")
        return f"{local[:1]}***@{domain[:1]}***"
    return "+" + "*" * max(len(destination) - 5, 0) + destination[-4:]
