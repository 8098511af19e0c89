"""What token issuing and the signing keys depend on: refresh sessions, the reads an access
token's use needs, sealed keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

from mamori.domain.ids import ClientId, PoolId, UserSub
from mamori.domain.users.group import Group
from mamori.domain.users.user import User
from mamori.services.ports import Page


@dataclass(frozen=True)
class TokenHolder:
    """What an access token's use needs to know, read in one statement."""

    user: User | None  # None once deleted
    revoked: bool  # its sign-in (refresh family) was revoked
    client_exists: bool  # False once its app client was deleted


class TokenUsers(Protocol):
    """The user reads of token issuing and checking (the user store implements them)."""

    async def get_user_for_token(
        self, pool_id: PoolId, sub: UserSub, origin_jti: str, client_id: str
    ) -> TokenHolder:
        """The user, whether the token's sign-in is revoked and whether its app client still
        exists, in one read (every access token's use)."""


class TokenGroups(Protocol):
    """The groups a user's tokens name (the group store implements it)."""

    async def groups_of(
        self, pool_id: PoolId, sub: UserSub, limit: int = 10000, after: str | None = None
    ) -> Page[Group]: ...


@dataclass(frozen=True)
class RefreshSession:
    """One sign-in's refresh token, stored only as a digest."""

    digest: str
    pool_id: PoolId
    client_id: ClientId
    sub: UserSub
    origin_jti: str
    auth_time: int
    created: datetime
    expires: datetime
    revoked: bool = False
    # Rotation: the digest that replaced this one, and when; reuse after the grace period fails.
    replaced_at: datetime | None = None
    # What an OAuth flow granted (its tokens' `scope`, kept across refreshes); None: the API's.
    scopes: tuple[str, ...] | None = None


class RefreshSessionStore(Protocol):
    async def add_session(self, session: RefreshSession) -> None: ...
    async def get_session(self, digest: str) -> RefreshSession | None: ...
    async def get_session_with_user(self, digest: str) -> tuple[RefreshSession, User | None] | None:
        """The session and its user in one read (every refresh needs both)."""

    async def mark_replaced(self, digest: str, when: datetime) -> bool:
        """True for the one caller that rotated it first."""

    async def revoke_origin(self, pool_id: PoolId, origin_jti: str) -> None: ...
    async def is_origin_revoked(self, pool_id: PoolId, origin_jti: str) -> bool: ...
    async def revoke_user(self, pool_id: PoolId, sub: UserSub) -> None: ...


# The owner of the identity issuer's keys (a pool id never takes this form).
IDENTITY_ISSUER: Final = "identity"


@dataclass(frozen=True)
class SealedKey:
    owner: str  # the pool id, or IDENTITY_ISSUER
    kid: str
    sealed_pem: str
    created: datetime


class KeyStore(Protocol):
    """Sealed RS256 keys by owner: a user pool's, or the identity issuer's."""

    async def add_key(self, key: SealedKey) -> None: ...
    async def keys_of(self, owner: str) -> Sequence[SealedKey]:
        """The signing key first: a pool's newest; the identity issuer's oldest (every process
        signs with the same one even when two raced to create the first)."""

    async def sealed_prefixes(self) -> Sequence[str]:
        """The distinct version-and-key-id prefixes of every pool's sealed key (start-up
        check)."""
