"""What the user services depend on: users, groups, one-time codes, message delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from mamori.domain.ids import PoolId, UserSub
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.group import Group
from mamori.domain.users.user import User
from mamori.services.ports import Message, Page


@dataclass(frozen=True)
class UserQuery:
    """ListUsers: `attribute` compared with `value`, exactly or by prefix."""

    attribute: str | None = None
    value: str = ""
    prefix: bool = False


class UserStore(Protocol):
    async def add_user(self, pool: UserPool, user: User) -> None:
        """Raises UsernameExistsException / AliasExistsException on a clash, atomically."""

    async def get_user(self, pool: UserPool, username: str) -> User | None: ...
    async def get_user_by_sub(self, pool_id: PoolId, sub: UserSub) -> User | None: ...
    async def find_by_alias(self, pool: UserPool, attribute: str, value: str) -> User | None: ...
    async def save_user(self, pool: UserPool, user: User) -> None:
        """Writes the user and its alias and search index rows in one transaction."""

    async def delete_user(self, pool_id: PoolId, sub: UserSub) -> None: ...
    async def list_users(
        self, pool: UserPool, query: UserQuery, limit: int, after: str | None
    ) -> Page[User]: ...


class FederatedUserStore(UserStore, Protocol):
    async def linked_user(self, pool_id: PoolId, provider_name: str, subject: str) -> User | None:
        """The user AdminLinkProviderForUser linked the provider's `subject` to, if any."""


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


class MessageSender(Protocol):
    """Delivers one message or raises CodeDeliveryFailureException."""

    async def send(self, message: Message) -> None: ...


@dataclass(frozen=True)
class ProviderLink:
    """AdminLinkProviderForUser's link: the provider's subject signs in as the user `sub`."""

    pool_id: PoolId
    provider_name: str
    subject: str
    attribute_name: str
    sub: UserSub
    created: datetime


class ProviderLinkStore(Protocol):
    async def add_link(self, link: ProviderLink, limit: int) -> None:
        """AliasExistsException when the provider's subject is linked already,
        LimitExceededException when the user has `limit` links: atomically."""

    async def linked_user(
        self, pool_id: PoolId, provider_name: str, subject: str
    ) -> ProviderLink | None: ...
    async def links_of(self, pool_id: PoolId, sub: UserSub) -> list[ProviderLink]: ...
    async def delete_link(self, pool_id: PoolId, provider_name: str, subject: str) -> bool:
        """True when there was a link to delete."""


class CodeEncryption(Protocol):
    """Encrypts the code (or temporary password) a custom sender trigger is given, as Cognito
    does: an AWS Encryption SDK message, base64. `key_id`: the pool's KMSKeyID, if any."""

    async def encrypt(self, pool: UserPool, key_id: str | None, plaintext: str) -> str:
        """Raises CodeDeliveryFailureException when the code cannot be encrypted."""
