"""Provider links in SQL (AdminLinkProviderForUser): a provider's subject to the user it signs in
as, unique per pool and provider by primary key, counted per user in the adding transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from mamori.adapters.store.sql.base import SqlBase, must_aware
from mamori.adapters.store.sql.tables import provider_links as links
from mamori.domain.errors import AliasExistsException, LimitExceededException
from mamori.domain.ids import PoolId, UserSub
from mamori.services.users.ports import ProviderLink


def _link(row: Any) -> ProviderLink:
    return ProviderLink(
        pool_id=PoolId(row.pool_id),
        provider_name=row.provider_name,
        subject=row.subject,
        attribute_name=row.attribute_name,
        sub=UserSub(row.sub),
        created=must_aware(row.created),
    )


class SqlProviderLinkStore(SqlBase):
    async def add_link(self, link: ProviderLink, limit: int) -> None:
        try:
            async with self._engine.begin() as conn:
                count = await conn.scalar(
                    select(func.count())
                    .select_from(links)
                    .where(links.c.pool_id == link.pool_id, links.c.sub == link.sub)
                )
                if int(count or 0) >= limit:
                    raise LimitExceededException(
                        f"A user can be linked to at most {limit} provider identities."
                    )
                await conn.execute(
                    insert(links).values(
                        pool_id=link.pool_id,
                        provider_name=link.provider_name,
                        subject=link.subject,
                        attribute_name=link.attribute_name,
                        sub=link.sub,
                        created=link.created,
                    )
                )
        except IntegrityError:
            raise AliasExistsException(
                "This provider identity is already linked to a user."
            ) from None

    async def linked_user(
        self, pool_id: PoolId, provider_name: str, subject: str
    ) -> ProviderLink | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(links).where(
                        links.c.pool_id == pool_id,
                        links.c.provider_name == provider_name,
                        links.c.subject == subject,
                    )
                )
            ).first()
        return None if row is None else _link(row)

    async def links_of(self, pool_id: PoolId, sub: UserSub) -> list[ProviderLink]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(links)
                    .where(links.c.pool_id == pool_id, links.c.sub == sub)
                    .order_by(links.c.created, links.c.provider_name, links.c.subject)
                )
            ).all()
        return [_link(r) for r in rows]

    async def delete_link(self, pool_id: PoolId, provider_name: str, subject: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(links).where(
                    links.c.pool_id == pool_id,
                    links.c.provider_name == provider_name,
                    links.c.subject == subject,
                )
            )
        return bool(result.rowcount)
