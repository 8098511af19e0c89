"""Resource servers and their scopes in SQL, listed by identifier."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from mamori.adapters.store.sql.base import SqlBase, decode_token, page_of
from mamori.adapters.store.sql.tables import resource_servers as servers
from mamori.domain.ids import PoolId
from mamori.domain.userpools.resource_servers import ResourceScope, ResourceServer
from mamori.services.ports import Page

# Every client_credentials grant and client update reads the pool's scopes.
_SCOPES = select(servers.c.identifier, servers.c.scopes).where(
    servers.c.pool_id == bindparam("pool_id")
)


def _scopes(text: str) -> tuple[ResourceScope, ...]:
    return tuple(ResourceScope(name, description) for name, description in json.loads(text))


def _server(row: Any) -> ResourceServer:
    return ResourceServer(PoolId(row.pool_id), row.identifier, row.name, _scopes(row.scopes))


def _scopes_json(server: ResourceServer) -> str:
    return json.dumps([[s.name, s.description] for s in server.scopes], separators=(",", ":"))


class SqlResourceServerStore(SqlBase):
    async def add_server(self, server: ResourceServer) -> bool:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(servers).values(
                        pool_id=server.pool_id,
                        identifier=server.identifier,
                        name=server.name,
                        scopes=_scopes_json(server),
                    )
                )
        except IntegrityError:
            return False
        return True

    async def get_server(self, pool_id: PoolId, identifier: str) -> ResourceServer | None:
        query = select(servers).where(
            servers.c.pool_id == pool_id, servers.c.identifier == identifier
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _server(row) if row else None

    async def save_server(self, server: ResourceServer) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(servers)
                .where(
                    servers.c.pool_id == server.pool_id,
                    servers.c.identifier == server.identifier,
                )
                .values(name=server.name, scopes=_scopes_json(server))
            )

    async def delete_server(self, pool_id: PoolId, identifier: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(servers).where(
                    servers.c.pool_id == pool_id, servers.c.identifier == identifier
                )
            )
        return bool(result.rowcount)

    async def count_servers(self, pool_id: PoolId) -> int:
        query = select(func.count()).select_from(servers).where(servers.c.pool_id == pool_id)
        async with self._engine.connect() as conn:
            return int(await conn.scalar(query) or 0)

    async def list_servers(
        self, pool_id: PoolId, limit: int, after: str | None
    ) -> Page[ResourceServer]:
        start = decode_token(after)
        query = (
            select(servers)
            .where(servers.c.pool_id == pool_id)
            .order_by(servers.c.identifier)
            .limit(limit + 1)
        )
        if start is not None:
            query = query.where(servers.c.identifier > start)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return page_of(rows, limit, _server, lambda s: s.identifier)

    async def scopes_of(self, pool_id: PoolId) -> frozenset[str]:
        rows = await self._direct.all(_SCOPES, {"pool_id": pool_id})
        return frozenset(
            f"{row.identifier}/{name}" for row in rows for name, _ in json.loads(row.scopes)
        )
