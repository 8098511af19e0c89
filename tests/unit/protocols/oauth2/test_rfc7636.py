"""PKCE's S256 method (RFC 7636): the spec's example, and any verifier against any challenge."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from mamori.protocols.oauth2.rfc7636 import is_challenge, is_verifier, s256, verify

UNRESERVED = string.ascii_letters + string.digits + "-._~"
verifiers = st.text(alphabet=UNRESERVED, min_size=43, max_size=128)


def test_the_rfcs_example() -> None:
    # RFC 7636 appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert verify(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")


@given(verifiers)
def test_a_verifier_matches_its_own_challenge(verifier: str) -> None:
    challenge = s256(verifier)
    assert is_verifier(verifier)
    assert is_challenge(challenge)
    assert verify(verifier, challenge)


@given(verifiers, verifiers)
def test_a_verifier_never_matches_anothers_challenge(one: str, other: str) -> None:
    assert verify(one, s256(other)) is (one == other)


@given(st.text(max_size=200))
def test_only_43_to_128_unreserved_characters_are_a_verifier(value: str) -> None:
    expected = 43 <= len(value) <= 128 and all(c in UNRESERVED for c in value)
    assert is_verifier(value) is expected
    if not expected:
        # A malformed verifier never passes, even against the challenge of its own bytes.
        assert not verify(value, s256(value) if value.isascii() else s256("a" * 43))


def test_short_long_and_missing_verifiers_never_match() -> None:
    for bad in ("a" * 42, "a" * 129, "a" * 42 + "!", None):
        challenge = s256("a" * 43)
        assert not verify(bad, challenge)
    # "plain" would send the verifier itself as the challenge: that is not an S256 challenge's
    # match.
    assert not verify("a" * 43, "a" * 43)
    assert not is_challenge("a" * 44)
    assert not is_challenge("a" * 42 + "=")
