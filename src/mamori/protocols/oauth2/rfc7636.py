"""RFC 7636, Proof Key for Code Exchange: the S256 method only (Cognito refuses "plain")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

S256 = "S256"
# Section 4.1: code_verifier = 43*128unreserved, unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# Section 4.2: S256's challenge is BASE64URL(SHA256(verifier)) without padding: 43 characters.
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def is_verifier(value: str) -> bool:
    return _VERIFIER.fullmatch(value) is not None


def is_challenge(value: str) -> bool:
    """A well-formed S256 code_challenge (what /oauth2/authorize accepts)."""
    return _CHALLENGE.fullmatch(value) is not None


def s256(verifier: str) -> str:
    """Section 4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(verifier: str | None, challenge: str) -> bool:
    """Section 4.6: the verifier, well formed, hashes to the challenge (compared in constant
    time). A missing or malformed verifier never matches."""
    if verifier is None or not is_verifier(verifier):
        return False
    return hmac.compare_digest(s256(verifier).encode("ascii"), challenge.encode("ascii"))
