"""RS256 signing keys for both issuers: each user pool's (created with the pool) and the
identity issuer's (owner IDENTITY_ISSUER, created on first use), sealed at rest, published as a
JWKS.

Parsed keys stay in a bounded per-owner cache. A token naming an unknown `kid` re-reads the
owner's keys at most once per `refresh_interval` (a forged kid must cost what a valid token
costs), and only keys not yet parsed are parsed. Generating, unsealing and parsing RSA keys
(~70 ms each) run on worker threads, never on the event loop.
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
from mamori.services.ports import Clock
from mamori.services.tokens.ports import IDENTITY_ISSUER, KeyStore, SealedKey

log = logging.getLogger("mamori")

_CACHE_SIZE = 256  # owners whose parsed keys stay in memory: bounded, per pool not per user
# How often, at most, an unknown kid re-reads an owner's keys from the store. A key another
# process added (a new pool's first key is cached by the process that made it) is picked up by
# the next token naming it once this much time has passed since the last read.
KEY_REFRESH_INTERVAL = timedelta(seconds=30)
_IDENTITY_PURPOSE = "identity-signing-key"


@dataclass
class _OwnerKeys:
    keys: dict[str, LoadedKey]  # by kid, the signing key first (KeyStore.keys_of)
    checked: datetime  # when the store was last read (or a read was last tried)

    @property
    def signing(self) -> LoadedKey:
        return next(iter(self.keys.values()))


class MasterKeyMismatch(RuntimeError):
    """The database holds secrets sealed under a master key this server does not have."""


class KeyService:
    """The signing keys of every issuer: a pool's by its id, the identity issuer's by
    IDENTITY_ISSUER (an owner with no keys yet has none until `ensure_signing_key`)."""

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
        self._cache: OrderedDict[str, _OwnerKeys] = OrderedDict()
        # One read of an owner's keys at a time; a lock lives only while a task holds or awaits
        # it.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def _purpose(self, owner: str) -> str:
        return _IDENTITY_PURPOSE if owner == IDENTITY_ISSUER else f"signing-key:{owner}"

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

    async def create_for_pool(self, pool_id: str) -> None:
        key, loaded = await self._add(pool_id)
        self._remember(pool_id, _OwnerKeys({key.kid: loaded}, self._clock.now()))

    async def _add(self, owner: str) -> tuple[SigningKey, LoadedKey]:
        key, sealed, loaded = await anyio.to_thread.run_sync(
            self._generate, owner, limiter=self._threads
        )
        await self._store.add_key(SealedKey(owner, key.kid, sealed, self._clock.now()))
        return key, loaded

    def _generate(self, owner: str) -> tuple[SigningKey, str, LoadedKey]:
        """On a worker thread: RSA key generation, sealing and parsing."""
        key = generate_signing_key()
        return key, self._keyring.seal(key.private_pem, self._purpose(owner)), LoadedKey(key)

    def _open(self, owner: str, sealed: SealedKey) -> LoadedKey:
        try:
            pem = self._keyring.open(sealed.sealed_pem, self._purpose(owner))
        except SealError as exc:
            if owner == IDENTITY_ISSUER:
                raise InternalErrorException(
                    "Internal server error: the identity issuer's key cannot be opened with "
                    "this server's master key (servers sharing a database need the same master "
                    "key)."
                ) from exc
            log.error(
                "signing key %s of pool %s was sealed with master key id %s, which this server "
                "(master key id %s) does not have: every server sharing a database needs the "
                "same MAMORI_MASTER_KEY",
                sealed.kid,
                owner,
                Keyring.sealed_with(sealed.sealed_pem),
                self._keyring.current_id,
            )
            raise InternalErrorException(
                "Internal server error: the pool's signing key cannot be opened with this "
                "server's master key (see the server log)."
            ) from exc
        return LoadedKey(SigningKey(sealed.kid, pem))

    def _open_all(self, owner: str, sealed: Sequence[SealedKey]) -> dict[str, LoadedKey]:
        """On a worker thread: unsealing and parsing."""
        return {s.kid: self._open(owner, s) for s in sealed}

    def _lock(self, owner: str) -> asyncio.Lock:
        lock = self._locks.get(owner)
        if lock is None:
            lock = self._locks[owner] = asyncio.Lock()
        return lock

    def _remember(self, owner: str, entry: _OwnerKeys) -> None:
        self._cache[owner] = entry
        self._cache.move_to_end(owner)
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)

    async def _read(self, owner: str, known: _OwnerKeys | None) -> _OwnerKeys:
        """The owner's keys from the store; only those not in `known` are parsed. A pool
        without keys does not exist; the identity issuer may have none yet."""
        now = self._clock.now()
        if known is not None:
            known.checked = now  # a failed read is not retried before the interval either
        sealed = await self._store.keys_of(owner)
        if not sealed and owner != IDENTITY_ISSUER:
            self._cache.pop(owner, None)
            raise ResourceNotFoundException(f"User pool {owner} does not exist.")
        parsed = known.keys if known is not None else {}
        new = [s for s in sealed if s.kid not in parsed]
        opened = (
            await anyio.to_thread.run_sync(self._open_all, owner, new, limiter=self._threads)
            if new
            else {}
        )
        entry = _OwnerKeys({s.kid: parsed.get(s.kid) or opened[s.kid] for s in sealed}, now)
        self._remember(owner, entry)
        return entry

    async def _load(self, owner: str) -> _OwnerKeys:
        entry = self._cache.get(owner)
        if entry is not None:
            self._cache.move_to_end(owner)
            return entry
        async with self._lock(owner):
            entry = self._cache.get(owner)  # another task may have loaded it meanwhile
            return entry if entry is not None else await self._read(owner, None)

    def forget(self, owner: str) -> None:
        self._cache.pop(owner, None)

    async def signing_key(self, owner: str) -> LoadedKey:
        return (await self._load(owner)).signing

    async def ensure_signing_key(self, owner: str) -> LoadedKey:
        """The owner's signing key, made (and stored) when it has none: the identity issuer's
        first key is made on first use. Two processes racing both store one; each then signs
        with the store's first (the oldest), and both are published."""
        entry = self._cache.get(owner)
        if entry is not None and entry.keys:
            return entry.signing
        async with self._lock(owner):
            entry = self._cache.get(owner)
            if entry is not None and entry.keys:
                return entry.signing
            entry = await self._read(owner, entry)
            if not entry.keys:
                await self._add(owner)
                entry = await self._read(owner, entry)
        return entry.signing

    async def verification_key(self, owner: str, kid: str) -> LoadedKey | None:
        """The owner's key `kid`. On a miss the store is read again (another process may have
        added a key), but not more often than once per refresh interval per owner."""
        entry = await self._load(owner)
        key = entry.keys.get(kid)
        if key is not None or self._clock.now() - entry.checked < self._interval:
            return key
        async with self._lock(owner):
            entry = self._cache.get(owner) or entry
            if kid in entry.keys or self._clock.now() - entry.checked < self._interval:
                return entry.keys.get(kid)  # another task has just read the store
            entry = await self._read(owner, entry)
        return entry.keys.get(kid)

    async def jwks(self, owner: str, fresh: bool = False) -> dict[str, Any]:
        """The owner's public keys; `fresh`: read from the store now (the identity issuer's
        JWKS, which STS fetches, names a key another process has just made)."""
        entry = await self._load(owner)
        if fresh:
            async with self._lock(owner):
                entry = await self._read(owner, self._cache.get(owner) or entry)
        return {"keys": [k.jwk for k in entry.keys.values()]}
