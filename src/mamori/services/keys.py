"""Per-pool RS256 signing keys: created with the pool, sealed at rest, published as a JWKS."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from mamori.crypto.aead import Keyring, SealError
from mamori.crypto.jose import LoadedKey, SigningKey, generate_signing_key
from mamori.domain.errors import InternalErrorException, ResourceNotFoundException
from mamori.domain.ids import PoolId
from mamori.ports import Clock, KeyStore, SealedKey

log = logging.getLogger("mamori")

_CACHE_SIZE = 256  # pools whose parsed keys stay in memory: bounded, per pool not per user


class MasterKeyMismatch(RuntimeError):
    """The database holds secrets sealed under a master key this server does not have."""


class KeyService:
    def __init__(self, store: KeyStore, keyring: Keyring, clock: Clock) -> None:
        self._store = store
        self._keyring = keyring
        self._clock = clock
        self._cache: OrderedDict[PoolId, tuple[LoadedKey, dict[str, LoadedKey]]] = OrderedDict()

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
        key = generate_signing_key()
        sealed = self._keyring.seal(key.private_pem, self._purpose(pool_id))
        await self._store.add_key(SealedKey(pool_id, key.kid, sealed, self._clock.now()))

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

    async def _load(
        self, pool_id: PoolId, refresh: bool = False
    ) -> tuple[LoadedKey, dict[str, LoadedKey]]:
        cached = None if refresh else self._cache.get(pool_id)
        if cached is not None:
            self._cache.move_to_end(pool_id)
            return cached
        sealed = await self._store.keys_of(pool_id)
        if not sealed:
            self._cache.pop(pool_id, None)
            raise ResourceNotFoundException(f"User pool {pool_id} does not exist.")
        loaded = [self._open(pool_id, s) for s in sealed]
        entry = (loaded[0], {k.kid: k for k in loaded})
        self._cache[pool_id] = entry
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return entry

    def forget(self, pool_id: PoolId) -> None:
        self._cache.pop(pool_id, None)

    async def signing_key(self, pool_id: PoolId) -> LoadedKey:
        return (await self._load(pool_id))[0]

    async def verification_key(self, pool_id: PoolId, kid: str) -> LoadedKey | None:
        """The pool's key `kid`; re-reads the store once on a miss (another process may have
        added a key since this one cached the set)."""
        key = (await self._load(pool_id))[1].get(kid)
        if key is None:
            key = (await self._load(pool_id, refresh=True))[1].get(kid)
        return key

    async def jwks(self, pool_id: PoolId) -> dict[str, Any]:
        _, keys = await self._load(pool_id)
        return {"keys": [k.jwk for k in keys.values()]}
