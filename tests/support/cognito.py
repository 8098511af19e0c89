"""Small helpers for Cognito wire shapes in tests: errors, attribute lists, SECRET_HASH."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

import pytest
from botocore.exceptions import ClientError


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    """(code, message) of a boto3 error."""
    err = exc.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


def attrs(values: Mapping[str, str] | None = None, **more: str) -> list[dict[str, str]]:
    """An AttributeType list; keyword names use `__` for `:` (custom__team -> custom:team)."""
    merged = {**(values or {}), **{k.replace("__", ":"): v for k, v in more.items()}}
    return [{"Name": k, "Value": v} for k, v in merged.items()]


def as_dict(items: Iterable[Mapping[str, str]]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in items}


def secret_hash(username: str, client_id: str, secret: str) -> str:
    """Base64(HMAC-SHA256(client secret, username + client id)), as Cognito defines it."""
    mac = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def unique(prefix: str = "user") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


# What Cognito answers a wrong, expired or too-often-tried confirmation or verification code.
MISMATCH = ("CodeMismatchException", "Invalid verification code provided, please try again.")
EXPIRED = ("ExpiredCodeException", "Invalid code provided, please request a code again.")
LIMIT = ("LimitExceededException", "Attempt limit exceeded, please try after some time.")


def phone() -> str:
    """A fresh E.164 number in the 555 range."""
    return "+1555" + "".join(secrets.choice("0123456789") for _ in range(7))


def wrong(code: str) -> str:
    """A six-digit code that is not `code`."""
    return f"{(int(code) + 1) % 1_000_000:06d}"
