"""The outbox: every message kept in the database, for scripts, tests and local development,
until the purge deletes it (`outbox_retention_hours`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select

from mamori.adapters.store.sql.base import (
    SqlBase,
    count_before,
    delete_in_batches,
    must_aware,
    purge_statements,
)
from mamori.adapters.store.sql.tables import outbox
from mamori.domain.ids import PoolId
from mamori.services.ports import Message

# The purge: old messages by range over the creation index (migration 0008).
_COUNT_OLD, _DELETE_OLD = purge_statements(outbox.c.created, outbox.c.id)


class SqlOutbox(SqlBase):
    """A MessageSender that delivers into the outbox table, its reader, and its purge."""

    id = "outbox"

    async def send(self, message: Message) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(outbox).values(
                    pool_id=message.pool_id,
                    channel=message.channel,
                    destination=message.destination,
                    subject=message.subject,
                    body=message.body,
                    kind=message.kind,
                    code=message.code,
                    created=message.created,
                )
            )

    async def list_messages(
        self, pool_id: str | None, destination: str | None, limit: int
    ) -> Sequence[Message]:
        stmt = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
        if pool_id:
            stmt = stmt.where(outbox.c.pool_id == pool_id)
        if destination:
            stmt = stmt.where(outbox.c.destination == destination)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [
            Message(
                pool_id=PoolId(r.pool_id),
                channel=r.channel,
                destination=r.destination,
                subject=r.subject,
                body=r.body,
                kind=r.kind,
                code=r.code,
                created=must_aware(r.created),
                id=int(r.id),
            )
            for r in reversed(rows)
        ]

    async def count_messages_created_before(self, cutoff: datetime) -> int:
        return await count_before(self._engine, _COUNT_OLD, cutoff)

    async def delete_messages_created_before(self, cutoff: datetime, batch: int) -> int:
        # Every pool at once: a maintenance sweep (services/purge.py), not a pool's request.
        return await delete_in_batches(self._engine, _DELETE_OLD, cutoff, batch)
