"""Interfaces the services depend on, narrow and per consumer; adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from mamori.domain.app_client import AppClient
from mamori.domain.device import Device
from mamori.domain.group import Group
from mamori.domain.identity_pool import Identity, IdentityId, IdentityPool, IdentityPoolId, Login
from mamori.domain.ids import ClientId, PoolId, UserSub
from mamori.domain.mfa import UserMfa
from mamori.domain.user import User
from mamori.domain.user_pool import UserPool


class Clock(Protocol):
    def now(self) -> datetime: ...


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_token: str | None


@dataclass(frozen=True)
class UserQuery:
    """ListUsers: `attribute` compared with `value`, exactly or by prefix."""

    attribute: str | None = None
    value: str = ""
    prefix: bool = False


class PoolStore(Protocol):
    async def add_pool(self, pool: UserPool) -> None: ...
    async def get_pool(self, pool_id: PoolId) -> UserPool | None: ...
    async def save_pool(self, pool: UserPool) -> None: ...
    async def delete_pool(self, pool_id: PoolId) -> None: ...
    async def list_pools(self, limit: int, after: str | None) -> Page[UserPool]: ...
    async def count_users(self, pool_id: PoolId) -> int: ...


class ClientStore(Protocol):
    async def add_client(self, client: AppClient) -> None: ...
    async def get_client(self, pool_id: PoolId, client_id: ClientId) -> AppClient | None: ...
    async def find_client(self, client_id: ClientId) -> AppClient | None: ...
    async def find_client_with_pool(
        self, client_id: ClientId
    ) -> tuple[AppClient, UserPool | None] | None:
        """The client and its pool in one read (every public call starts with both)."""

    async def save_client(self, client: AppClient) -> None: ...
    async def delete_client(self, pool_id: PoolId, client_id: ClientId) -> None: ...
    async def list_clients(
        self, pool_id: PoolId, limit: int, after: str | None
    ) -> Page[AppClient]: ...


@dataclass(frozen=True)
class TokenHolder:
    """What an access token's use needs to know, read in one statement."""

    user: User | None  # None once deleted
    revoked: bool  # its sign-in (refresh family) was revoked
    client_exists: bool  # False once its app client was deleted


class UserStore(Protocol):
    async def add_user(self, pool: UserPool, user: User) -> None:
        """Raises UsernameExistsException / AliasExistsException on a clash, atomically."""

    async def get_user(self, pool: UserPool, username: str) -> User | None: ...
    async def get_user_by_sub(self, pool_id: PoolId, sub: UserSub) -> User | None: ...
    async def get_user_for_token(
        self, pool_id: PoolId, sub: UserSub, origin_jti: str, client_id: str
    ) -> TokenHolder:
        """The user, whether the token's sign-in is revoked and whether its app client still
        exists, in one read (every access token's use)."""

    async def find_by_alias(self, pool: UserPool, attribute: str, value: str) -> User | None: ...
    async def save_user(self, pool: UserPool, user: User) -> None:
        """Writes the user and its alias and search index rows in one transaction."""

    async def delete_user(self, pool_id: PoolId, sub: UserSub) -> None: ...
    async def list_users(
        self, pool: UserPool, query: UserQuery, limit: int, after: str | None
    ) -> Page[User]: ...


class GroupStore(Protocol):
    async def add_group(self, group: Group) -> None: ...
    async def get_group(self, pool_id: PoolId, name: str) -> Group | None: ...
    async def save_group(self, group: Group) -> None: ...
    async def delete_group(self, pool_id: PoolId, name: str) -> None: ...
    async def list_groups(self, pool_id: PoolId, limit: int, after: str | None) -> Page[Group]: ...
    async def add_member(self, pool_id: PoolId, name: str, sub: UserSub) -> None: ...
    async def remove_member(self, pool_id: PoolId, name: str, sub: UserSub) -> None: ...
    async def groups_of(
        self, pool_id: PoolId, sub: UserSub, limit: int = 10000, after: str | None = None
    ) -> Page[Group]: ...
    async def members_of(
        self, pool_id: PoolId, name: str, limit: int, after: str | None
    ) -> Page[User]: ...


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


