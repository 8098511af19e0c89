"""CSRF tokens: a keyed MAC of the browser's cookie and the form's name."""

from __future__ import annotations

import secrets

from mamori.crypto.aead import Keyring
from mamori.services.security.form_tokens import FormTokens


def test_a_token_is_good_for_its_cookie_and_form_only() -> None:
    tokens = FormTokens(Keyring(secrets.token_bytes(32)))
    cookie = tokens.new_cookie()
    token = tokens.token(cookie, "login")
    assert tokens.check(cookie, "login", token)
    assert not tokens.check(cookie, "mfa", token)
    assert not tokens.check(tokens.new_cookie(), "login", token)
    assert not tokens.check(None, "login", token)
    assert not tokens.check(cookie, "login", None)
    # One character changed (a fixed "0" left a token ending in 0 unchanged: 1 run in 16 failed).
    assert not tokens.check(cookie, "login", token[:-1] + ("1" if token.endswith("0") else "0"))
    assert not tokens.check(cookie, "login", "é")
    # Another server key (another deployment) makes other tokens.
    other = FormTokens(Keyring(secrets.token_bytes(32)))
    assert not other.check(cookie, "login", token)
