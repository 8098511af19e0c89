"""Verifying JWTs with public JWKs published by other issuers (RFC 7515, 7517, 7518)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jwt
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from mamori.crypto.jose import TokenError

# Asymmetric algorithms only: "none" and HMAC (with a public key as the secret) are attacks.
ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512")


def token_header(token: str) -> tuple[str | None, str]:
    """(kid, alg) of a token before verification, to pick the key."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError("malformed token") from exc
    alg = header.get("alg")
    kid = header.get("kid")
    if alg not in ALGORITHMS:
        raise TokenError(f"unsupported algorithm {alg!r}")
    return (kid if isinstance(kid, str) else None), str(alg)


def pick_key(keys: Sequence[Mapping[str, Any]], kid: str | None, alg: str) -> Mapping[str, Any]:
    family = "EC" if alg.startswith("ES") else "RSA"
    candidates = [
        k
        for k in keys
        if k.get("kty") == family
        and k.get("use", "sig") == "sig"
        and (kid is None or k.get("kid") == kid)
    ]
    if len(candidates) != 1:
        raise TokenError("no matching key")
    return candidates[0]


def verify_with_jwk(token: str, jwk: Mapping[str, Any], alg: str, now: float) -> dict[str, Any]:
    """Signature and expiry (against the given time); audience and issuer are the caller's."""
    try:
        if alg.startswith("ES"):
            key: Any = ECAlgorithm.from_jwk(dict(jwk))
        else:
            key = RSAAlgorithm.from_jwk(dict(jwk))
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
        raise TokenError("unusable key") from exc
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[alg],
            options={"verify_exp": False, "verify_aud": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise TokenError("invalid token") from exc
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp < now:
        raise TokenError("token expired")
    return claims
