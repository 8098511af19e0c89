"""Random codes, tokens, ids and temporary passwords."""

from __future__ import annotations

import re
import string

from hypothesis import given
from hypothesis import strategies as st

from mamori.crypto.secrets import (
    constant_time_equals,
    numeric_code,
    opaque_token,
    random_id,
    temporary_password,
)
from mamori.domain.userpools.password_policy import PasswordPolicy


def test_numeric_codes() -> None:
    codes = {numeric_code() for _ in range(300)}
    assert all(re.fullmatch(r"[0-9]{6}", c) for c in codes)
    assert len(codes) > 290  # 300 draws from a million: repeats are rare
    assert re.fullmatch(r"[0-9]{8}", numeric_code(8))


def test_opaque_tokens_are_url_safe_and_long() -> None:
    token = opaque_token()
    assert re.fullmatch(r"[A-Za-z0-9_-]{64}", token)
    assert opaque_token() != token


def test_random_ids_use_the_alphabet() -> None:
    assert re.fullmatch(r"[A-Za-z0-9]{20}", random_id(20))
    assert set(random_id(200, "ab")) <= {"a", "b"}


@given(st.integers(min_value=6, max_value=99))
def test_temporary_password_satisfies_the_strictest_policy(length: int) -> None:
    password = temporary_password(length)
    assert len(password) == max(length, 12)
    assert PasswordPolicy(minimum_length=length).violation(password) is None
    assert password.isprintable() and " " not in password


def test_temporary_passwords_differ() -> None:
    assert len({temporary_password() for _ in range(50)}) == 50


@given(st.text(), st.text())
def test_constant_time_equals_is_equality(a: str, b: str) -> None:
    assert constant_time_equals(a, b) == (a == b)
    assert constant_time_equals(a, a)


def test_constant_time_equals_handles_non_ascii() -> None:
    assert constant_time_equals("ü" + string.ascii_letters, "ü" + string.ascii_letters)
