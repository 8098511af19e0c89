"""argon2id hashing: verify, the dummy path for unknown users, rehash on parameter change."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.crypto.passwords import HashParams, PasswordHashing

CHEAP = HashParams(time_cost=1, memory_kib=64, parallelism=1)
OTHER = HashParams(time_cost=2, memory_kib=64, parallelism=1)


@pytest.fixture(scope="module")
def hashing() -> PasswordHashing:
    return PasswordHashing(CHEAP)


def test_hash_is_self_describing_argon2id(hashing: PasswordHashing) -> None:
    encoded = hashing.hash("Corr3ct-Horse!")
    assert encoded.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert "Corr3ct-Horse!" not in encoded


def test_hashes_are_salted(hashing: PasswordHashing) -> None:
    assert hashing.hash("same") != hashing.hash("same")


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=64), st.text(max_size=64))
def test_verify_accepts_only_the_password(password: str, other: str) -> None:
    hashing = PasswordHashing(CHEAP)
    encoded = hashing.hash(password)
    assert hashing.verify(encoded, password)
    assert hashing.verify(encoded, other) == (other == password)


def test_unknown_user_path_says_no(hashing: PasswordHashing) -> None:
    # The dummy hash is verified so the miss costs a hash; the answer is always False,
    # even for the dummy's own password.
    assert not hashing.verify(None, "Corr3ct-Horse!")
    assert not hashing.verify(None, "mamori-dummy-password-for-unknown-users")


@pytest.mark.parametrize("garbage", ["", "plaintext", "$argon2id$v=19$broken", "$2b$12$bcrypt"])
def test_malformed_stored_hash_never_verifies_nor_raises(
    hashing: PasswordHashing, garbage: str
) -> None:
    assert not hashing.verify(garbage, "anything")
    assert hashing.needs_rehash(garbage)


def test_needs_rehash_when_parameters_change(hashing: PasswordHashing) -> None:
    encoded = hashing.hash("pw")
    assert not hashing.needs_rehash(encoded)
    stronger = PasswordHashing(OTHER)
    assert stronger.needs_rehash(encoded)
    # The old hash still verifies under the new parameters: login then upgrades it.
    assert stronger.verify(encoded, "pw")
    assert not stronger.needs_rehash(stronger.hash("pw"))


@pytest.mark.parametrize(("salt_len", "hash_len"), [(8, 32), (16, 16), (16, 64), (32, 32)])
def test_needs_rehash_when_salt_or_hash_length_differs(
    hashing: PasswordHashing, salt_len: int, hash_len: int
) -> None:
    # Same time, memory and parallelism (the text the fast path compares), other lengths.
    params = hashing._hasher
    other = PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
        hash_len=hash_len,
        salt_len=salt_len,
        type=Type.ID,
    )
    assert hashing.needs_rehash(other.hash("pw"))
    assert not hashing.needs_rehash(hashing.hash("pw"))
