"""Per-pool RS256 signing keys: created with the pool, sealed at rest, published as a JWKS."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from mamori.crypto.aead import Keyring
from mamori.crypto.jose import LoadedKey, SigningKey, generate_signing_key
from mamori.domain.errors import ResourceNotFoundException
from mamori.domain.ids import PoolId
from mamori.ports import Clock, KeyStore, SealedKey

_CACHE_SIZE = 256  # pools whose parsed keys stay in memory: bounded, per pool not per user


class KeyService:
    def __init__(self, store: KeyStore, keyring: Keyring, clock: Clock) -> None:
        self._store = store
        self._keyring = keyring
        self._clock = clock
        self._cache: OrderedDict[PoolId, tuple[LoadedKey, dict[str, LoadedKey]]] = OrderedDict()

    def _purpose(self, pool_id: PoolId) -> str:
        return f"signing-key:{pool_id}"

    async def create_for_pool(self, pool_id: PoolId) -> None:
        key = generate_signing_key()
        sealed = self._keyring.seal(key.private_pem, self._purpose(pool_id))
        await self._store.add_key(SealedKey(pool_id, key.kid, sealed, self._clock.now()))

    async def _load(self, pool_id: PoolId) -> tuple[LoadedKey, dict[str, LoadedKey]]:
        cached = self._cache.get(pool_id)
        if cached is not None:
            self._cache.move_to_end(pool_id)
            return cached
        sealed = await self._store.keys_of(pool_id)
        if not sealed:
            raise ResourceNotFoundException(f"User pool {pool_id} does not exist.")
        loaded = [
            LoadedKey(SigningKey(s.kid, self._keyring.open(s.sealed_pem, self._purpose(pool_id))))
            for s in sealed
        ]
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
        return (await self._load(pool_id))[1].get(kid)

    async def jwks(self, pool_id: PoolId) -> dict[str, Any]:
        _, keys = await self._load(pool_id)
        return {"keys": [k.jwk for k in keys.values()]}
