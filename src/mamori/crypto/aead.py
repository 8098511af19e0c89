"""AES-256-GCM sealing for secrets at rest and opaque session strings, with key ids for rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class SealError(ValueError):
    """The sealed value is malformed, was sealed under an unknown key, or was tampered with."""


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_key(master: bytes, purpose: str) -> bytes:
    """A 32-byte sub-key for one purpose, so one master key never serves two uses directly."""
    return hmac.new(master, b"mamori:" + purpose.encode(), hashlib.sha256).digest()


def key_id(master: bytes) -> str:
    return hashlib.sha256(b"mamori-kid:" + master).hexdigest()[:8]


class Keyring:
    """Seals with the current master key; opens with any known one (old keys after rotation)."""

    def __init__(self, current: bytes, previous: Mapping[str, bytes] | None = None) -> None:
        if len(current) != 32:
            raise ValueError("master key must be 32 bytes")
        self._current_id = key_id(current)
        self._keys = {key_id(k): k for k in (previous or {}).values()}
        self._keys[self._current_id] = current

    def __repr__(self) -> str:
        return f"Keyring(current={self._current_id!r}, keys={len(self._keys)})"

    @property
    def current_id(self) -> str:
        """The id of the key that seals; not secret (a truncated hash of the key)."""
        return self._current_id

    def knows(self, kid: str) -> bool:
        return kid in self._keys

    def seal(self, plaintext: bytes, purpose: str) -> str:
        """`v1.<kid>.<nonce|ciphertext>`; `purpose` is bound in as associated data."""
        key = derive_key(self._keys[self._current_id], "aead")
        nonce = os.urandom(12)
        ct = AESGCM(key).encrypt(nonce, plaintext, purpose.encode())
        return f"v1.{self._current_id}.{_b64e(nonce + ct)}"

    def open(self, sealed: str, purpose: str) -> bytes:
        try:
            version, kid, body = sealed.split(".", 2)
            if version != "v1" or kid not in self._keys:
                raise SealError("unknown key or version")
            raw = _b64d(body)
            key = derive_key(self._keys[kid], "aead")
            return AESGCM(key).decrypt(raw[:12], raw[12:], purpose.encode())
        except (ValueError, InvalidTag) as exc:
            raise SealError("cannot open sealed value") from exc

    @staticmethod
    def sealed_with(sealed: str) -> str | None:
        """The key id a sealed value names, or None when it is not one of ours."""
        version, _, rest = sealed.partition(".")
        kid = rest.partition(".")[0]
        return kid if version == "v1" and kid else None

    def digest(self, value: str, purpose: str) -> str:
        """Keyed digest for codes and tokens at rest: short codes can't be brute-forced offline."""
        key = derive_key(self._keys[self._current_id], "digest:" + purpose)
        return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
