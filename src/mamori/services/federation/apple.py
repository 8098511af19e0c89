"""Sign in with Apple's pieces for the user-pool redirect (issue 12 item 2): the client secret
Apple's token endpoint takes, a JWT signed ES256 with the provider's `private_key` (the .p8
key from Apple's developer account) naming its `key_id`, issued by its `team_id` to Apple for
its `client_id` (the Services ID), short-lived because mamori makes one per redemption."""

from __future__ import annotations

from typing import Final

from mamori.crypto.jose import sign_es256
from mamori.domain.userpools.identity_providers import IdentityProvider

# Apple: the client secret's audience.
APPLE_AUDIENCE: Final = "https://appleid.apple.com"
# Apple takes up to six months; one redemption needs minutes.
CLIENT_SECRET_SECONDS: Final = 300


def client_secret(provider: IdentityProvider, now: float) -> str:
    """The client secret for one redemption at Apple's token endpoint (TokenError when the
    provider's private_key is not an EC P-256 key)."""
    issued = int(now)
    claims = {
        "iss": provider.detail("team_id") or "",
        "iat": issued,
        "exp": issued + CLIENT_SECRET_SECONDS,
        "aud": APPLE_AUDIENCE,
        "sub": provider.detail("client_id") or "",
    }
    return sign_es256(claims, provider.detail("private_key") or "", provider.detail("key_id") or "")
