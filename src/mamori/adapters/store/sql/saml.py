"""A pool's SAML service provider state in SQL: its keys (sealed), the requests sent to IdPs
(found once by their RelayState's digest, then gone) and the assertions accepted (each
recorded until it expires, so a replay is refused); the purge of expired requests and
assertions."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from mamori.adapters.store.sql.base import (
    SqlBase,
    count_before,
    delete_in_batches,
    must_aware,
    purge_statements,
)
from mamori.adapters.store.sql.tables import saml_assertions, saml_keys, saml_requests
from mamori.services.federation.ports import SamlRequestRecord, SealedSamlKey

_PURGES = (
    purge_statements(saml_requests.c.expires, saml_requests.c.digest),
    purge_statements(
        saml_assertions.c.expires, saml_assertions.c.pool_id, saml_assertions.c.digest
    ),
)


def _record(row: Any) -> SamlRequestRecord:
    request = json.loads(row.request)
    return SamlRequestRecord(
        digest=row.digest,
        pool_id=row.pool_id,
        kind=row.kind,
        provider_name=row.provider_name,
        request_id=row.request_id,
        request={str(k): str(v) for k, v in request.items()},
        binding=row.binding,
        expires=must_aware(row.expires),
    )


class SqlSamlStore(SqlBase):
    async def add_request(self, record: SamlRequestRecord, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(saml_requests).values(
                    digest=record.digest,
                    pool_id=record.pool_id,
                    kind=record.kind,
                    provider_name=record.provider_name,
                    request_id=record.request_id,
                    request=json.dumps(dict(record.request), separators=(",", ":")),
                    binding=record.binding,
                    expires=record.expires,
                )
            )

    async def take_request(
        self, pool_id: str, digest: str, now: datetime
    ) -> SamlRequestRecord | None:
        where = (saml_requests.c.pool_id == pool_id, saml_requests.c.digest == digest)
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(saml_requests).where(*where))).first()
            if row is None:
                return None
            # The delete decides: of two answers racing for one request, one deletes the row.
            taken = await conn.execute(delete(saml_requests).where(*where))
            if taken.rowcount != 1:
                return None
        record = _record(row)
        return record if record.expires > now else None

    async def first_use(self, pool_id: str, digest: str, expires: datetime, now: datetime) -> bool:
        try:
            async with self._engine.begin() as conn:
                # An expired record can go now: its assertion is refused as expired anyway.
                await conn.execute(
                    delete(saml_assertions).where(
                        saml_assertions.c.pool_id == pool_id,
                        saml_assertions.c.digest == digest,
                        saml_assertions.c.expires <= now,
                    )
                )
                await conn.execute(
                    insert(saml_assertions).values(pool_id=pool_id, digest=digest, expires=expires)
                )
        except IntegrityError:
            return False
        return True

    async def saml_keys(self, pool_id: str) -> list[SealedSamlKey]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(select(saml_keys).where(saml_keys.c.pool_id == pool_id))
            ).all()
        return [
            SealedSamlKey(r.use, r.sealed_key, r.certificate, must_aware(r.created)) for r in rows
        ]

    async def add_saml_key(self, pool_id: str, key: SealedSamlKey) -> bool:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(saml_keys).values(
                        pool_id=pool_id,
                        use=key.use,
                        sealed_key=key.sealed_key,
                        certificate=key.certificate,
                        created=key.created,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def count_saml_expired_before(self, cutoff: datetime) -> int:
        return sum([await count_before(self._engine, count, cutoff) for count, _ in _PURGES])

    async def delete_saml_expired_before(self, cutoff: datetime, batch: int) -> int:
        # Every pool at once: a maintenance sweep (services/purge.py).
        return sum(
            [await delete_in_batches(self._engine, gone, cutoff, batch) for _, gone in _PURGES]
        )
