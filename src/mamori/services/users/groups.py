"""Groups: lifecycle, membership and listing, with Cognito's precedence and role ARN."""

from __future__ import annotations

import dataclasses

from mamori.domain.errors import ResourceNotFoundException
from mamori.domain.users.group import Group
from mamori.domain.users.user import User
from mamori.services.ports import Clock, Page
from mamori.services.userpools.pools import PoolService
from mamori.services.users.accounts import UserAccounts
from mamori.services.users.ports import GroupStore

MAX_PAGE = 60


def page_size(limit: int) -> int:
    """Cognito: a Limit of 0 (or none) means the largest page."""
    return limit or MAX_PAGE


class GroupService:
    def __init__(
        self, store: GroupStore, pools: PoolService, users: UserAccounts, clock: Clock
    ) -> None:
        self._store = store
        self._pools = pools
        self._users = users
        self._clock = clock

    async def create_group(
        self,
        pool_id: str,
        name: str,
        description: str | None,
        role_arn: str | None,
        precedence: int | None,
    ) -> Group:
        pool = await self._pools.require(pool_id)
        now = self._clock.now()
        group = Group(pool.id, name, now, now, description, role_arn, precedence)
        await self._store.add_group(group)
        return group

    async def get_group(self, pool_id: str, name: str) -> Group:
        pool = await self._pools.require(pool_id)
        group = await self._store.get_group(pool.id, name)
        if group is None:
            raise ResourceNotFoundException("Group not found.")
        return group

    async def update_group(
        self,
        pool_id: str,
        name: str,
        description: str | None,
        role_arn: str | None,
        precedence: int | None,
    ) -> Group:
        group = await self.get_group(pool_id, name)
        # Cognito: only the fields given change.
        group = dataclasses.replace(
            group,
            description=description if description is not None else group.description,
            role_arn=role_arn if role_arn is not None else group.role_arn,
            precedence=precedence if precedence is not None else group.precedence,
            modified=self._clock.now(),
        )
        await self._store.save_group(group)
        return group

    async def delete_group(self, pool_id: str, name: str) -> None:
        group = await self.get_group(pool_id, name)
        await self._store.delete_group(group.pool_id, group.name)

    async def list_groups(self, pool_id: str, limit: int, token: str | None) -> Page[Group]:
        pool = await self._pools.require(pool_id)
        return await self._store.list_groups(pool.id, page_size(limit), token)

    async def admin_add_user_to_group(self, pool_id: str, username: str, name: str) -> None:
        pool = await self._pools.require(pool_id)
        user = await self._users.require(pool, username)
        group = await self.get_group(pool_id, name)
        await self._store.add_member(pool.id, group.name, user.sub)

    async def admin_remove_user_from_group(self, pool_id: str, username: str, name: str) -> None:
        pool = await self._pools.require(pool_id)
        user = await self._users.require(pool, username)
        group = await self.get_group(pool_id, name)
        await self._store.remove_member(pool.id, group.name, user.sub)

    async def admin_list_groups_for_user(
        self, pool_id: str, username: str, limit: int, token: str | None
    ) -> Page[Group]:
        pool = await self._pools.require(pool_id)
        user = await self._users.require(pool, username)
        return await self._store.groups_of(pool.id, user.sub, page_size(limit), token)

    async def list_users_in_group(
        self, pool_id: str, name: str, limit: int, token: str | None
    ) -> Page[User]:
        group = await self.get_group(pool_id, name)
        return await self._store.members_of(group.pool_id, group.name, page_size(limit), token)
