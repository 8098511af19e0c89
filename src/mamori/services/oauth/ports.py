"""What the OAuth provider's services depend on: the authorization code store, the pool's
resource-server scopes (client_credentials issues only those that still exist), and the
hosted-login session store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from mamori.domain.ids import PoolId
from mamori.domain.oauth.authorization import AuthorizationGrant
from mamori.domain.oauth.saml_logins import SamlLogin


@dataclass(frozen=True)
class RedeemedCode:
    """The grant an authorization code stood for, as its one redemption read it."""

    grant: AuthorizationGrant
    expires: datetime


class AuthorizationCodeStore(Protocol):
    """Authorization codes by keyed digest; every call scoped by pool."""

    async def add_code(self, digest: str, grant: AuthorizationGrant, expires: datetime) -> None: ...

    async def redeem_code(
        self, pool_id: str, digest: str, when: datetime, origin_jti: str
    ) -> RedeemedCode | None:
        """Marks the code used (recording the refresh family its tokens will start) and
        returns its grant, for the one caller that got there first: a conditional update.
        None when the code is unknown or already used."""

    async def mark_replayed(self, pool_id: str, digest: str) -> str | None:
        """A used code presented again: flags it and returns the origin_jti its redemption
        recorded (None: no such used code)."""

    async def was_replayed(self, pool_id: str, digest: str) -> bool:
        """Whether a replay flagged the code (checked once its tokens exist, so a replay that
        raced the redemption still revokes them)."""


class ExpiredAuthorizationCodes(Protocol):
    """The purge's side of the code store."""

    async def count_authorization_codes_expired_before(self, cutoff: datetime) -> int: ...
    async def delete_authorization_codes_expired_before(
        self, cutoff: datetime, batch: int
    ) -> int: ...


class ResourceServerScopes(Protocol):
    """The pool's resource-server scopes, "<identifier>/<scope name>" (ResourceServerService
    implements it)."""

    async def scopes_of(self, pool_id: PoolId) -> frozenset[str]: ...


@dataclass(frozen=True)
class LoginSession:
    digest: str
    pool_id: str
    sub: str
    auth_time: int
    created: datetime
    expires: datetime
    saml: SamlLogin | None = None  # signed in through a SAML provider


@dataclass(frozen=True)
class StoredLogin:
    """A session as read, with its user's state (checked on every use)."""

    session: LoginSession
    user_enabled: bool  # False when the user is disabled or was deleted


class LoginSessionStore(Protocol):
    async def add_login(self, session: LoginSession) -> None: ...

    async def get_login(self, pool_id: str, digest: str) -> StoredLogin | None: ...

    async def delete_login(self, pool_id: str, digest: str) -> None: ...

    async def delete_user_logins(self, pool_id: str, sub: str) -> None: ...

    async def delete_user_logins_expired(self, pool_id: str, sub: str, now: datetime) -> None: ...

    async def delete_saml_logins(self, pool_id: str, provider_name: str, name_id: str) -> int:
        """Ends the sessions a SAML provider's NameID signed in (the IdP's single logout)."""


class ExpiredLoginSessions(Protocol):
    """The purge's side of the login-session store."""

    async def count_login_sessions_expired_before(self, cutoff: datetime) -> int: ...
    async def delete_login_sessions_expired_before(self, cutoff: datetime, batch: int) -> int: ...
