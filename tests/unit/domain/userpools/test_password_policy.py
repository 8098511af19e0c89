"""Password policy: each rule, Cognito's messages, and the symbols it counts."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mamori.domain.userpools.password_policy import SPECIAL_CHARACTERS, PasswordPolicy

PREFIX = "Password did not conform with policy: "
STRICT = PasswordPolicy()
# Cognito's documented special characters (the space counts when not leading or trailing).
DOCUMENTED_SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Sh0rt!", "Password not long enough"),
        ("NOLOWER1!", "Password must have lowercase characters"),
        ("noupper1!", "Password must have uppercase characters"),
        ("NoNumbers!", "Password must have numeric characters"),
        ("NoSymbols1", "Password must have symbol characters"),
    ],
)
def test_each_rule_has_cognitos_message(password: str, message: str) -> None:
    assert STRICT.violation(password) == PREFIX + message


def test_a_password_meeting_every_rule_passes() -> None:
    assert STRICT.violation("Corr3ct-Horse!") is None


def test_length_counts_from_the_policy_minimum() -> None:
    policy = PasswordPolicy(minimum_length=12)
    assert policy.violation("Aa1!aaaaaaa") == PREFIX + "Password not long enough"
    assert policy.violation("Aa1!aaaaaaaa") is None


def test_relaxed_policy_only_checks_length() -> None:
    relaxed = PasswordPolicy(6, False, False, False, False)
    assert relaxed.violation("aaaaaa") is None
    assert relaxed.violation("aaaaa") == PREFIX + "Password not long enough"


@pytest.mark.parametrize("symbol", sorted(set(DOCUMENTED_SYMBOLS) - {" "}))
def test_every_documented_symbol_counts(symbol: str) -> None:
    assert STRICT.violation(f"Abcdef1{symbol}") is None


def test_the_symbol_set_is_cognitos() -> None:
    assert set(DOCUMENTED_SYMBOLS) == SPECIAL_CHARACTERS


def test_inner_space_counts_as_a_symbol_but_edges_are_refused() -> None:
    assert STRICT.violation("Abc def1") is None
    assert STRICT.violation(" Abcdef1!") == PREFIX + "Password must not begin or end with a space"
    assert STRICT.violation("Abcdef1! ") == PREFIX + "Password must not begin or end with a space"


@given(
    st.integers(min_value=6, max_value=99),
    st.text(alphabet=string.ascii_letters + string.digits + "!#%", max_size=120),
)
def test_violation_iff_some_rule_is_broken(minimum: int, password: str) -> None:
    policy = PasswordPolicy(minimum_length=minimum)
    ok = (
        len(password) >= minimum
        and any(c in string.ascii_lowercase for c in password)
        and any(c in string.ascii_uppercase for c in password)
        and any(c in string.digits for c in password)
        and any(c in "!#%" for c in password)
    )
    problem = policy.violation(password)
    assert (problem is None) == ok
    assert problem is None or problem.startswith(PREFIX)


@given(st.text(max_size=5))
def test_too_short_is_reported_first(password: str) -> None:
    assert STRICT.violation(password) == PREFIX + "Password not long enough"
