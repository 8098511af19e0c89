"""OpenID Connect Core 1.0 section 3.1.3.7 as a relying party checks an ID token's claims once
its signature is verified (crypto/jwks.py): issuer, audience, authorized party, nonce, expiry,
issue time; and section 5.3.2: userinfo speaks for the same subject."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

# Clock skew allowed between mamori and the provider, in seconds.
LEEWAY_SECONDS = 60


class IdTokenError(ValueError):
    """The ID token is not one this sign-in may accept; the message says why (logged, never
    shown to the user in full)."""


def check_id_token(
    claims: Mapping[str, Any], issuer: str, client_id: str, nonce: str, now: float
) -> str:
    """The subject (`sub`) of a verified ID token whose claims fit this sign-in."""
    # 3.1.3.7 step 2: iss MUST exactly match the provider's issuer.
    if claims.get("iss") != issuer:
        raise IdTokenError("the ID token's issuer is not the provider's")
    # Step 3: aud MUST contain client_id; other audiences need azp (steps 4, 5).
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id not in audiences:
        raise IdTokenError("the ID token is for another client")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise IdTokenError("the ID token's authorized party is another client")
    # Step 9: exp in the future; step 10: iat not from the future.
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp + LEEWAY_SECONDS < now:
        raise IdTokenError("the ID token has expired")
    iat = claims.get("iat")
    if isinstance(iat, int | float) and not isinstance(iat, bool) and iat > now + LEEWAY_SECONDS:
        raise IdTokenError("the ID token was issued in the future")
    # Step 11: the nonce sent in the authentication request, exactly (compared in constant
    # time: it is what binds the token to this browser's sign-in).
    got = claims.get("nonce")
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise IdTokenError("the ID token's nonce is not this sign-in's")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise IdTokenError("the ID token has no subject")
    return sub


def check_userinfo(userinfo: Mapping[str, Any], sub: str) -> None:
    """Section 5.3.2: the userinfo's `sub` MUST match the ID token's, or it is not used."""
    if userinfo.get("sub") != sub:
        raise IdTokenError("the userinfo answer is for another subject")
