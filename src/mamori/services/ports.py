"""What every service package shares: the clock, result pages and messages; and the ports of
the top-level services (the purge, the outbox reader)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from mamori.domain.ids import PoolId


class Clock(Protocol):
    def now(self) -> datetime: ...


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_token: str | None


@dataclass(frozen=True)
class Message:
    pool_id: PoolId
    channel: str  # EMAIL | SMS
    destination: str
    subject: str | None
    body: str
    kind: str  # confirmation | invitation | verification | ...
    code: str | None
    created: datetime
    id: int = 0
    # An email's HTML part (the text is `body`), and its From / Reply-To when the message names
    # them (account-takeover notices: NotifyConfiguration); senders that can't carry them
    # ignore them (the outbox keeps the text).
    html: str | None = None
    sender: str | None = None
    reply_to: str | None = None


class Readiness(Protocol):
    async def check_ready(self) -> None:
        """Returns when the database answers; raises otherwise."""


class OutboxReader(Protocol):
    async def list_messages(
        self, pool_id: str | None, destination: str | None, limit: int
    ) -> Sequence[Message]: ...


class ExpiredRefreshSessions(Protocol):
    async def count_sessions_expired_before(self, cutoff: datetime) -> int: ...
    async def delete_sessions_expired_before(self, cutoff: datetime, batch: int) -> int:
        """Deletes refresh sessions whose `expires` is before `cutoff`, at most `batch` rows per
        statement, each statement its own transaction, until none is left; how many it deleted."""


class ExpiredCodes(Protocol):
    async def count_codes_expired_before(self, cutoff: datetime) -> int: ...
    async def delete_codes_expired_before(self, cutoff: datetime, batch: int) -> int:
        """As `delete_sessions_expired_before`, for one-time codes (phantom ones included)."""


class OldMessages(Protocol):
    async def count_messages_created_before(self, cutoff: datetime) -> int: ...
    async def delete_messages_created_before(self, cutoff: datetime, batch: int) -> int:
        """As `delete_sessions_expired_before`, for outbox messages created before `cutoff`."""
