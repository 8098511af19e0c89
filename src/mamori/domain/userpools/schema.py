"""A pool's attribute schema: the standard attributes, custom attributes and the rules on
their values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

Attributes = Mapping[str, str]


class AttributeType(StrEnum):
    STRING = "String"
    NUMBER = "Number"
    DATETIME = "DateTime"
    BOOLEAN = "Boolean"


@dataclass(frozen=True)
class SchemaAttribute:
    name: str
    type: AttributeType = AttributeType.STRING
    developer_only: bool = False
    mutable: bool = True
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None

    @property
    def is_custom(self) -> bool:
        return self.name.startswith("custom:") or self.name.startswith("dev:")


@dataclass(frozen=True)
class AttributeRequest:
    """One SchemaAttributeType of CreateUserPool or AddCustomAttributes as sent: None is left out.

    Cognito judges a request by what it names (a custom attribute without a data type is
    refused, a standard one keeps its own), so the absent and the default must stay apart.
    """

    name: str
    type: AttributeType | None = None
    developer_only: bool = False
    mutable: bool | None = None
    required: bool | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None


def _s(name: str, mutable: bool = True, max_length: int = 2048) -> SchemaAttribute:
    return SchemaAttribute(
        name, AttributeType.STRING, mutable=mutable, min_length=0, max_length=max_length
    )


STANDARD_SCHEMA: tuple[SchemaAttribute, ...] = (
    SchemaAttribute(
        "sub", AttributeType.STRING, mutable=False, required=True, min_length=1, max_length=2048
    ),
    _s("name"),
    _s("given_name"),
    _s("family_name"),
    _s("middle_name"),
    _s("nickname"),
    _s("preferred_username"),
    _s("profile"),
    _s("picture"),
    _s("website"),
    _s("email"),
    SchemaAttribute("email_verified", AttributeType.BOOLEAN),
    _s("gender"),
    SchemaAttribute("birthdate", AttributeType.STRING, min_length=10, max_length=10),
    _s("zoneinfo"),
    _s("locale"),
    _s("phone_number"),
    SchemaAttribute("phone_number_verified", AttributeType.BOOLEAN),
    _s("address"),
    SchemaAttribute("updated_at", AttributeType.NUMBER, min_value=0),
    _s("identities"),
)
STANDARD_NAMES: frozenset[str] = frozenset(a.name for a in STANDARD_SCHEMA)
VERIFIED_FLAGS: Mapping[str, str] = {
    "email": "email_verified",
    "phone_number": "phone_number_verified",
}
# Attributes users may never write themselves.
SYSTEM_ATTRIBUTES: frozenset[str] = frozenset({"sub", "identities"})


def custom_name(name: str) -> str:
    """Cognito stores custom attributes with the `custom:` prefix whatever the request says."""
    return name if name.startswith(("custom:", "dev:")) else f"custom:{name}"


def is_phone_number(value: str) -> bool:
    """Cognito's documented form: `+` then the country code and number, ASCII digits only.

    Cognito: no length rule beyond the attribute's own (2048); E.164's 15 digits are not
    enforced, so neither are they here.
    """
    digits = value[1:]
    return value.startswith("+") and digits.isascii() and digits.isdigit()


def check_value(attr: SchemaAttribute, value: str) -> str | None:
    """The reason `value` breaks `attr`'s constraints, or None."""
    if attr.type is AttributeType.BOOLEAN and value not in {"true", "false"}:
        return f"{attr.name} must be 'true' or 'false'"
    if attr.type is AttributeType.NUMBER:
        try:
            number = int(value)
        except ValueError:
            return f"{attr.name} must be a number"
        if attr.min_value is not None and number < attr.min_value:
            return f"{attr.name} must be at least {attr.min_value}"
        if attr.max_value is not None and number > attr.max_value:
            return f"{attr.name} must be at most {attr.max_value}"
    if attr.type is AttributeType.STRING:
        if attr.min_length is not None and len(value) < attr.min_length:
            return f"{attr.name} must be at least {attr.min_length} characters"
        if attr.max_length is not None and len(value) > attr.max_length:
            return f"{attr.name} must be at most {attr.max_length} characters"
    if attr.name == "email" and value and ("@" not in value or value.startswith("@")):
        return "Invalid email address format."
    if attr.name == "phone_number" and value and not is_phone_number(value):
        return "Invalid phone number format."
    return None