class SessionStore(Protocol):
    async def add_session(self, session: RefreshSession) -> None: ...
    async def get_session(self, digest: str) -> RefreshSession | None: ...
    async def get_session_with_user(self, digest: str) -> tuple[RefreshSession, User | None] | None:
        """The session and its user in one read (every refresh needs both)."""

    async def mark_replaced(self, digest: str, when: datetime) -> bool:
        """True for the one caller that rotated it first."""

    async def revoke_origin(self, pool_id: PoolId, origin_jti: str) -> None: ...
    async def is_origin_revoked(self, pool_id: PoolId, origin_jti: str) -> bool: ...
    async def revoke_user(self, pool_id: PoolId, sub: UserSub) -> None: ...


@dataclass(frozen=True)
class StoredCode:
    digest: str
    expires: datetime
    attempts: int


class CodeStore(Protocol):
    async def put_code(
        self, pool_id: PoolId, sub: UserSub, purpose: str, digest: str, expires: datetime
    ) -> None: ...
    async def get_code(self, pool_id: PoolId, sub: UserSub, purpose: str) -> StoredCode | None: ...
    async def count_attempt(self, pool_id: PoolId, sub: UserSub, purpose: str) -> StoredCode | None:
        """Add one to the code's attempts; the code as this increment left it (None: gone)."""
        ...

    async def delete_code(self, pool_id: PoolId, sub: UserSub, purpose: str) -> bool:
        """True for the one caller that consumed it: codes are single-use."""


# --- the purge (services/purge.py): a sweep over every pool, not scoped by one
class ExpiredSessions(Protocol):
    async def count_sessions_expired_before(self, cutoff: datetime) -> int: ...
    async def delete_sessions_expired_before(self, cutoff: datetime, batch: int) -> int:
        """Deletes refresh sessions whose `expires` is before `cutoff`, at most `batch` rows per
        statement, each statement its own transaction, until none is left; how many it deleted."""


class ExpiredCodes(Protocol):
    async def count_codes_expired_before(self, cutoff: datetime) -> int: ...
    async def delete_codes_expired_before(self, cutoff: datetime, batch: int) -> int:
        """As `delete_sessions_expired_before`, for one-time codes (phantom ones included)."""


class OldMessages(Protocol):
    async def count_messages_created_before(self, cutoff: datetime) -> int: ...
    async def delete_messages_created_before(self, cutoff: datetime, batch: int) -> int:
        """As `delete_sessions_expired_before`, for outbox messages created before `cutoff`."""


@dataclass(frozen=True)
class SealedKey:
    pool_id: PoolId
    kid: str
    sealed_pem: str
    created: datetime


class KeyStore(Protocol):
    async def add_key(self, key: SealedKey) -> None: ...
    async def keys_of(self, pool_id: PoolId) -> Sequence[SealedKey]: ...
    async def sealed_prefixes(self) -> Sequence[str]:
        """The distinct version-and-key-id prefixes of every sealed key (start-up check)."""


@dataclass(frozen=True)
class Message:
    pool_id: PoolId
    channel: str  # EMAIL | SMS
    destination: str
    subject: str | None
    body: str
    kind: str  # confirmation | invitation | verification | ...
    code: str | None
    created: datetime
    id: int = 0


class MessageSender(Protocol):
    """Delivers one message or raises CodeDeliveryFailureException."""

    async def send(self, message: Message) -> None: ...


class OutboxReader(Protocol):
    async def list_messages(
        self, pool_id: str | None, destination: str | None, limit: int
    ) -> Sequence[Message]: ...


# --- identity pools
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
class SealedIdentityKey:
    kid: str
    sealed_pem: str
    created: datetime


class IdentityKeyStore(Protocol):
    async def add_identity_key(self, key: SealedIdentityKey) -> None: ...
    async def identity_keys(self) -> Sequence[SealedIdentityKey]:
        """Oldest first."""


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


# --- guessing protection
@dataclass(frozen=True)
class Tally:
    """A counter's value and when it was last added to."""

    count: int
    last: datetime


@dataclass(frozen=True)
class Bucket:
    """A token bucket: `burst` requests at once, then one per `every` on average (refilled
    continuously; GCRA, the bucket's state being the time it will be full again)."""

    key: str
    every: timedelta
    burst: int


