"""OpenID Connect Core 3.1.3.7: the ID token claims a relying party accepts."""

from __future__ import annotations

from typing import Any

import pytest

from mamori.protocols.oidc.id_tokens import IdTokenError, check_id_token, check_userinfo

NOW = 2_000_000_000.0
ISSUER = "https://idp.example"


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": "client-1",
        "sub": "user-1",
        "nonce": "n-1",
        "exp": NOW + 300,
        "iat": NOW,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_a_fitting_token_gives_its_subject() -> None:
    assert check_id_token(claims(), ISSUER, "client-1", "n-1", NOW) == "user-1"
    several = claims(aud=["client-1", "other"], azp="client-1")
    assert check_id_token(several, ISSUER, "client-1", "n-1", NOW) == "user-1"
    # Within the allowed clock skew.
    assert check_id_token(claims(exp=NOW - 30), ISSUER, "client-1", "n-1", NOW) == "user-1"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"iss": "https://evil.example"}, "issuer"),
        ({"iss": ISSUER + "/"}, "issuer"),
        ({"aud": "other"}, "another client"),
        ({"aud": ["other", "client-1"]}, "authorized party"),
        ({"aud": ["client-1", "other"], "azp": "other"}, "authorized party"),
        ({"exp": NOW - 120}, "expired"),
        ({"exp": None}, "expired"),
        ({"exp": True}, "expired"),
        ({"iat": NOW + 3600}, "future"),
        ({"nonce": "n-2"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"sub": ""}, "subject"),
        ({"sub": 7}, "subject"),
    ],
)
def test_a_token_that_does_not_fit_is_refused(overrides: dict[str, Any], reason: str) -> None:
    with pytest.raises(IdTokenError, match=reason):
        check_id_token(claims(**overrides), ISSUER, "client-1", "n-1", NOW)


def test_userinfo_must_speak_for_the_same_subject() -> None:
    check_userinfo({"sub": "user-1", "email": "a@example.com"}, "user-1")
    with pytest.raises(IdTokenError):
        check_userinfo({"sub": "user-2"}, "user-1")
    with pytest.raises(IdTokenError):
        check_userinfo({}, "user-1")
