"""RFC 6238 time-based one-time passwords (SHA-1, 6 digits, 30-second steps) as Cognito uses
them for SOFTWARE_TOKEN_MFA, on pyotp; secrets and the otpauth:// URI authenticator apps scan."""

from __future__ import annotations

import base64
import hmac
import secrets
import urllib.parse
from datetime import datetime

import pyotp

STEP_SECONDS = 30  # RFC 6238 section 4.1: X, the default time step
DIGITS = 6
# RFC 6238 section 5.2: accept codes one step either side of the server's, for clock drift
# and the time it takes to type a code.
DRIFT_STEPS = 1
_SECRET_BYTES = 20  # RFC 4226 section 4: 160 bits recommended; 32 base32 characters, no padding


def new_secret() -> str:
    """A fresh shared secret in base32 (the form SecretCode is sent and apps read)."""
    return base64.b32encode(secrets.token_bytes(_SECRET_BYTES)).decode("ascii")


def step_at(moment: datetime) -> int:
    """The RFC 6238 time step T holding `moment`."""
    return int(moment.timestamp()) // STEP_SECONDS


def code_at_step(secret: str, step: int) -> str:
    """The code of `step` (HOTP of the step counter, RFC 6238 section 4.2)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def matching_step(secret: str, code: str, now: datetime, after: int | None = None) -> int | None:
    """The step whose code `code` is, within DRIFT_STEPS of `now`, and later than `after`
    (the last step already used: a code works once); None when there is none.

    Every candidate is compared in constant time, so the timing says nothing about which
    step matched or how close the code was.
    """
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    current = step_at(now)
    found: int | None = None
    for step in range(max(current - DRIFT_STEPS, 0), current + DRIFT_STEPS + 1):
        candidate = code_at_step(secret, step)
        if hmac.compare_digest(candidate.encode(), code.encode()) and (
            after is None or step > after
        ):
            found = step if found is None else found
    return found


def otpauth_uri(secret: str, account: str, issuer: str) -> str:
    """`otpauth://totp/<issuer>:<account>?secret=...&issuer=...` (Google Authenticator's Key
    Uri Format), for a QR code; Cognito leaves building it to the app, as mamori does."""
    label = urllib.parse.quote(f"{issuer}:{account}", safe=":@")
    query = urllib.parse.urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        }
    )
    return f"otpauth://totp/{label}?{query}"
