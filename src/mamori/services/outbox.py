"""The outbox as the administrator reads it (`GET /admin/outbox`): the messages kept in the
database, newest first, by pool and destination."""

from __future__ import annotations

from collections.abc import Sequence

from mamori.services.ports import Message, OutboxReader

MAX_MESSAGES = 1000  # at most this many per read, whatever the caller asks


class OutboxService:
    def __init__(self, reader: OutboxReader) -> None:
        self._reader = reader

    async def list_messages(
        self, pool_id: str | None, destination: str | None, limit: int, latest: bool = False
    ) -> Sequence[Message]:
        """Up to `limit` messages, newest first; `latest`: only the last of those."""
        messages = await self._reader.list_messages(pool_id, destination, min(limit, MAX_MESSAGES))
        return list(messages)[-1:] if latest else messages
