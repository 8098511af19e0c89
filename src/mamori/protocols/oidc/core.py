"""OpenID Connect Core 1.0: the ID token's hash of the access token it comes with, and the
scopes that ask for standard claims (section 5.4)."""

from __future__ import annotations

import base64
import hashlib

OPENID = "openid"

# Section 5.4: the claims each scope asks for (userInfo answers by them; Cognito adds `username`
# and, with `profile`, every other readable attribute).
EMAIL_CLAIMS = ("email", "email_verified")
PHONE_CLAIMS = ("phone_number", "phone_number_verified")


def at_hash(access_token: str) -> str:
    """Section 3.1.3.6: the base64url (unpadded) left half of the hash of the access token's
    ASCII octets, with the hash of the ID token's `alg` (RS256: SHA-256)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")
