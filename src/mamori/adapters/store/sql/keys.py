"""Signing keys in SQL: the pools' (`signing_keys`) and the identity issuer's (`identity_keys`),
sealed PEM, behind one port."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select

from mamori.adapters.store.sql.base import SqlBase, must_aware
from mamori.adapters.store.sql.tables import identity_keys, signing_keys
from mamori.services.tokens.ports import IDENTITY_ISSUER, SealedKey


class SqlKeyStore(SqlBase):
    async def add_key(self, key: SealedKey) -> None:
        if key.owner == IDENTITY_ISSUER:
            stmt = insert(identity_keys).values(
                kid=key.kid, sealed_pem=key.sealed_pem, created=key.created
            )
        else:
            stmt = insert(signing_keys).values(
                pool_id=key.owner, kid=key.kid, sealed_pem=key.sealed_pem, created=key.created
            )
        async with self._engine.begin() as conn:
            await conn.execute(stmt)

    async def keys_of(self, owner: str) -> Sequence[SealedKey]:
        if owner == IDENTITY_ISSUER:
            query = select(identity_keys).order_by(identity_keys.c.created, identity_keys.c.kid)
        else:
            query = (
                select(signing_keys)
                .where(signing_keys.c.pool_id == owner)
                .order_by(signing_keys.c.created.desc())
            )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [SealedKey(owner, r.kid, r.sealed_pem, must_aware(r.created)) for r in rows]

    async def sealed_prefixes(self) -> Sequence[str]:
        # `v1.<8-character key id>.`: enough to name the master key without reading any secret.
        prefix = func.substr(signing_keys.c.sealed_pem, 1, 12)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(prefix).distinct())).all()
        return [str(r[0]) for r in rows]
