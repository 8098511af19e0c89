"""User pools' identity providers in SQL, listed by name; their secrets (client_secret, Apple's
private_key) AEAD-sealed to the pool and provider, their IdpIdentifiers unique per pool."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mamori.adapters.store.sql.base import SqlBase, decode_token, must_aware, page_of
from mamori.adapters.store.sql.tables import identity_provider_identifiers as identifiers
from mamori.adapters.store.sql.tables import identity_providers as providers
from mamori.crypto.aead import Keyring
from mamori.domain.ids import PoolId
from mamori.domain.userpools.identity_providers import (
    SECRET_DETAILS,
    IdentityProvider,
    ProviderType,
)
from mamori.services.ports import Page


def _purpose(pool_id: str, name: str) -> str:
    # Bound to the provider: sealed secrets copied to another row or pool do not open there.
    return f"idp-secrets:{pool_id}:{name}"


def _json(value: Mapping[str, str]) -> str:
    return json.dumps(dict(value), separators=(",", ":"), sort_keys=True)


class SqlIdentityProviderStore(SqlBase):
    def __init__(self, engine: AsyncEngine, keyring: Keyring) -> None:
        super().__init__(engine)
        self._keyring = keyring

    def _provider(self, row: Any, idp_identifiers: tuple[str, ...]) -> IdentityProvider:
        details: dict[str, str] = json.loads(row.details)
        if row.secrets_sealed:
            opened = self._keyring.open(row.secrets_sealed, _purpose(row.pool_id, row.name))
            details.update(json.loads(opened))
        return IdentityProvider(
            pool_id=PoolId(row.pool_id),
            name=row.name,
            type=ProviderType(row.type),
            details=details,
            attribute_mapping=json.loads(row.attribute_mapping),
            idp_identifiers=idp_identifiers,
            created=must_aware(row.created),
            modified=must_aware(row.modified),
            acr_mapping=json.loads(row.acr_mapping),
        )

    def _values(self, provider: IdentityProvider) -> dict[str, Any]:
        plain = {k: v for k, v in provider.details.items() if k not in SECRET_DETAILS}
        secret = {k: v for k, v in provider.details.items() if k in SECRET_DETAILS}
        sealed = None
        if secret:
            sealed = self._keyring.seal(
                _json(secret).encode(), _purpose(provider.pool_id, provider.name)
            )
        return {
            "type": provider.type.value,
            "details": _json(plain),
            "secrets_sealed": sealed,
            "attribute_mapping": _json(provider.attribute_mapping),
            "acr_mapping": _json(provider.acr_mapping),
            "modified": provider.modified,
        }

    async def _insert_identifiers(self, conn: AsyncConnection, provider: IdentityProvider) -> None:
        if provider.idp_identifiers:
            await conn.execute(
                insert(identifiers),
                [
                    {"pool_id": provider.pool_id, "identifier": i, "provider_name": provider.name}
                    for i in provider.idp_identifiers
                ],
            )

    async def _identifiers_of(
        self, conn: AsyncConnection, pool_id: PoolId, names: list[str]
    ) -> dict[str, tuple[str, ...]]:
        if not names:
            return {}
        rows = await conn.execute(
            select(identifiers.c.provider_name, identifiers.c.identifier)
            .where(identifiers.c.pool_id == pool_id, identifiers.c.provider_name.in_(names))
            .order_by(identifiers.c.identifier)
        )
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row.provider_name, []).append(row.identifier)
        return {name: tuple(ids) for name, ids in found.items()}

    async def _with_identifiers(
        self, conn: AsyncConnection, pool_id: PoolId, rows: list[Any]
    ) -> list[IdentityProvider]:
        ids = await self._identifiers_of(conn, pool_id, [r.name for r in rows])
        return [self._provider(r, ids.get(r.name, ())) for r in rows]

    async def add_provider(self, provider: IdentityProvider) -> bool:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(providers).values(
                        pool_id=provider.pool_id,
                        name=provider.name,
                        created=provider.created,
                        **self._values(provider),
                    )
                )
                await self._insert_identifiers(conn, provider)
        except IntegrityError:
            return False
        return True

    async def get_provider(self, pool_id: PoolId, name: str) -> IdentityProvider | None:
        query = select(providers).where(providers.c.pool_id == pool_id, providers.c.name == name)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
            if row is None:
                return None
            return (await self._with_identifiers(conn, pool_id, [row]))[0]

    async def find_by_identifier(self, pool_id: PoolId, identifier: str) -> IdentityProvider | None:
        name = select(identifiers.c.provider_name).where(
            identifiers.c.pool_id == pool_id, identifiers.c.identifier == identifier
        )
        async with self._engine.connect() as conn:
            found = await conn.scalar(name)
        return None if found is None else await self.get_provider(pool_id, found)

    async def providers_of(self, pool_id: PoolId) -> list[IdentityProvider]:
        query = select(providers).where(providers.c.pool_id == pool_id).order_by(providers.c.name)
        async with self._engine.connect() as conn:
            rows = list((await conn.execute(query)).all())
            return await self._with_identifiers(conn, pool_id, rows)

    async def save_provider(self, provider: IdentityProvider) -> bool:
        try:
            async with self._engine.begin() as conn:
                saved = await conn.execute(
                    update(providers)
                    .where(
                        providers.c.pool_id == provider.pool_id,
                        providers.c.name == provider.name,
                    )
                    .values(**self._values(provider))
                )
                if not saved.rowcount:
                    return True  # no such provider in this pool: nothing of another is touched
                await conn.execute(
                    delete(identifiers).where(
                        identifiers.c.pool_id == provider.pool_id,
                        identifiers.c.provider_name == provider.name,
                    )
                )
                await self._insert_identifiers(conn, provider)
        except IntegrityError:
            return False
        return True

    async def delete_provider(self, pool_id: PoolId, name: str) -> bool:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(identifiers).where(
                    identifiers.c.pool_id == pool_id, identifiers.c.provider_name == name
                )
            )
            result = await conn.execute(
                delete(providers).where(providers.c.pool_id == pool_id, providers.c.name == name)
            )
        return bool(result.rowcount)

    async def provider_names(self, pool_id: PoolId) -> frozenset[str]:
        query = select(providers.c.name).where(providers.c.pool_id == pool_id)
        async with self._engine.connect() as conn:
            return frozenset((await conn.scalars(query)).all())

    async def count_providers(self, pool_id: PoolId) -> int:
        query = select(func.count()).select_from(providers).where(providers.c.pool_id == pool_id)
        async with self._engine.connect() as conn:
            return int(await conn.scalar(query) or 0)

    async def list_providers(
        self, pool_id: PoolId, limit: int, after: str | None
    ) -> Page[IdentityProvider]:
        start = decode_token(after)
        query = (
            select(providers)
            .where(providers.c.pool_id == pool_id)
            .order_by(providers.c.name)
            .limit(limit + 1)
        )
        if start is not None:
            query = query.where(providers.c.name > start)
        async with self._engine.connect() as conn:
            rows = list((await conn.execute(query)).all())
            found = await self._with_identifiers(conn, pool_id, rows)
        # page_of converts rows; the providers are converted already.
        return page_of(found, limit, lambda p: p, lambda p: p.name)
