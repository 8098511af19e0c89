"""Identity pools and identities with their linked logins in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from mamori.adapters.store.sql import codec
from mamori.adapters.store.sql.base import SqlBase, decode_token, encode_token, must_aware, page_of
from mamori.adapters.store.sql.tables import identities, identity_logins
from mamori.adapters.store.sql.tables import identity_pools as pools_table
from mamori.domain.errors import ResourceConflictException
from mamori.domain.identity.identity_pool import (
    Identity,
    IdentityId,
    IdentityPool,
    IdentityPoolId,
    Login,
)
from mamori.services.ports import Page

_POOL_COLUMNS = frozenset({"id", "name", "created", "modified"})


def _pool(row: Any) -> IdentityPool:
    return codec.loads(
        IdentityPool,
        row.config,
        id=IdentityPoolId(row.id),
        name=row.name,
        created=must_aware(row.created),
        modified=must_aware(row.modified),
    )


class SqlIdentityPoolStore(SqlBase):
    async def add_identity_pool(self, pool: IdentityPool) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(pools_table).values(
                    id=pool.id,
                    name=pool.name,
                    created=pool.created,
                    modified=pool.modified,
                    config=codec.dumps(pool, _POOL_COLUMNS),
                )
            )

    async def get_identity_pool(self, pool_id: IdentityPoolId) -> IdentityPool | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(pools_table).where(pools_table.c.id == pool_id))
            ).first()
        return _pool(row) if row else None

    async def save_identity_pool(self, pool: IdentityPool) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(pools_table)
                .where(pools_table.c.id == pool.id)
                .values(
                    name=pool.name,
                    modified=pool.modified,
                    config=codec.dumps(pool, _POOL_COLUMNS),
                )
            )

    async def delete_identity_pool(self, pool_id: IdentityPoolId) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(identity_logins).where(identity_logins.c.identity_pool_id == pool_id)
            )
            await conn.execute(delete(identities).where(identities.c.identity_pool_id == pool_id))
            await conn.execute(delete(pools_table).where(pools_table.c.id == pool_id))

    async def list_identity_pools(self, limit: int, after: str | None) -> Page[IdentityPool]:
        start = decode_token(after)
        query = select(pools_table).order_by(pools_table.c.id).limit(limit + 1)
        if start is not None:
            query = query.where(pools_table.c.id > start)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return page_of(rows, limit, _pool, lambda p: p.id)


async def _logins_of(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, list[Login]]:
    found: dict[str, list[Login]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = (
        await conn.execute(
            select(identity_logins)
            .where(identity_logins.c.identity_id.in_(list(ids)))
            .order_by(identity_logins.c.created, identity_logins.c.provider)
        )
    ).all()
    for r in rows:
        found[r.identity_id].append(Login(r.provider, r.subject))
    return found


def _identity(row: Any, logins: Sequence[Login]) -> Identity:
    return Identity(
        IdentityId(row.id),
        IdentityPoolId(row.identity_pool_id),
        must_aware(row.created),
        must_aware(row.modified),
        tuple(logins),
    )


class SqlIdentityStore(SqlBase):
    async def _get(self, conn: AsyncConnection, identity_id: str) -> Identity | None:
        row = (await conn.execute(select(identities).where(identities.c.id == identity_id))).first()
        if row is None:
            return None
        return _identity(row, (await _logins_of(conn, [row.id]))[row.id])

    async def get_identity(self, identity_id: IdentityId) -> Identity | None:
        async with self._engine.connect() as conn:
            return await self._get(conn, identity_id)

    async def _owner(self, conn: AsyncConnection, pool_id: str, login: Login) -> str | None:
        owner: str | None = await conn.scalar(
            select(identity_logins.c.identity_id).where(
                identity_logins.c.identity_pool_id == pool_id,
                identity_logins.c.provider == login.provider,
                identity_logins.c.subject == login.subject,
            )
        )
        return owner

    async def find_identity(self, pool_id: IdentityPoolId, login: Login) -> Identity | None:
        async with self._engine.connect() as conn:
            owner = await self._owner(conn, pool_id, login)
            return await self._get(conn, owner) if owner else None

    async def add_identity(self, identity: Identity) -> Identity:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(identities).values(
                        id=identity.id,
                        identity_pool_id=identity.pool_id,
                        created=identity.created,
                        modified=identity.modified,
                    )
                )
                for login in identity.logins:
                    await conn.execute(
                        insert(identity_logins).values(
                            identity_pool_id=identity.pool_id,
                            provider=login.provider,
                            subject=login.subject,
                            identity_id=identity.id,
                            created=identity.created,
                        )
                    )
            return identity
        except IntegrityError:
            if not identity.logins:
                raise
        # Another request linked one of these logins first: its identity stands.
        async with self._engine.connect() as conn:
            owners = {await self._owner(conn, identity.pool_id, login) for login in identity.logins}
            owners.discard(None)
            if len(owners) != 1:
                raise ResourceConflictException("Logins are linked to different identities.")
            found = await self._get(conn, str(owners.pop()))
        if found is None:  # deleted in between; the caller may retry
            raise ResourceConflictException("The identity changed concurrently; try again.")
        return found

    async def link_logins(
        self, identity_id: IdentityId, logins: Sequence[Login], when: datetime
    ) -> None:
        try:
            async with self._engine.begin() as conn:
                row = (
                    await conn.execute(select(identities).where(identities.c.id == identity_id))
                ).first()
                if row is None:
                    raise ResourceConflictException("The identity no longer exists.")
                for login in logins:
                    owner = await self._owner(conn, row.identity_pool_id, login)
                    if owner == identity_id:
                        continue
                    if owner is not None:
                        raise ResourceConflictException(
                            f"The login of {login.provider} is linked to another identity."
                        )
                    await conn.execute(
                        insert(identity_logins).values(
                            identity_pool_id=row.identity_pool_id,
                            provider=login.provider,
                            subject=login.subject,
                            identity_id=identity_id,
                            created=when,
                        )
                    )
                await conn.execute(
                    update(identities).where(identities.c.id == identity_id).values(modified=when)
                )
        except IntegrityError as exc:  # a concurrent link of the same login won
            raise ResourceConflictException("The login is linked to another identity.") from exc

    async def unlink_logins(
        self, identity_id: IdentityId, logins: Sequence[Login], when: datetime
    ) -> None:
        async with self._engine.begin() as conn:
            for login in logins:
                await conn.execute(
                    delete(identity_logins).where(
                        identity_logins.c.identity_id == identity_id,
                        identity_logins.c.provider == login.provider,
                        identity_logins.c.subject == login.subject,
                    )
                )
            await conn.execute(
                update(identities).where(identities.c.id == identity_id).values(modified=when)
            )

    async def merge_identities(
        self, source: IdentityId, destination: IdentityId, when: datetime
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(identity_logins)
                .where(identity_logins.c.identity_id == source)
                .values(identity_id=destination)
            )
            await conn.execute(delete(identities).where(identities.c.id == source))
            await conn.execute(
                update(identities).where(identities.c.id == destination).values(modified=when)
            )

    async def delete_identities(self, identity_ids: Sequence[IdentityId]) -> None:
        ids = list(identity_ids)
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(identity_logins).where(identity_logins.c.identity_id.in_(ids))
            )
            await conn.execute(delete(identities).where(identities.c.id.in_(ids)))

    async def list_identities(
        self, pool_id: IdentityPoolId, limit: int, after: str | None
    ) -> Page[Identity]:
        start = decode_token(after)
        query = (
            select(identities)
            .where(identities.c.identity_pool_id == pool_id)
            .order_by(identities.c.id)
            .limit(limit + 1)
        )
        if start is not None:
            query = query.where(identities.c.id > start)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            logins = await _logins_of(conn, [r.id for r in rows[:limit]])
        items = [_identity(r, logins[r.id]) for r in rows[:limit]]
        return Page(items, encode_token(items[-1].id) if len(rows) > limit else None)

    async def subjects_of(
        self, identity_id: IdentityId, provider: str, limit: int, after: str | None
    ) -> Page[str]:
        start = decode_token(after)
        query = (
            select(identity_logins.c.subject)
            .where(
                identity_logins.c.identity_id == identity_id,
                identity_logins.c.provider == provider,
            )
            .order_by(identity_logins.c.subject)
            .limit(limit + 1)
        )
        if start is not None:
            query = query.where(identity_logins.c.subject > start)
        async with self._engine.connect() as conn:
            subjects = [str(s) for s in (await conn.scalars(query)).all()]
        items = subjects[:limit]
        return Page(items, encode_token(items[-1]) if len(subjects) > limit else None)
