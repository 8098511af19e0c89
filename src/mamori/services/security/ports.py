"""The counters lockout and rate limits run on, shared by every server process; the stores and
reads threat protection's risk configuration runs on; GeoIP, where the risk engine learns an
address's country and place."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from mamori.domain.ids import ClientId, PoolId
from mamori.domain.security.geo import GeoLocation
from mamori.domain.security.risk_config import StoredRiskConfiguration
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool


@dataclass(frozen=True)
class Tally:
    """A counter's value and when it was last added to."""

    count: int
    last: datetime


@dataclass(frozen=True)
class Bucket:
    """A token bucket: `burst` requests at once, then one per `every` on average (refilled
    continuously; GCRA, the bucket's state being the time it will be full again)."""

    key: str
    every: timedelta
    burst: int


class Counters(Protocol):
    """Counters shared by every server process (Redis or the database), for lockout and rate
    limits. Times come from the caller's clock; keys are opaque and short."""

    async def take(self, buckets: Sequence[Bucket], now: datetime) -> Sequence[bool]:
        """Takes one token from each bucket, atomically per bucket; whether each had one, in
        order. A bucket without a token is left as it was (refused requests cost nothing)."""

    async def add(self, key: str, now: datetime, idle: timedelta) -> Tally:
        """Adds one to `key`, which starts again from zero after `idle` without an add."""

    async def count_attempt(
        self,
        key: str,
        now: datetime,
        idle: timedelta,
        free: int,
        not_after: Sequence[datetime],
    ) -> Tally | None:
        """`add`, but only while the count allows another attempt, decided and written in one
        atomic step (so of any number of concurrent calls, only as many as the rule allows
        are counted): while fewer than `free` are counted, or the last was at or before
        `not_after[count - free]` (the last entry for any count beyond). An absent or idle
        count starts again at 1. The new tally; None, and nothing written, when refused."""

    async def peek(self, key: str, now: datetime) -> Tally | None:
        """The value `add` or `count_attempt` left, None when there is none or it has started
        again."""

    async def clear(self, key: str) -> None: ...
    async def aclose(self) -> None:
        """Releases connections (at shutdown)."""


class CorePermits(Protocol):
    """Permits to run one password hash each, one per core, shared by every server process on
    the machine, so that together they never run more hashes at once than there are cores."""

    @property
    def count(self) -> int: ...
    def held(self, preferred: int) -> AbstractContextManager[None]:
        """Blocks (on a hashing thread) until a permit is free, and holds it."""

    def try_take(self, preferred: int) -> int | None:
        """A permit free at this moment (a token for `give_back`), or None; never waits."""

    def give_back(self, token: int) -> None: ...


class RiskConfigStore(Protocol):
    """Risk configurations (SetRiskConfiguration): one per pool (client_id None) and one per
    app client at most, scoped by pool."""

    async def put_risk_configuration(self, stored: StoredRiskConfiguration) -> None:
        """Insert or replace the configuration of (pool, client or the pool itself)."""

    async def delete_risk_configuration(self, pool_id: PoolId, client_id: ClientId | None) -> None:
        """Remove it (nothing happens when there is none)."""

    async def risk_configurations(
        self, pool_id: PoolId, client_id: ClientId | None
    ) -> tuple[StoredRiskConfiguration | None, StoredRiskConfiguration | None]:
        """In one read: the pool's own configuration and the client's (None without a client)."""


class RiskPools(Protocol):
    """The pools risk configuration is set for (the pool store's read)."""

    async def get_pool(self, pool_id: PoolId) -> UserPool | None: ...


class RiskClients(Protocol):
    """The app clients risk configuration is set for (the client store's read)."""

    async def get_client(self, pool_id: PoolId, client_id: ClientId) -> AppClient | None: ...


class GeoIp(Protocol):
    """An address's country, city and coordinates (adapters/geoip/: a MaxMind-format database,
    or nothing when none is configured). Synchronous: a lookup is an in-memory walk of a
    memory-mapped file, microseconds."""

    def country_city(self, ip: str) -> GeoLocation | None:
        """What is known of `ip`'s place (any part may be None); None when nothing is (no
        database, a private or unlisted address, not an address)."""
