"""Hosted-login sessions: after a sign-in on the hosted pages, a cookie lets the next
/oauth2/authorize skip the form (single sign-on across the pool's clients) until it expires
(Cognito: one hour), /logout ends it, or the user is signed out everywhere, disabled or deleted.

The cookie's value is a random token; only its keyed digest is stored, so a database read
gives nobody a usable session.
"""

from __future__ import annotations

from datetime import timedelta

from mamori.crypto.aead import Keyring
from mamori.crypto.secrets import opaque_token
from mamori.domain.oauth.authorization import SignedIn
from mamori.domain.oauth.saml_logins import SamlLogin
from mamori.services.oauth.ports import LoginSession, LoginSessionStore
from mamori.services.ports import Clock

_PURPOSE = "login-session"
# Longer values are never ours (opaque_token: 64 characters); refused before any digest.
_MAX_VALUE = 128


class LoginSessions:
    def __init__(
        self, store: LoginSessionStore, keyring: Keyring, clock: Clock, lifetime: timedelta
    ) -> None:
        self._store = store
        self._keyring = keyring
        self._clock = clock
        self._lifetime = lifetime

    def _digest(self, value: str) -> str:
        return self._keyring.digest(value, _PURPOSE)

    async def start(self, pool_id: str, signed_in: SignedIn, saml: SamlLogin | None = None) -> str:
        """A new session for a user who just signed in; returns the cookie's value. `saml`:
        the SAML provider's sign-in it came from (single logout names it)."""
        now = self._clock.now()
        # The user's expired sessions go now: a sign-in is when a user's rows are at hand.
        await self._store.delete_user_logins_expired(pool_id, signed_in.sub, now)
        value = opaque_token()
        await self._store.add_login(
            LoginSession(
                digest=self._digest(value),
                pool_id=pool_id,
                sub=signed_in.sub,
                auth_time=signed_in.auth_time,
                created=now,
                expires=now + self._lifetime,
                saml=saml,
            )
        )
        return value

    async def current(self, pool_id: str, value: str | None) -> SignedIn | None:
        """Who the cookie's session speaks for, if it is this pool's, unexpired, and its user
        still exists and is enabled; None otherwise."""
        if not value or len(value) > _MAX_VALUE:
            return None
        found = await self._store.get_login(pool_id, self._digest(value))
        if found is None:
            return None
        if not found.user_enabled or found.session.expires <= self._clock.now():
            return None
        return SignedIn(found.session.sub, found.session.auth_time)

    async def saml_of(self, pool_id: str, value: str | None) -> SamlLogin | None:
        """The SAML sign-in behind the cookie's live session, if it came from one (/logout
        asks before ending it)."""
        if not value or len(value) > _MAX_VALUE:
            return None
        found = await self._store.get_login(pool_id, self._digest(value))
        if found is None or found.session.expires <= self._clock.now():
            return None
        return found.session.saml

    async def end_saml(self, pool_id: str, provider_name: str, name_id: str) -> int:
        """Ends every session a SAML provider's NameID signed in (its IdP-initiated logout)."""
        return await self._store.delete_saml_logins(pool_id, provider_name, name_id)

    async def end(self, pool_id: str, value: str | None) -> None:
        """Ends the cookie's session (/logout); nothing to do without one."""
        if value and len(value) <= _MAX_VALUE:
            await self._store.delete_login(pool_id, self._digest(value))

    async def end_user(self, pool_id: str, sub: str) -> None:
        """Ends every session of a user (global sign-out)."""
        await self._store.delete_user_logins(pool_id, sub)
