"""User pool domains in SQL: a name is unique across pools, a pool has one domain per kind."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from mamori.adapters.store.sql.base import SqlBase, must_aware
from mamori.adapters.store.sql.tables import user_pool_domains as domains
from mamori.domain.ids import PoolId
from mamori.domain.userpools.domains import DomainKind, UserPoolDomain

# Every hosted-domain request looks its Host up: one prebuilt statement on the driver.
_BY_NAME = select(domains).where(domains.c.domain == bindparam("domain"))
_OF_POOL = select(domains).where(domains.c.pool_id == bindparam("pool_id")).order_by(domains.c.kind)


def _domain(row: Any) -> UserPoolDomain:
    return UserPoolDomain(
        domain=row.domain,
        pool_id=PoolId(row.pool_id),
        kind=DomainKind(row.kind),
        created=must_aware(row.created),
        modified=must_aware(row.modified),
        certificate_arn=row.certificate_arn,
        security_policy=row.security_policy,
        managed_login_version=row.managed_login_version,
    )


def _values(domain: UserPoolDomain) -> dict[str, Any]:
    return {
        "certificate_arn": domain.certificate_arn,
        "security_policy": domain.security_policy,
        "managed_login_version": domain.managed_login_version,
        "modified": domain.modified,
    }


class SqlDomainStore(SqlBase):
    async def add_domain(self, domain: UserPoolDomain) -> bool:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(domains).values(
                        domain=domain.domain,
                        pool_id=domain.pool_id,
                        kind=domain.kind.value,
                        created=domain.created,
                        **_values(domain),
                    )
                )
        except IntegrityError:
            return False
        return True

    async def get_domain(self, name: str) -> UserPoolDomain | None:
        row = await self._direct.first(_BY_NAME, {"domain": name})
        return _domain(row) if row else None

    async def domains_of(self, pool_id: PoolId) -> list[UserPoolDomain]:
        return [_domain(r) for r in await self._direct.all(_OF_POOL, {"pool_id": pool_id})]

    async def save_domain(self, domain: UserPoolDomain) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(domains)
                .where(domains.c.domain == domain.domain, domains.c.pool_id == domain.pool_id)
                .values(**_values(domain))
            )

    async def delete_domain(self, pool_id: PoolId, name: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(domains).where(domains.c.domain == name, domains.c.pool_id == pool_id)
            )
        return bool(result.rowcount)
