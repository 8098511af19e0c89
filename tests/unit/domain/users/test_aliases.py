"""Sign-in aliases and their lookup keys; the attributes ListUsers can search."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from tests.support.entities import pool_value, user_value

from mamori.domain.users.aliases import (
    SEARCHABLE,
    alias_entries,
    alias_value_key,
    search_entries,
)
from mamori.protocols.cognito_filter import FILTERABLE


def test_email_keys_ignore_case_even_in_case_sensitive_pools() -> None:
    sensitive = pool_value(case_sensitive=True)
    assert alias_value_key(sensitive, "email", "Alice@Example.COM") == "alice@example.com"
    assert alias_value_key(sensitive, "preferred_username", "Nick") == "Nick"
    folding = pool_value(case_sensitive=False)
    assert alias_value_key(folding, "preferred_username", "Nick") == "nick"


@given(st.text(min_size=1), st.text(min_size=1))
def test_keys_collide_exactly_when_values_are_equal_modulo_case(a: str, b: str) -> None:
    pool = pool_value(case_sensitive=True)
    same = alias_value_key(pool, "email", a) == alias_value_key(pool, "email", b)
    assert same == (a.lower() == b.lower())
    assert (
        alias_value_key(pool, "preferred_username", a)
        == alias_value_key(pool, "preferred_username", b)
    ) == (a == b)


def test_username_attributes_count_whether_verified_or_not() -> None:
    pool = pool_value(username_attributes=("email", "phone_number"))
    user = user_value(pool, email="A@example.com", phone_number="+15550001111")
    assert alias_entries(pool, user) == {"email": "a@example.com", "phone_number": "+15550001111"}


def test_alias_email_and_phone_count_only_once_verified() -> None:
    pool = pool_value(alias_attributes=("email", "phone_number", "preferred_username"))
    unverified = user_value(
        pool, email="a@example.com", phone_number="+1555", preferred_username="N"
    )
    assert alias_entries(pool, unverified) == {"preferred_username": "n"}
    verified = user_value(
        pool,
        email="a@example.com",
        email_verified="true",
        phone_number="+1555",
        phone_number_verified="true",
    )
    assert alias_entries(pool, verified) == {"email": "a@example.com", "phone_number": "+1555"}


def test_pools_without_aliases_have_no_entries() -> None:
    pool = pool_value()
    user = user_value(pool, email="a@example.com", email_verified="true")
    assert alias_entries(pool, user) == {}


def test_empty_values_claim_nothing() -> None:
    pool = pool_value(alias_attributes=("preferred_username",))
    assert alias_entries(pool, user_value(pool, preferred_username="")) == {}


def test_search_entries_keep_only_searchable_non_empty_values() -> None:
    pool = pool_value()
    user = user_value(pool, email="a@example.com", name="", locale="en", given_name="G")
    assert search_entries(user) == {"email": "a@example.com", "given_name": "G"}


def test_everything_indexed_for_search_can_be_filtered_on() -> None:
    assert SEARCHABLE <= FILTERABLE
