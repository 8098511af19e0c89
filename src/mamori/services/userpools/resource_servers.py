"""Resource servers of a pool: the five operations, and the custom scopes they define."""

from __future__ import annotations

from mamori.domain.errors import (
    InvalidParameterException,
    LimitExceededException,
    ResourceNotFoundException,
)
from mamori.domain.ids import PoolId
from mamori.domain.userpools.resource_servers import (
    MAX_SERVERS_PER_POOL,
    ResourceServer,
    check_scopes,
)
from mamori.services.ports import Page
from mamori.services.userpools.pools import PoolService
from mamori.services.userpools.ports import ResourceServerStore


class ResourceServerService:
    def __init__(self, store: ResourceServerStore, pools: PoolService) -> None:
        self._store = store
        self._pools = pools

    async def create_resource_server(self, pool_id: str, draft: ResourceServer) -> ResourceServer:
        pool = await self._pools.require(pool_id)
        server = ResourceServer(pool.id, draft.identifier, draft.name, draft.scopes)
        check_scopes(server.scopes)
        if await self._store.count_servers(pool.id) >= MAX_SERVERS_PER_POOL:
            raise LimitExceededException(
                f"A user pool can have at most {MAX_SERVERS_PER_POOL} resource servers."
            )
        if not await self._store.add_server(server):
            raise InvalidParameterException(f"{server.identifier} already exists in {pool.id}")
        return server

    async def describe_resource_server(self, pool_id: str, identifier: str) -> ResourceServer:
        pool = await self._pools.require(pool_id)
        server = await self._store.get_server(pool.id, identifier)
        if server is None:
            raise ResourceNotFoundException(
                f"Resource server {identifier} does not exist in {pool.id}."
            )
        return server

    async def update_resource_server(self, pool_id: str, draft: ResourceServer) -> ResourceServer:
        """Name and Scopes replaced whole (scopes left out: none), as Cognito does."""
        current = await self.describe_resource_server(pool_id, draft.identifier)
        server = ResourceServer(current.pool_id, current.identifier, draft.name, draft.scopes)
        check_scopes(server.scopes)
        await self._store.save_server(server)
        return server

    async def delete_resource_server(self, pool_id: str, identifier: str) -> None:
        server = await self.describe_resource_server(pool_id, identifier)
        await self._store.delete_server(server.pool_id, server.identifier)

    async def list_resource_servers(
        self, pool_id: str, limit: int, token: str | None
    ) -> Page[ResourceServer]:
        pool = await self._pools.require(pool_id)
        return await self._store.list_servers(pool.id, limit, token)

    async def scopes_of(self, pool_id: str) -> frozenset[str]:
        """Every `<identifier>/<scope name>` the pool's resource servers define."""
        return await self._store.scopes_of(PoolId(pool_id))
