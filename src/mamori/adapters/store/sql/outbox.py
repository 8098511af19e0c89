"""The outbox: every message kept in the database, for scripts, tests and local development."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select

from mamori.adapters.store.sql.base import SqlBase, must_aware
from mamori.adapters.store.sql.tables import outbox
from mamori.domain.ids import PoolId
from mamori.ports import Message


class SqlOutbox(SqlBase):
    """A MessageSender that delivers into the outbox table, and its reader."""

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
