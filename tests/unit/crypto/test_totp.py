"""RFC 6238 TOTP: the RFC's test vectors, drift, single use, secrets and the otpauth URI."""

from __future__ import annotations

import base64
import urllib.parse
from datetime import UTC, datetime, timedelta

import pyotp
from hypothesis import given
from hypothesis import strategies as st

from mamori.crypto import totp

# RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890", in base32.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
# (Unix time, the 8-digit TOTP of Appendix B); Cognito's 6 digits are the last six.
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def test_rfc_6238_vectors() -> None:
    for seconds, eight_digits in RFC_VECTORS:
        step = totp.step_at(at(seconds))
        assert step == seconds // 30
        assert totp.code_at_step(RFC_SECRET, step) == eight_digits[-6:]


def test_one_step_of_drift_either_way_and_no_more() -> None:
    now = at(1111111111)
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        code = totp.code_at_step(RFC_SECRET, step + offset)
        assert totp.matching_step(RFC_SECRET, code, now) == step + offset
    for offset in (-3, -2, 2, 3):
        code = totp.code_at_step(RFC_SECRET, step + offset)
        assert totp.matching_step(RFC_SECRET, code, now) is None


def test_a_step_already_used_does_not_match_again() -> None:
    now = at(1234567890)
    step = totp.step_at(now)
    code = totp.code_at_step(RFC_SECRET, step)
    assert totp.matching_step(RFC_SECRET, code, now, after=step - 1) == step
    assert totp.matching_step(RFC_SECRET, code, now, after=step) is None
    assert totp.matching_step(RFC_SECRET, code, now, after=step + 1) is None


def test_malformed_codes_never_match() -> None:
    now = at(59)
    code = totp.code_at_step(RFC_SECRET, totp.step_at(now))
    for bad in ("", code[:5], code + "0", " " + code[1:], "٢٨٧٠٨٢", "abcdef"):
        assert totp.matching_step(RFC_SECRET, bad, now) is None


def test_new_secrets_are_160_bits_of_base32() -> None:
    secrets = {totp.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert len(secret) == 32 and secret.isalnum() and secret.isupper()
        assert len(base64.b32decode(secret)) == 20


def test_otpauth_uri() -> None:
    uri = totp.otpauth_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "alice@example.com", "Acme Corp")
    parsed = urllib.parse.urlparse(uri)
    assert (parsed.scheme, parsed.netloc) == ("otpauth", "totp")
    assert urllib.parse.unquote(parsed.path) == "/Acme Corp:alice@example.com"
    query = urllib.parse.parse_qs(parsed.query)
    assert query["secret"] == ["JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"]
    assert query["issuer"] == ["Acme Corp"]
    # What an authenticator app makes of it: pyotp reads it back to the same generator.
    app = pyotp.parse_uri(uri)
    assert isinstance(app, pyotp.TOTP)
    assert app.secret == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" and app.issuer == "Acme Corp"
    assert app.name == "alice@example.com" and app.interval == 30 and app.digits == 6


@given(
    secret=st.binary(min_size=14, max_size=40).map(lambda b: base64.b32encode(b).decode()),
    seconds=st.integers(min_value=30, max_value=2**33),
    drift=st.integers(min_value=-29, max_value=29),
)
def test_an_authenticator_apps_code_matches(secret: str, seconds: int, drift: int) -> None:
    """Whatever pyotp (an authenticator app) shows within half a minute of the server's clock
    is accepted at the step it was made for."""
    app_time = at(seconds) + timedelta(seconds=drift)
    code = pyotp.TOTP(secret).at(app_time)
    assert totp.matching_step(secret, code, at(seconds)) is not None
