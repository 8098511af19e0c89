"""Counters in Redis, shared by every server process; each change is one Lua script (atomic).

Times come from mamori's clock, not Redis's: a counter's expiry is stored with it and decides;
Redis TTLs (a little longer) only collect what nobody reads any more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import redis.asyncio as aioredis

from mamori.services.security.ports import Bucket, Tally

# Redis keeps a counter this much longer than mamori needs it (clock skew between the two).
_GC_MARGIN_MS = 60_000

# KEYS: token buckets, each a string: the time (ms) it is full again (GCRA's "theoretical
# arrival time"). ARGV[1]: now ms; ARGV[2]: the Redis TTL margin ms; ARGV[2i+1], ARGV[2i+2]:
# bucket i's ms per token and its burst in ms (burst x ms per token). A take succeeds while
# the bucket's next full time stays within the burst; a refused take writes nothing.
_TAKE = """
local now = tonumber(ARGV[1])
local margin = tonumber(ARGV[2])
local taken = {}
for i, key in ipairs(KEYS) do
  local every = tonumber(ARGV[2 * i + 1])
  local burst = tonumber(ARGV[2 * i + 2])
  local full = tonumber(redis.call('GET', key))
  if not full or full < now then full = now end
  local nxt = full + every
  if nxt - now <= burst then
    redis.call('SET', key, nxt, 'PX', nxt - now + margin)
    taken[i] = 1
  else
    taken[i] = 0
  end
end
return taken
"""

# KEYS[1]: the counter (a hash: n count, l last ms, x expiry ms). ARGV: now ms, expiry ms, TTL ms.
_ADD = """
local n = 1
local x = tonumber(redis.call('HGET', KEYS[1], 'x'))
if x and x > tonumber(ARGV[1]) then
  n = tonumber(redis.call('HGET', KEYS[1], 'n')) + 1
end
redis.call('HSET', KEYS[1], 'n', n, 'l', ARGV[1], 'x', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return n
"""

# `_ADD` when the count allows another attempt. ARGV: now ms, expiry ms, TTL ms, free, then the
# cutoffs (ms): with n >= free counted, the last must be at or before cutoff n - free + 1 (the
# last one for any n beyond). Returns {counted (1/0), count, last ms}; a refusal writes nothing.
_COUNT_ATTEMPT = """
local now = tonumber(ARGV[1])
local n, l, x = unpack(redis.call('HMGET', KEYS[1], 'n', 'l', 'x'))
n, l, x = tonumber(n), tonumber(l), tonumber(x)
if not n or not l or not x or x <= now then
  n = 0
else
  local free = tonumber(ARGV[4])
  if n >= free then
    local i = math.min(n - free + 5, #ARGV)
    if l > tonumber(ARGV[i]) then
      return {0, n, l}
    end
  end
end
n = n + 1
redis.call('HSET', KEYS[1], 'n', n, 'l', now, 'x', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, n, now}
"""


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _every_ms(bucket: Bucket) -> int:
    return max(1, int(bucket.every.total_seconds() * 1000))


class RedisCounters:
    id: ClassVar[str] = "redis"

    def __init__(self, client: aioredis.Redis, prefix: str = "mamori:") -> None:
        self._redis = client
        self._prefix = prefix
        self._take = client.register_script(_TAKE)
        self._add = client.register_script(_ADD)
        self._count_attempt = client.register_script(_COUNT_ATTEMPT)

    @classmethod
    def from_url(cls, url: str, prefix: str = "mamori:") -> RedisCounters:
        """No connection yet: the first command makes one, in the running event loop."""
        return cls(aioredis.Redis.from_url(url, decode_responses=True), prefix)

    async def ping(self) -> None:
        """Raises redis.RedisError when the server cannot be reached."""
        await self._redis.ping()

    async def take(self, buckets: Sequence[Bucket], now: datetime) -> Sequence[bool]:
        if not buckets:
            return []
        args: list[int] = [_ms(now), _GC_MARGIN_MS]
        for bucket in buckets:
            every = _every_ms(bucket)
            args += [every, every * bucket.burst]
        names = [f"{self._prefix}b:{bucket.key}" for bucket in buckets]
        taken: Any = await self._take(keys=names, args=args)
        return [bool(int(t)) for t in taken]

    async def add(self, key: str, now: datetime, idle: timedelta) -> Tally:
        now_ms = _ms(now)
        idle_ms = int(idle.total_seconds() * 1000)
        count: Any = await self._add(
            keys=[self._name(key)], args=[now_ms, now_ms + idle_ms, idle_ms + _GC_MARGIN_MS]
        )
        return Tally(int(count), datetime.fromtimestamp(now_ms / 1000, UTC))

    async def count_attempt(
        self,
        key: str,
        now: datetime,
        idle: timedelta,
        free: int,
        not_after: Sequence[datetime],
    ) -> Tally | None:
        now_ms = _ms(now)
        idle_ms = int(idle.total_seconds() * 1000)
        args = [now_ms, now_ms + idle_ms, idle_ms + _GC_MARGIN_MS, free]
        found: Any = await self._count_attempt(
            keys=[self._name(key)], args=args + [_ms(t) for t in not_after]
        )
        counted, count, last = (int(v) for v in found)
        if not counted:
            return None
        return Tally(count, datetime.fromtimestamp(last / 1000, UTC))

    async def peek(self, key: str, now: datetime) -> Tally | None:
        values: Any = await self._redis.hmget(self._name(key), ["n", "l", "x"])
        count, last, expires = values
        if count is None or last is None or expires is None or int(expires) <= _ms(now):
            return None
        return Tally(int(count), datetime.fromtimestamp(int(last) / 1000, UTC))

    async def clear(self, key: str) -> None:
        await self._redis.delete(self._name(key))

    async def aclose(self) -> None:
        await self._redis.aclose()

    def _name(self, key: str) -> str:
        return f"{self._prefix}c:{key}"
