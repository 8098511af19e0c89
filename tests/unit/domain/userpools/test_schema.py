"""The standard attribute schema and the checks on attribute values."""

from __future__ import annotations

import botocore.session
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mamori.domain.userpools.schema import (
    STANDARD_NAMES,
    STANDARD_SCHEMA,
    AttributeType,
    SchemaAttribute,
    check_value,
    custom_name,
)
from mamori.domain.users.user_rules import looks_like

# Cognito's standard attributes (OpenID Connect's standard claims, plus its own).
COGNITO_STANDARD = {
    "sub", "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
    "profile", "picture", "website", "email", "email_verified", "gender", "birthdate", "zoneinfo",
    "locale", "phone_number", "phone_number_verified", "address", "updated_at", "identities",
}  # fmt: skip


def attr(name: str) -> SchemaAttribute:
    return next(a for a in STANDARD_SCHEMA if a.name == name)


def test_standard_schema_is_cognitos() -> None:
    assert STANDARD_NAMES == COGNITO_STANDARD
    assert len(STANDARD_SCHEMA) == len(STANDARD_NAMES)


def test_attribute_types_are_the_models() -> None:
    model = botocore.session.get_session().get_service_model("cognito-idp")
    assert {t.value for t in AttributeType} == set(model.shape_for("AttributeDataType").enum)


def test_sub_is_required_and_immutable() -> None:
    sub = attr("sub")
    assert sub.required and not sub.mutable


def test_custom_names_get_the_prefix_once() -> None:
    assert custom_name("tier") == "custom:tier"
    assert custom_name("custom:tier") == "custom:tier"
    assert custom_name("dev:x") == "dev:x"
    assert SchemaAttribute("custom:tier").is_custom
    assert SchemaAttribute("dev:x").is_custom
    assert not attr("email").is_custom


@pytest.mark.parametrize("value", ["true", "false"])
def test_boolean_accepts_only_true_and_false(value: str) -> None:
    assert check_value(attr("email_verified"), value) is None


@pytest.mark.parametrize("value", ["True", "1", "yes", ""])
def test_boolean_refuses_anything_else(value: str) -> None:
    assert check_value(attr("email_verified"), value) == "email_verified must be 'true' or 'false'"


def test_number_bounds() -> None:
    tier = SchemaAttribute("custom:tier", AttributeType.NUMBER, min_value=1, max_value=9)
    assert check_value(tier, "5") is None
    assert check_value(tier, "0") == "custom:tier must be at least 1"
    assert check_value(tier, "10") == "custom:tier must be at most 9"
    assert check_value(tier, "five") == "custom:tier must be a number"
    assert check_value(attr("updated_at"), "-1") == "updated_at must be at least 0"


def test_string_lengths() -> None:
    code = SchemaAttribute("custom:code", min_length=2, max_length=4)
    assert check_value(code, "ab") is None
    assert check_value(code, "a") == "custom:code must be at least 2 characters"
    assert check_value(code, "abcde") == "custom:code must be at most 4 characters"
    assert check_value(attr("name"), "n" * 2048) is None
    assert check_value(attr("name"), "n" * 2049) == "name must be at most 2048 characters"


@pytest.mark.parametrize("value", ["a@example.com", "ユーザー@例え.jp", "a+b@c"])
def test_email_format_accepted(value: str) -> None:
    assert check_value(attr("email"), value) is None


@pytest.mark.parametrize("value", ["example.com", "@example.com"])
def test_email_format_refused(value: str) -> None:
    assert check_value(attr("email"), value) == "Invalid email address format."


# Cognito's documented rule: "+", then the country code and number, digits only; no length
# rule of its own (the attribute's 2048 characters apply).
@pytest.mark.parametrize(
    "value", ["+12065551212", "+4930123", "+1", "+123", "+12345678901234567", "+" + "9" * 2047]
)
def test_phone_format_accepted(value: str) -> None:
    assert check_value(attr("phone_number"), value) is None
    assert looks_like("phone_number", value)


@pytest.mark.parametrize(
    "value",
    ["12065551234", "+1 206 555", "+12-34", "+", "++1", "+1(206)5551212", "+١٢٣٤٥٦", "+１２３"],
)
def test_phone_format_refused(value: str) -> None:
    # Digits are ASCII digits: Arabic-Indic or full-width ones are not a phone number.
    assert check_value(attr("phone_number"), value) == "Invalid phone number format."
    assert not looks_like("phone_number", value)


def test_phone_number_longer_than_the_attribute_is_refused_for_its_length() -> None:
    assert check_value(attr("phone_number"), "+" + "9" * 2048) == (
        "phone_number must be at most 2048 characters"
    )


@given(st.sampled_from(STANDARD_SCHEMA), st.text(max_size=3000))
def test_check_value_never_raises(schema_attr: SchemaAttribute, value: str) -> None:
    problem = check_value(schema_attr, value)
    assert problem is None or isinstance(problem, str)
