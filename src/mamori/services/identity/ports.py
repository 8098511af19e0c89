"""What the identity pool services depend on: their stores, STS, other OpenID issuers' keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mamori.domain.identity.identity_pool import (
    Identity,
    IdentityId,
    IdentityPool,
    IdentityPoolId,
    Login,
)
from mamori.services.ports import Page


class IdentityPoolStore(Protocol):
    async def add_identity_pool(self, pool: IdentityPool) -> None: ...
    async def get_identity_pool(self, pool_id: IdentityPoolId) -> IdentityPool | None: ...
    async def save_identity_pool(self, pool: IdentityPool) -> None: ...
    async def delete_identity_pool(self, pool_id: IdentityPoolId) -> None:
        """Deletes the pool's identities and their logins with it."""

    async def list_identity_pools(self, limit: int, after: str | None) -> Page[IdentityPool]: ...


class IdentityStore(Protocol):
    async def get_identity(self, identity_id: IdentityId) -> Identity | None: ...
    async def find_identity(self, pool_id: IdentityPoolId, login: Login) -> Identity | None: ...
    async def add_identity(self, identity: Identity) -> Identity:
        """Inserts the identity and its logins atomically. When a login is already linked (a
        concurrent first sign-in won), inserts nothing and returns the identity holding it."""

    async def link_logins(
        self, identity_id: IdentityId, logins: Sequence[Login], when: datetime
    ) -> None:
        """Raises ResourceConflictException when a login belongs to another identity."""

    async def unlink_logins(
        self, identity_id: IdentityId, logins: Sequence[Login], when: datetime
    ) -> None: ...
    async def merge_identities(
        self, source: IdentityId, destination: IdentityId, when: datetime
    ) -> None:
        """Moves every login of `source` to `destination` and deletes `source`, atomically."""

    async def delete_identities(self, identity_ids: Sequence[IdentityId]) -> None: ...
    async def list_identities(
        self, pool_id: IdentityPoolId, limit: int, after: str | None
    ) -> Page[Identity]: ...
    async def subjects_of(
        self, identity_id: IdentityId, provider: str, limit: int, after: str | None
    ) -> Page[str]: ...


@dataclass(frozen=True)
class TemporaryCredentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: datetime


class StsError(Exception):
    """STS refused or could not be reached; `code` is STS's error code ("" when unreachable)."""

    def __init__(self, code: str, message: str, status: int = 0) -> None:
        super().__init__(f"{code or 'unreachable'}: {message}")
        self.code = code
        self.message = message
        self.status = status


class SecurityTokenService(Protocol):
    async def assume_role_with_web_identity(
        self, role_arn: str, session_name: str, web_identity_token: str, duration_seconds: int
    ) -> TemporaryCredentials:
        """Raises StsError."""


class OidcError(Exception):
    """An OpenID Connect issuer's discovery document or JWKS could not be fetched or read."""


class OidcKeySource(Protocol):
    async def jwks(self, issuer: str, refresh: bool = False) -> Sequence[dict[str, Any]]:
        """The issuer's published keys (cached per issuer); raises OidcError."""

    async def jwks_at(self, jwks_uri: str, refresh: bool = False) -> Sequence[dict[str, Any]]:
        """The keys of a JWKS at a known address (Google's, Apple's), cached the same way."""


class SocialTokenRefused(Exception):
    """The provider says the access token is not valid (forged, expired, revoked)."""


class SocialProviderDown(Exception):
    """The provider could not be reached in time or gave an answer that cannot be read."""


@dataclass(frozen=True)
class SocialAccount:
    """What a provider says of an access token: the app it was issued to and the user."""

    subject: str
    app_ids: tuple[str, ...]  # the app / client ids the token was issued to
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)


class SocialTokenInspector(Protocol):
    """A provider whose access tokens are opaque (Facebook Graph, Login with Amazon)."""

    async def inspect(self, token: str) -> SocialAccount:
        """Raises SocialTokenRefused or SocialProviderDown."""
