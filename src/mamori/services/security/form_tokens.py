"""Tokens that bind a posted form to the browser that was shown it (CSRF protection for the
hosted pages): a random value in a cookie, and in each form a keyed MAC of it and the form's
name (the "signed double-submit cookie")."""

from __future__ import annotations

import hmac
import secrets

from mamori.crypto.aead import Keyring

_PURPOSE = "hosted-form"


class FormTokens:
    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring

    @staticmethod
    def new_cookie() -> str:
        return secrets.token_urlsafe(32)

    def token(self, cookie: str, form: str) -> str:
        """The token a page puts in `form` for the browser holding `cookie`. Keyed, so an
        attacker who can plant a cookie (a sibling subdomain) still cannot make its token."""
        return self._keyring.digest(f"{form}\x00{cookie}", _PURPOSE)

    def check(self, cookie: str | None, form: str, token: str | None) -> bool:
        if not cookie or not token:
            return False
        return hmac.compare_digest(self.token(cookie, form).encode(), token.encode())
