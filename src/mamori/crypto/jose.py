"""RS256 JWTs and JWKs: signing keys as PEM, public keys as JWK dicts (RFC 7517/7518/7519);
ES256 JWTs signed with a P-256 key given as PEM (`sign_es256`: Sign in with Apple's client
secret)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from jwt.algorithms import RSAAlgorithm


class TokenError(ValueError):
    """Signature, format or claim check failed."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: bytes = field(repr=False)


def generate_signing_key() -> SigningKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pub = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return SigningKey(kid=hashlib.sha256(pub).hexdigest()[:43], private_pem=pem)


class LoadedKey:
    """A signing key parsed once: parsing RSA keys costs more than signing with them."""

    def __init__(self, key: SigningKey) -> None:
        self.kid = key.kid
        private = serialization.load_pem_private_key(key.private_pem, password=None)
        if not isinstance(private, rsa.RSAPrivateKey):
            raise TokenError("signing key is not an RSA key")
        self._private = private
        self.public = private.public_key()
        self.jwk: dict[str, Any] = {
            **RSAAlgorithm.to_jwk(self.public, as_dict=True),
            "kid": key.kid,
            "alg": "RS256",
            "use": "sig",
        }

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._private, algorithm="RS256", headers={"kid": self.kid})


def public_pem(jwk: dict[str, Any]) -> str:
    """An RSA public JWK (RFC 7518 section 6.3.1) as a SubjectPublicKeyInfo PEM: what tools that
    take a key file rather than a JWKS (HAProxy's jwt_verify) read. TokenError for another kind."""
    if jwk.get("kty") != "RSA":
        raise TokenError("not an RSA key")
    public = RSAAlgorithm.from_jwk({k: jwk[k] for k in ("kty", "n", "e") if k in jwk})
    if not isinstance(public, rsa.RSAPublicKey):
        raise TokenError("not an RSA public key")
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def sign_es256(claims: dict[str, Any], private_pem: str, kid: str) -> str:
    """`claims` as a JWT signed ES256 with the EC P-256 private key `private_pem` (PKCS#8 or
    SEC1 PEM, unencrypted: Apple's .p8 file), `kid` in the header. TokenError for any other
    key or text that is not one."""
    try:
        key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise TokenError("the private key is not an unencrypted PEM private key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise TokenError("the private key is not an EC P-256 key")
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid})


_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")


def _segment_bytes(segment: str) -> bytes:
    """Strict base64url (RFC 7515 section 2): alphabet, no padding, canonical trailing bits.

    PyJWT checks the alphabet in a Python loop, ~0.1 ms per access token and call; a token is
    read on every authenticated request, so the same checks run here at C speed.
    """
    if len(segment) % 4 == 1 or _SEGMENT.fullmatch(segment) is None:
        raise TokenError("malformed token")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (ValueError, binascii.Error) as exc:
        raise TokenError("malformed token") from exc
    if base64.urlsafe_b64encode(raw).rstrip(b"=") != segment.encode("ascii"):
        raise TokenError("malformed token")
    return raw


def _unverified_json(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(_segment_bytes(segment))
    except (ValueError, RecursionError) as exc:  # RecursionError: nested past the parser's depth
        raise TokenError("malformed token") from exc
    if not isinstance(value, dict):
        raise TokenError("malformed token")
    return value


def unverified_header_and_issuer(token: str) -> tuple[str, str]:
    """(kid, iss) read before verification, only to pick the key set to verify with."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed token")
    header, payload = _unverified_json(parts[0]), _unverified_json(parts[1])
    kid = header.get("kid")
    if header.get("alg") != "RS256" or not isinstance(kid, str):
        raise TokenError("unsupported token header")
    iss = payload.get("iss")
    if not isinstance(iss, str):
        raise TokenError("token has no issuer")
    return kid, iss


def unverified_kid(token: str) -> str:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError("malformed token") from exc
    kid = header.get("kid")
    if header.get("alg") != "RS256" or not isinstance(kid, str):
        raise TokenError("unsupported token header")
    return kid


def verify(token: str, key: LoadedKey, now: float, leeway: float = 0) -> dict[str, Any]:
    """Check the signature and expiry (against the injected clock); claims are the caller's.

    RS256 only (RFC 7515 / 7518 section 3.3): the algorithm comes from our key, never from the
    token, so `alg: none` and HMAC-with-the-public-key forgeries fail. Unknown critical header
    parameters are refused (RFC 7515 section 4.1.11).
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("invalid token")
    try:
        header = _unverified_json(parts[0])
        claims = _unverified_json(parts[1])
        signature = _segment_bytes(parts[2])
    except TokenError as exc:
        raise TokenError("invalid token") from exc
    if header.get("alg") != "RS256" or "crit" in header:
        raise TokenError("invalid token")
    try:
        key.public.verify(
            signature,
            f"{parts[0]}.{parts[1]}".encode("ascii"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature as exc:
        raise TokenError("invalid token") from exc
    nbf = claims.get("nbf")
    if nbf is not None and (not isinstance(nbf, int | float) or nbf > now + leeway):
        raise TokenError("invalid token")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp + leeway < now:
        raise TokenError("token expired")
    return claims
