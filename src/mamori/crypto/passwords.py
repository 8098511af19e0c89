"""argon2id password hashing: self-describing hashes, rehash detection, constant-cost misses."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclass(frozen=True)
class HashParams:
    time_cost: int = 2
    memory_kib: int = 19456
    parallelism: int = 1


class PasswordHashing:
    """Hash and verify passwords with argon2id at the configured parameters."""

    def __init__(self, params: HashParams) -> None:
        self._hasher = PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        # Verified against when the user does not exist, so a miss costs what a hit costs.
        self._dummy = self._hasher.hash("mamori-dummy-password-for-unknown-users")
        # "$argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>": a hash made with today's
        # parameters starts like the dummy and has its salt and hash lengths.
        parts = self._dummy.split("$")
        self._head = "$".join(parts[:4]) + "$"
        self._lengths = (len(parts[4]), len(parts[5]))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, encoded: str | None, password: str) -> bool:
        """True when `password` matches; with `encoded` None, burn the same time and say False."""
        try:
            if encoded is None:
                self._hasher.verify(self._dummy, password)
                return False
            return self._hasher.verify(encoded, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, encoded: str) -> bool:
        # Every sign-in asks: the common answer without parsing the parameters (~50 µs).
        if encoded.startswith(self._head):
            parts = encoded.split("$")
            if len(parts) == 6 and (len(parts[4]), len(parts[5])) == self._lengths:
                return False
        try:
            return self._hasher.check_needs_rehash(encoded)
        except InvalidHashError:
            return True
