"""Writing user attributes: schema, permissions, immutables, verified flags; masking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.support.entities import client_value, pool_value

from mamori.domain.errors import InvalidParameterException, NotAuthorizedException
from mamori.domain.userpools.schema import STANDARD_SCHEMA, AttributeType, SchemaAttribute
from mamori.domain.users.user_rules import (
    Writer,
    apply_changes,
    check_attributes,
    check_required,
    mask,
    remove_attributes,
    stored_username,
)

SCHEMA = (
    *STANDARD_SCHEMA,
    SchemaAttribute("custom:tier", AttributeType.NUMBER, min_value=1, max_value=9),
    SchemaAttribute("custom:badge", mutable=False),
    SchemaAttribute("dev:internal", developer_only=True),
)
POOL = pool_value(schema=SCHEMA)
UNAUTHORIZED = "A client attempted to write unauthorized attribute"
SUB = "0b7c0f9e-2d0e-4c43-9f5a-6c3f1e2d4a5b"


def invalid(**kwargs: object) -> str:
    with pytest.raises(InvalidParameterException) as caught:
        check_attributes(**kwargs)  # type: ignore[arg-type]
    return caught.value.message


def test_admin_may_write_known_mutable_attributes() -> None:
    check_attributes(
        POOL, {"name": "N", "custom:tier": "3", "email_verified": "true"}, Writer.ADMIN
    )


def test_unknown_attribute_is_refused() -> None:
    message = invalid(pool=POOL, attributes={"custom:nope": "x"}, writer=Writer.ADMIN)
    assert message == (
        "Attributes did not conform to the schema: custom:nope: Attribute does not exist in the "
        "schema."
    )


@pytest.mark.parametrize("name", ["sub", "identities"])
def test_system_attributes_are_never_written(name: str) -> None:
    message = invalid(pool=POOL, attributes={name: "x"}, writer=Writer.ADMIN, creating=True)
    assert message == f"Cannot modify the non-mutable attribute {name}"


def test_immutable_attribute_only_on_creation() -> None:
    check_attributes(POOL, {"custom:badge": "gold"}, Writer.ADMIN, creating=True)
    message = invalid(pool=POOL, attributes={"custom:badge": "gold"}, writer=Writer.ADMIN)
    assert message == "Cannot modify the non-mutable attribute custom:badge"


@pytest.mark.parametrize("name", ["email_verified", "phone_number_verified", "dev:internal"])
def test_users_never_write_verified_flags_or_developer_attributes(name: str) -> None:
    with pytest.raises(NotAuthorizedException) as caught:
        check_attributes(POOL, {name: "true"}, Writer.USER)
    assert caught.value.message == UNAUTHORIZED


def test_users_write_only_the_clients_write_attributes() -> None:
    client = client_value(POOL.id, write_attributes=("name",))
    check_attributes(POOL, {"name": "N"}, Writer.USER, client)
    with pytest.raises(NotAuthorizedException):
        check_attributes(POOL, {"family_name": "F"}, Writer.USER, client)
    # Admins are not bound by the client's permissions.
    check_attributes(POOL, {"family_name": "F"}, Writer.ADMIN, client)


def test_value_problems_name_the_schema() -> None:
    message = invalid(pool=POOL, attributes={"custom:tier": "12"}, writer=Writer.ADMIN)
    assert message == "Attributes did not conform to the schema: custom:tier must be at most 9"


def test_required_attributes() -> None:
    pool = pool_value(
        schema=tuple(
            SchemaAttribute(a.name, a.type, required=a.name in {"sub", "email", "name"})
            for a in STANDARD_SCHEMA
        )
    )
    check_required(pool, {"email": "a@b", "name": "N"})
    with pytest.raises(InvalidParameterException) as caught:
        check_required(pool, {"email": "a@b", "name": ""})
    assert caught.value.message == (
        "Attributes did not conform to the schema: name: The attribute name is required"
    )


def test_changing_email_clears_its_verified_flag() -> None:
    current = {"email": "old@example.com", "email_verified": "true", "name": "N"}
    changed = apply_changes(POOL, current, {"email": "new@example.com"}, verify_changed=True)
    assert changed == {"email": "new@example.com", "email_verified": "false", "name": "N"}


def test_same_email_or_explicit_flag_keeps_what_is_asked() -> None:
    current = {"email": "a@example.com", "email_verified": "true"}
    assert apply_changes(POOL, current, {"email": "a@example.com"}, True) == current
    explicit = {"email": "b@example.com", "email_verified": "true"}
    assert apply_changes(POOL, current, explicit, True) == explicit


def test_empty_value_deletes_the_attribute() -> None:
    assert apply_changes(POOL, {"name": "N", "locale": "en"}, {"name": ""}, True) == {
        "locale": "en"
    }


def test_remove_attributes_takes_the_verified_flag_along() -> None:
    current = {"email": "a@example.com", "email_verified": "true", "name": "N"}
    assert remove_attributes(POOL, current, ["email"]) == {"name": "N"}


@pytest.mark.parametrize("name", ["sub", "custom:nope"])
def test_remove_attributes_refuses_required_and_unknown(name: str) -> None:
    with pytest.raises(InvalidParameterException):
        remove_attributes(POOL, {"sub": SUB}, [name])


def test_username_attribute_pools_store_the_sub_as_username() -> None:
    pool = pool_value(username_attributes=("email",))
    username, attrs = stored_username(pool, "a@example.com", {}, SUB)
    assert (username, attrs) == (SUB, {"email": "a@example.com"})
    with pytest.raises(InvalidParameterException) as caught:
        stored_username(pool, "plainname", {}, SUB)
    assert caught.value.message == "Username should be an email."
    both = pool_value(username_attributes=("email", "phone_number"))
    with pytest.raises(InvalidParameterException) as caught:
        stored_username(both, "plainname", {}, SUB)
    assert caught.value.message == "Username should be either an email or a phone number."


def test_alias_pools_refuse_usernames_shaped_like_the_alias() -> None:
    pool = pool_value(alias_attributes=("email",))
    with pytest.raises(InvalidParameterException) as caught:
        stored_username(pool, "a@example.com", {}, SUB)
    assert caught.value.message == (
        "Username cannot be of email format, since user pool is configured for email alias."
    )
    assert stored_username(pool, "alice", {"name": "A"}, SUB) == ("alice", {"name": "A"})


@pytest.mark.parametrize(
    ("destination", "masked"),
    [
        ("alice@example.com", "a***@e***"),
        ("+12065551234", "+*******1234"),
        ("+4930123", "+***0123"),
    ],
)
def test_mask_like_cognito(destination: str, masked: str) -> None:
    assert mask(destination) == masked


@given(st.emails())
def test_masked_email_keeps_only_first_characters(email: str) -> None:
    local, _, domain = email.partition("@")
    masked = mask(email)
    assert masked == f"{local[0]}***@{domain[0]}***"


@given(st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True))
def test_masked_phone_shows_only_the_last_four_digits(phone: str) -> None:
    masked = mask(phone)
    assert len(masked) == len(phone)
    assert masked.endswith(phone[-4:])
    assert set(masked[1:-4]) == {"*"}
