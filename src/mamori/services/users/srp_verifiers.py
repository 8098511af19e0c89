"""SRP verifiers at rest: made when a password is set, sealed to their user, opened at sign-in."""

from __future__ import annotations

import uuid

from mamori.crypto import srp
from mamori.crypto.aead import Keyring, SealError
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User


def _purpose(pool_id: str, sub: str) -> str:
    # Bound to the user: a sealed verifier copied onto another user's row does not open there.
    return f"srp-verifier:{pool_id}:{sub}"


class VerifierVault:
    """Makes, seals and opens users' SRP verifiers; makes decoys for users without one.

    A verifier is an offline guessing target like a password hash, so it is sealed with the
    master key (and rotates with it); decoys are keyed so they are stable per name but
    unpredictable, and cost no modular exponentiation to make.
    """

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._decoy_key = bytes.fromhex(keyring.digest("srp-decoy", "srp-decoy"))

    def make(self, pool: UserPool, user: User, password: str) -> str:
        """The sealed verifier of `password` for `user` (CPU-bound: one 3072-bit modexp).

        # Cognito: the clients hash USER_ID_FOR_SRP, which is the stored username (the sub in
        # pools that sign in by email or phone), with the pool name as realm.
        """
        verifier = srp.make_verifier(srp.pool_name(pool.id), user.username, password)
        return self._keyring.seal(verifier.to_bytes(), _purpose(pool.id, user.sub))

    def open(self, user: User) -> srp.Verifier | None:
        """The user's verifier, None when it has none (or it cannot be opened)."""
        if user.srp_verifier is None:
            return None
        try:
            raw = self._keyring.open(user.srp_verifier, _purpose(user.pool_id, user.sub))
            return srp.Verifier.from_bytes(raw)
        except (SealError, srp.SrpError):
            return None

    def decoy(self, realm: str, user_id: str) -> srp.Verifier:
        return srp.decoy_verifier(self._decoy_key, realm, user_id)

    def decoy_sub(self, pool_id: str, username: str) -> str:
        """A stable, sub-shaped stand-in for an unknown user's USER_ID_FOR_SRP in pools where
        known users get their sub there: the same shape must not tell the two apart."""
        digest = self._keyring.digest(f"{pool_id}\x00{username}", "srp-decoy-sub")
        return str(uuid.UUID(hex=digest[:32], version=4))
