"""RS256 tokens: sign and verify, expiry against an injected clock, key ids, forged headers."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.crypto.jose import (
    LoadedKey,
    TokenError,
    generate_signing_key,
    unverified_header_and_issuer,
    unverified_kid,
    verify,
)

NOW = 1_715_949_015
ISSUER = "http://127.0.0.1:9229/eu-west-1_AbCdEfGhI"
# Module-level for hypothesis, which does not mix with function fixtures; parsed once (slow).
KEY = LoadedKey(generate_signing_key())


@pytest.fixture(scope="module")
def key() -> LoadedKey:
    return KEY


@pytest.fixture(scope="module")
def other_key() -> LoadedKey:
    return LoadedKey(generate_signing_key())


def claims(**extra: object) -> dict[str, object]:
    return {"sub": "s", "iss": ISSUER, "iat": NOW, "exp": NOW + 3600, **extra}


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_sign_then_verify_returns_the_claims(key: LoadedKey) -> None:
    token = key.sign(claims(token_use="access", scope="aws.cognito.signin.user.admin"))
    assert verify(token, key, NOW) == claims(
        token_use="access", scope="aws.cognito.signin.user.admin"
    )


@settings(max_examples=30, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=10).filter(lambda k: k not in {"exp", "iat", "nbf"}),
        st.one_of(st.text(max_size=20), st.integers(-(2**53), 2**53), st.booleans()),
        max_size=6,
    )
)
def test_any_claims_round_trip(extra: dict[str, object]) -> None:
    assert verify(KEY.sign(claims(**extra)), KEY, NOW) == claims(**extra)


def test_header_names_the_key_and_rs256(key: LoadedKey) -> None:
    token = key.sign(claims())
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": key.kid, "typ": "JWT"}
    assert unverified_kid(token) == key.kid
    assert unverified_header_and_issuer(token) == (key.kid, ISSUER)


def test_expiry_uses_the_given_clock_and_leeway(key: LoadedKey) -> None:
    token = key.sign(claims())
    assert verify(token, key, NOW + 3600)
    with pytest.raises(TokenError, match="expired"):
        verify(token, key, NOW + 3601)
    assert verify(token, key, NOW + 3601, leeway=5)
    # Issued "in the future" by the clock's standards is still accepted: iat is not checked.
    assert verify(key.sign(claims(iat=NOW + 10**6)), key, NOW)


def test_missing_or_odd_exp_is_refused(key: LoadedKey) -> None:
    for token in (key.sign({"sub": "s"}), key.sign({"sub": "s", "exp": "soon"})):
        with pytest.raises(TokenError):
            verify(token, key, NOW)


def test_another_keys_signature_is_refused(key: LoadedKey, other_key: LoadedKey) -> None:
    with pytest.raises(TokenError):
        verify(other_key.sign(claims()), key, NOW)


def test_tampered_payload_is_refused(key: LoadedKey) -> None:
    header, _payload, signature = key.sign(claims(sub="alice")).split(".")
    forged = f"{header}.{b64(claims(sub='admin'))}.{signature}"
    with pytest.raises(TokenError):
        verify(forged, key, NOW)


def test_alg_none_and_hmac_forgeries_are_refused(key: LoadedKey) -> None:
    unsigned = f"{b64({'alg': 'none', 'kid': key.kid})}.{b64(claims())}."
    hmac_signed = jwt.encode(claims(), "s" * 32, algorithm="HS256", headers={"kid": key.kid})
    for token in (unsigned, hmac_signed):
        with pytest.raises(TokenError):
            unverified_kid(token)
        with pytest.raises(TokenError):
            verify(token, key, NOW)


@given(st.text(max_size=100))
def test_garbage_tokens_raise_token_error_only(garbage: str) -> None:
    with pytest.raises(TokenError):
        unverified_header_and_issuer(garbage)


def test_a_token_nested_past_the_json_parsers_depth_is_malformed(key: LoadedKey) -> None:
    """json raises RecursionError, not ValueError, for it: a 500 on GetUser until caught."""

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    deep, ok = b64(b"[" * 5000), b64(b'{"iss": "x"}')
    for token in (f"{deep}.{ok}.c2ln", f"{b64(b'{}')}.{deep}.c2ln"):
        with pytest.raises(TokenError):
            unverified_header_and_issuer(token)
        with pytest.raises(TokenError):
            verify(token, key, NOW)


def test_jwk_is_public_only(key: LoadedKey) -> None:
    jwk = key.jwk
    assert jwk["kid"] == key.kid and jwk["alg"] == "RS256" and jwk["use"] == "sig"
    assert jwk["kty"] == "RSA" and jwk["e"] == "AQAB"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)
    # The published key verifies what the private key signed.
    public = jwt.PyJWK(jwk)
    assert (
        jwt.decode(
            key.sign(claims()), public.key, algorithms=["RS256"], options={"verify_exp": False}
        )["sub"]
        == "s"
    )


def test_signing_keys_differ_and_hide_their_pem() -> None:
    a, b = generate_signing_key(), generate_signing_key()
    assert a.kid != b.kid
    assert b"PRIVATE KEY" in a.private_pem
    assert "PRIVATE" not in repr(a)