class Counters(Protocol):
    """Counters shared by every server process (Redis or the database), for lockout and rate
    limits. Times come from the caller's clock; keys are opaque and short."""

    async def take(self, buckets: Sequence[Bucket], now: datetime) -> Sequence[bool]:
        """Takes one token from each bucket, atomically per bucket; whether each had one, in
        order. A bucket without a token is left as it was (refused requests cost nothing)."""

    async def add(self, key: str, now: datetime, idle: timedelta) -> Tally:
        """Adds one to `key`, which starts again from zero after `idle` without an add."""

    async def count_attempt(
        self,
        key: str,
        now: datetime,
        idle: timedelta,
        free: int,
        not_after: Sequence[datetime],
    ) -> Tally | None:
        """`add`, but only while the count allows another attempt, decided and written in one
        atomic step (so of any number of concurrent calls, only as many as the rule allows
        are counted): while fewer than `free` are counted, or the last was at or before
        `not_after[count - free]` (the last entry for any count beyond). An absent or idle
        count starts again at 1. The new tally; None, and nothing written, when refused."""

    async def peek(self, key: str, now: datetime) -> Tally | None:
        """The value `add` or `count_attempt` left, None when there is none or it has started
        again."""

    async def clear(self, key: str) -> None: ...
    async def aclose(self) -> None:
        """Releases connections (at shutdown)."""


# --- MFA and remembered devices
class MfaStore(Protocol):
    """Each user's MFA factors and TOTP token; secrets are sealed at rest by the adapter.

    Writes touch only their own columns, so a preference change never undoes a concurrent
    code's use (the replay guard) and the other way round.
    """

    async def get_mfa(self, pool_id: PoolId, sub: UserSub) -> UserMfa | None: ...
    async def save_preferences(self, mfa: UserMfa, when: datetime) -> None:
        """Writes the enabled factors and the preferred one, creating the row if needed."""

    async def set_pending_secret(
        self, pool_id: PoolId, sub: UserSub, secret: str, when: datetime
    ) -> None: ...
    async def activate_secret(
        self,
        pool_id: PoolId,
        sub: UserSub,
        secret: str,
        name: str | None,
        step: int,
        when: datetime,
        enable: bool,
    ) -> bool:
        """The pending `secret` becomes the user's token with its code at `step` used (and,
        with `enable`, SOFTWARE_TOKEN_MFA turned on and preferred unless another factor is).
        False when no secret is pending any more (a concurrent verification took it)."""

    async def use_step(self, pool_id: PoolId, sub: UserSub, step: int, when: datetime) -> bool:
        """Marks `step` used for the verified token: False when it, or a later one, was."""

    async def count_attempt(
        self,
        pool_id: PoolId,
        sub: UserSub,
        when: datetime,
        free: int,
        not_after: Sequence[datetime],
    ) -> bool:
        """Counts a TOTP code as a failure BEFORE it is compared (a right one starts the count
        again: `use_step`, `activate_secret`), in one conditional update, so concurrent codes
        can't outnumber the limit. Counted only while fewer than `free` failures are, or the
        last was at or before `not_after[failures - free]` (the last entry for any count
        beyond); False, and nothing counted, while the user must wait."""


class DeviceStore(Protocol):
    """A user's devices, always addressed by pool, user and device key."""

    async def add_device(self, device: Device) -> None: ...
    async def get_device(self, pool_id: PoolId, sub: UserSub, key: str) -> Device | None: ...
    async def confirm_device(self, device: Device) -> bool:
        """Writes a confirmed device over its unconfirmed record; False when it was confirmed
        already (or is gone)."""

    async def save_device(self, device: Device) -> None: ...
    async def delete_device(self, pool_id: PoolId, sub: UserSub, key: str) -> bool: ...
    async def list_devices(
        self,
        pool_id: PoolId,
        sub: UserSub,
        limit: int,
        after: str | None,
        remembered_only: bool,
    ) -> Page[Device]:
        """Confirmed devices by key."""

    async def prune_unconfirmed(self, pool_id: PoolId, sub: UserSub, before: datetime) -> None:
        """Drops the user's devices handed out before `before` and never confirmed."""
