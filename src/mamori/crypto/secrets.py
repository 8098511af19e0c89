"""Random values: confirmation codes, opaque tokens, generated credentials."""

from __future__ import annotations

import secrets
import string

_ALNUM = string.ascii_letters + string.digits


def numeric_code(digits: int = 6) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(digits))


def opaque_token(nbytes: int = 48) -> str:
    return secrets.token_urlsafe(nbytes)


def random_id(length: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def temporary_password(min_length: int = 12) -> str:
    """A password that satisfies any Cognito policy up to `min_length` characters."""
    length = max(min_length, 12)
    chars = [
        secrets.choice(string.ascii_uppercase),
        secrets.choice(string.ascii_lowercase),
        secrets.choice(string.digits),
        secrets.choice("^$*.[]{}()?-!@#%&/,><:;|_~"),
    ]
    chars += [secrets.choice(_ALNUM) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def constant_time_equals(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())
