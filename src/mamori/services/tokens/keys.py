"""Per-pool RS256 signing keys: created with the pool, sealed at rest, published as a JWKS.

Parsed keys stay in a bounded per-pool cache. A token naming an unknown `kid` re-reads the pool's
keys at most once per `refresh_interval` (a forged kid must cost what a valid token costs), and
only keys not yet parsed are parsed. Generating, unsealing and parsing RSA keys (~70 ms each) run
on worker threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio

from mamori.crypto.aead import Keyring, SealError
from mamori.crypto.jose import LoadedKey, SigningKey, generate_signing_key
from mamori.domain.errors import InternalErrorException, ResourceNotFoundException
from mamori.domain.ids import PoolId
from mamori.services.ports import Clock
from mamori.services.tokens.ports import KeyStore, SealedKey

log = logging.getLogger("mamori")

_CACHE_SIZE = 256  # pools whose parsed keys stay in memory: bounded, per pool not per user
# How often, at most, an unknown kid re-reads a pool's keys from the store. A key another
# process added (a new pool's first key is cached by the process that made it) is picked up by
# the next token naming it once this much time has passed since the last read.
KEY_REFRESH_INTERVAL = timedelta(seconds=30)


@dataclass
class _PoolKeys:
    keys: dict[str, LoadedKey]  # by kid, newest first
    checked: datetime  # when the store was last read (or a read was last tried)

    @property
    def signing(self) -> LoadedKey:
        return next(iter(self.keys.values()))


class MasterKeyMismatch(RuntimeError):
    """The database holds secrets sealed under a master key this server does not have."""


class KeyService:
    def __init__(
        self,
        store: KeyStore,
        keyring: Keyring,
        clock: Clock,
        threads: anyio.CapacityLimiter,
        refresh_interval: timedelta = KEY_REFRESH_INTERVAL,
    ) -> None:
        """`threads`: the worker threads key generation and parsing run on (built in wiring)."""
        self._store = store
        self._keyring = keyring
        self._clock = clock
        self._threads = threads
        self._interval = refresh_interval
        self._cache: OrderedDict[PoolId, _PoolKeys] = OrderedDict()
        # One read of a pool's keys at a time; a lock lives only while a task holds or awaits it.
        self._locks: weakref.WeakValueDictionary[PoolId, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def _purpose(self, pool_id: PoolId) -> str:
        return f"signing-key:{pool_id}"

    async def check_master_key(self) -> None:
        """Fail start-up loudly when this server's master key can't open the stored keys.

        Servers sharing one database must share MAMORI_MASTER_KEY; without this check a second
        server with its own key would answer every sign-in with an internal error.
        """
        foreign = sorted(
            kid or "(unreadable)"
            for kid in {Keyring.sealed_with(p) for p in await self._store.sealed_prefixes()}
            if kid is None or not self._keyring.knows(kid)
        )
        if foreign:
            raise MasterKeyMismatch(
                f"the database holds signing keys sealed with master key id(s) "
                f"{', '.join(foreign)}, but this server's master key has id "
                f"{self._keyring.current_id}. Every server sharing a database must be started "
                "with the same MAMORI_MASTER_KEY."
            )

    async def create_for_pool(self, pool_id: PoolId) -> None:
        key, sealed, loaded = await anyio.to_thread.run_sync(
            self._generate, pool_id, limiter=self._threads
        )
        await self._store.add_key(SealedKey(pool_id, key.kid, sealed, self._clock.now()))
        self._remember(pool_id, _PoolKeys({key.kid: loaded}, self._clock.now()))

    def _generate(self, pool_id: PoolId) -> tuple[SigningKey, str, LoadedKey]:
        """On a worker thread: RSA key generation, sealing and parsing."""
        key = generate_signing_key()
        return key, self._keyring.seal(key.private_pem, self._purpose(pool_id)), LoadedKey(key)

    def _open(self, pool_id: PoolId, sealed: SealedKey) -> LoadedKey:
        try:
            pem = self._keyring.open(sealed.sealed_pem, self._purpose(pool_id))
        except SealError as exc:
            log.error(
                "signing key %s of pool %s was sealed with master key id %s, which this server "
                "(master key id %s) does not have: every server sharing a database needs the "
                "same MAMORI_MASTER_KEY",
                sealed.kid,
                pool_id,
                Keyring.sealed_with(sealed.sealed_pem),
                self._keyring.current_id,
            )
            raise InternalErrorException(
                "Internal server error: the pool's signing key cannot be opened with this "
                "server's master key (see the server log)."
            ) from exc
        return LoadedKey(SigningKey(sealed.kid, pem))

    def _open_all(self, pool_id: PoolId, sealed: Sequence[SealedKey]) -> dict[str, LoadedKey]:
        """On a worker thread: unsealing and parsing."""
        return {s.kid: self._open(pool_id, s) for s in sealed}

    def _lock(self, pool_id: PoolId) -> asyncio.Lock:
        lock = self._locks.get(pool_id)
        if lock is None:
            lock = self._locks[pool_id] = asyncio.Lock()
        return lock

    def _remember(self, pool_id: PoolId, entry: _PoolKeys) -> None:
        self._cache[pool_id] = entry
        self._cache.move_to_end(pool_id)
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)

    async def _read(self, pool_id: PoolId, known: _PoolKeys | None) -> _PoolKeys:
        """The pool's keys from the store; only those not in `known` are parsed."""
        now = self._clock.now()
        if known is not None:
            known.checked = now  # a failed read is not retried before the interval either
        sealed = await self._store.keys_of(pool_id)
        if not sealed:
            self._cache.pop(pool_id, None)
            raise ResourceNotFoundException(f"User pool {pool_id} does not exist.")
        parsed = known.keys if known is not None else {}
        new = [s for s in sealed if s.kid not in parsed]
        opened = (
            await anyio.to_thread.run_sync(self._open_all, pool_id, new, limiter=self._threads)
            if new
            else {}
        )
        entry = _PoolKeys({s.kid: parsed.get(s.kid) or opened[s.kid] for s in sealed}, now)
        self._remember(pool_id, entry)
        return entry

    async def _load(self, pool_id: PoolId) -> _PoolKeys:
        entry = self._cache.get(pool_id)
        if entry is not None:
            self._cache.move_to_end(pool_id)
            return entry
        async with self._lock(pool_id):
            entry = self._cache.get(pool_id)  # another task may have loaded it meanwhile
            return entry if entry is not None else await self._read(pool_id, None)

    def forget(self, pool_id: PoolId) -> None:
        self._cache.pop(pool_id, None)

    async def signing_key(self, pool_id: PoolId) -> LoadedKey:
        return (await self._load(pool_id)).signing

    async def verification_key(self, pool_id: PoolId, kid: str) -> LoadedKey | None:
        """The pool's key `kid`. On a miss the store is read again (another process may have
        added a key), but not more often than once per refresh interval per pool."""
        entry = await self._load(pool_id)
        key = entry.keys.get(kid)
        if key is not None or self._clock.now() - entry.checked < self._interval:
            return key
        async with self._lock(pool_id):
            entry = self._cache.get(pool_id) or entry
            if kid in entry.keys or self._clock.now() - entry.checked < self._interval:
                return entry.keys.get(kid)  # another task has just read the store
            entry = await self._read(pool_id, entry)
        return entry.keys.get(kid)

    async def jwks(self, pool_id: PoolId) -> dict[str, Any]:
        entry = await self._load(pool_id)
        return {"keys": [k.jwk for k in entry.keys.values()]}
