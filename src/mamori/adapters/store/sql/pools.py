"""Pools and app clients in SQL (their signing keys: keys.py)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from mamori.adapters.store.sql import codec
from mamori.adapters.store.sql.base import SqlBase, decode_token, must_aware, page_of
from mamori.adapters.store.sql.tables import (
    aliases,
    auth_events,
    authorization_codes,
    clients,
    codes,
    devices,
    groups,
    identity_provider_identifiers,
    identity_providers,
    login_sessions,
    managed_login_brandings,
    memberships,
    pools,
    provider_links,
    refresh_sessions,
    resource_servers,
    risk_configurations,
    saml_assertions,
    saml_keys,
    saml_requests,
    signing_keys,
    ui_customizations,
    user_index,
    user_mfa,
    user_pool_domains,
    users,
)
from mamori.crypto.aead import Keyring
from mamori.domain.errors import InternalErrorException
from mamori.domain.ids import ClientId, PoolId
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.ports import Page

_POOL_COLUMNS = frozenset({"id", "name", "created", "modified"})
_CLIENT_COLUMNS = frozenset({"id", "pool_id", "name", "created", "modified", "secret"})


def _pool(row: Any) -> UserPool:
    return codec.loads(
        UserPool,
        row.config,
        id=PoolId(row.id),
        name=row.name,
        created=must_aware(row.created),
        modified=must_aware(row.modified),
    )


_DECODED_MAX = 256  # pools / clients whose decoded config is kept: bounded, never per user


class _Decoded:
    """Decoded rows by id, reused while the row read is unchanged (every call still reads it).

    Decoding a pool's JSON config costs several times the query that reads it. The database
    stays the only truth: a hit needs the freshly read row to equal the one decoded.
    """

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[tuple[Any, ...], Any]] = OrderedDict()

    def get(self, key: str, fingerprint: tuple[Any, ...]) -> Any:
        hit = self._items.get(key)
        if hit is None or hit[0] != fingerprint:
            return None
        self._items.move_to_end(key)
        return hit[1]

    def put(self, key: str, fingerprint: tuple[Any, ...], value: Any) -> None:
        self._items[key] = (fingerprint, value)
        self._items.move_to_end(key)
        if len(self._items) > _DECODED_MAX:
            self._items.popitem(last=False)


_GET_POOL = select(pools).where(pools.c.id == bindparam("id"))
_FIND_CLIENT = select(clients).where(clients.c.id == bindparam("id"))
_CLIENT_WIDTH = len(clients.c)
_CLIENT_WITH_POOL = (
    select(
        clients,
        pools.c.id.label("p_id"),
        pools.c.name.label("p_name"),
        pools.c.created.label("p_created"),
        pools.c.modified.label("p_modified"),
        pools.c.config.label("p_config"),
    )
    .select_from(clients.outerjoin(pools, pools.c.id == clients.c.pool_id))
    .where(clients.c.id == bindparam("id"))
)


class SqlPoolStore(SqlBase):
    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self._decoded = _Decoded()

    def _pool(self, row: Any) -> UserPool:
        fingerprint = tuple(row)
        pool: UserPool | None = self._decoded.get(row.id, fingerprint)
        if pool is None:
            pool = _pool(row)
            self._decoded.put(row.id, fingerprint, pool)
        return pool

    async def add_pool(self, pool: UserPool) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(pools).values(
                    id=pool.id,
                    name=pool.name,
                    created=pool.created,
                    modified=pool.modified,
                    config=codec.dumps(pool, _POOL_COLUMNS),
                )
            )

    async def get_pool(self, pool_id: PoolId) -> UserPool | None:
        row = await self._direct.first(_GET_POOL, {"id": pool_id})
        return self._pool(row) if row else None

    async def save_pool(self, pool: UserPool) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(pools)
                .where(pools.c.id == pool.id)
                .values(
                    name=pool.name, modified=pool.modified, config=codec.dumps(pool, _POOL_COLUMNS)
                )
            )

    async def delete_pool(self, pool_id: PoolId) -> None:
        async with self._engine.begin() as conn:
            for table in (
                user_index,
                aliases,
                memberships,
                groups,
                refresh_sessions,
                codes,
                signing_keys,
                clients,
                user_mfa,
                devices,
                users,
                # Cognito refuses to delete a pool that has a domain; mamori deletes them with
                # it (docs/compatibility.md), and its resource servers and branding as Cognito.
                user_pool_domains,
                resource_servers,
                ui_customizations,
                managed_login_brandings,
                authorization_codes,
                login_sessions,
                identity_provider_identifiers,
                identity_providers,
                provider_links,
                saml_keys,
                saml_requests,
                saml_assertions,
                auth_events,
                risk_configurations,
            ):
                await conn.execute(delete(table).where(table.c.pool_id == pool_id))
            await conn.execute(delete(pools).where(pools.c.id == pool_id))

    async def list_pools(self, limit: int, after: str | None) -> Page[UserPool]:
        start = decode_token(after)
        query = select(pools).order_by(pools.c.id).limit(limit + 1)
        if start is not None:
            query = query.where(pools.c.id > start)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return page_of(rows, limit, _pool, lambda p: p.id)

    async def count_users(self, pool_id: PoolId) -> int:
        async with self._engine.connect() as conn:
            count = await conn.scalar(
                select(func.count()).select_from(users).where(users.c.pool_id == pool_id)
            )
        return int(count or 0)


class SqlClientStore(SqlBase):
    def __init__(self, engine: Any, keyring: Keyring) -> None:
        super().__init__(engine)
        self._keyring = keyring
        self._decoded = _Decoded()
        self._pools_decoded = _Decoded()

    def _client(self, row: Any) -> AppClient:
        fingerprint = tuple(row)[:_CLIENT_WIDTH]
        client: AppClient | None = self._decoded.get(row.id, fingerprint)
        if client is None:
            client = self._decode_client(row)
            self._decoded.put(row.id, fingerprint, client)
        return client

    def _decode_client(self, row: Any) -> AppClient:
        secret = None
        if row.secret_sealed:
            secret = self._keyring.open(row.secret_sealed, f"client-secret:{row.id}").decode()
        return codec.loads(
            AppClient,
            row.config,
            id=ClientId(row.id),
            pool_id=PoolId(row.pool_id),
            name=row.name,
            created=must_aware(row.created),
            modified=must_aware(row.modified),
            secret=secret,
        )

    def _values(self, client: AppClient) -> dict[str, Any]:
        sealed = (
            self._keyring.seal(client.secret.encode(), f"client-secret:{client.id}")
            if client.secret
            else None
        )
        return {
            "name": client.name,
            "modified": client.modified,
            "secret_sealed": sealed,
            "config": codec.dumps(client, _CLIENT_COLUMNS),
        }

    async def add_client(self, client: AppClient) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(clients).values(
                        id=client.id,
                        pool_id=client.pool_id,
                        created=client.created,
                        **self._values(client),
                    )
                )
        except IntegrityError as exc:  # 26 random characters: a clash means a broken RNG
            raise InternalErrorException("client id collision") from exc

    async def get_client(self, pool_id: PoolId, client_id: ClientId) -> AppClient | None:
        client = await self.find_client(client_id)
        return client if client and client.pool_id == pool_id else None

    async def find_client(self, client_id: ClientId) -> AppClient | None:
        row = await self._direct.first(_FIND_CLIENT, {"id": client_id})
        return self._client(row) if row else None

    async def find_client_with_pool(
        self, client_id: ClientId
    ) -> tuple[AppClient, UserPool | None] | None:
        row = await self._direct.first(_CLIENT_WITH_POOL, {"id": client_id})
        if row is None:
            return None
        if row.p_id is None:
            return self._client(row), None
        fingerprint = (row.p_id, row.p_name, row.p_created, row.p_modified, row.p_config)
        pool: UserPool | None = self._pools_decoded.get(row.p_id, fingerprint)
        if pool is None:
            pool = codec.loads(
                UserPool,
                row.p_config,
                id=PoolId(row.p_id),
                name=row.p_name,
                created=must_aware(row.p_created),
                modified=must_aware(row.p_modified),
            )
            self._pools_decoded.put(row.p_id, fingerprint, pool)
        return self._client(row), pool

    async def save_client(self, client: AppClient) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(clients)
                .where(clients.c.id == client.id, clients.c.pool_id == client.pool_id)
                .values(**self._values(client))
            )

    async def delete_client(self, pool_id: PoolId, client_id: ClientId) -> None:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(clients).where(clients.c.id == client_id, clients.c.pool_id == pool_id)
            )
            if result.rowcount:  # the client's own branding and risk configuration go with it
                for table in (ui_customizations, managed_login_brandings, risk_configurations):
                    await conn.execute(
                        delete(table).where(
                            table.c.pool_id == pool_id, table.c.client_id == client_id
                        )
                    )

    async def list_clients(self, pool_id: PoolId, limit: int, after: str | None) -> Page[AppClient]:
        start = decode_token(after)
        query = (
            select(clients)
            .where(clients.c.pool_id == pool_id)
            .order_by(clients.c.id)
            .limit(limit + 1)
        )
        if start is not None:
            query = query.where(clients.c.id > start)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return page_of(rows, limit, self._client, lambda c: c.id)
