"""A user pool as a SAML service provider (its entity id, ACS and SLO URLs) and its SAML keys:
a signing key (GetSigningCertificate's certificate; it signs AuthnRequests and LogoutRequests)
and an encryption key (the certificate IdPs encrypt assertions to when EncryptedResponses is
on), each an RSA key with a self-signed certificate, made once when first needed, the private
key AEAD-sealed at rest to the pool and its use."""

from __future__ import annotations

import secrets
from collections import OrderedDict

import anyio

from mamori.crypto.aead import Keyring
from mamori.crypto.x509 import certificate_body, self_signed
from mamori.services.federation.ports import SamlStore, SealedSamlKey, ServiceProvider, SpKeys
from mamori.services.ports import Clock
from mamori.services.userpools.pools import PoolService

ENTITY_PREFIX = "urn:amazon:cognito:sp:"  # Cognito's SP entity id: the prefix and the pool id
ACS_PATH = "/saml2/idpresponse"
SLO_PATH = "/saml2/logout"
SIGNING = "signing"
ENCRYPTION = "encryption"
_CACHE_SIZE = 256


def _purpose(pool_id: str, use: str) -> str:
    return f"saml-key:{pool_id}:{use}"


class SamlKeys:
    def __init__(
        self,
        store: SamlStore,
        pools: PoolService,
        keyring: Keyring,
        clock: Clock,
        threads: anyio.CapacityLimiter,
    ) -> None:
        self._store = store
        self._pools = pools
        self._keyring = keyring
        self._clock = clock
        self._threads = threads
        # Opened keys per pool (bounded): they never change once made.
        self._cache: OrderedDict[str, SpKeys] = OrderedDict()

    async def get_signing_certificate(self, pool_id: str) -> str:
        """GetSigningCertificate: the pool's SAML signing certificate (base64 DER, no PEM
        armour), made on first use."""
        pool = await self._pools.require(pool_id)
        keys = await self.keys(pool.id)
        return certificate_body(keys.signing_certificate)

    async def service_provider(self, pool_id: str, base_url: str) -> ServiceProvider:
        """The pool as a SAML SP at the domain reached by `base_url`: its entity id, ACS and
        SLO URLs and keys."""
        return ServiceProvider(
            ENTITY_PREFIX + pool_id,
            base_url + ACS_PATH,
            base_url + SLO_PATH,
            await self.keys(pool_id),
        )

    async def keys(self, pool_id: str) -> SpKeys:
        found = self._cache.get(pool_id)
        if found is not None:
            self._cache.move_to_end(pool_id)
            return found
        stored = {k.use: k for k in await self._store.saml_keys(pool_id)}
        for use in (SIGNING, ENCRYPTION):
            if use not in stored:
                made = await self._make(pool_id, use)
                if not await self._store.add_saml_key(pool_id, made):
                    # Another process made it first: use theirs.
                    stored = {k.use: k for k in await self._store.saml_keys(pool_id)}
                else:
                    stored[use] = made
        signing, encryption = stored[SIGNING], stored[ENCRYPTION]
        keys = SpKeys(
            self._keyring.open(signing.sealed_key, _purpose(pool_id, SIGNING)).decode(),
            signing.certificate,
            self._keyring.open(encryption.sealed_key, _purpose(pool_id, ENCRYPTION)).decode(),
            encryption.certificate,
        )
        self._cache[pool_id] = keys
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return keys

    def forget(self, pool_id: str) -> None:
        self._cache.pop(pool_id, None)

    async def _make(self, pool_id: str, use: str) -> SealedSamlKey:
        now = self._clock.now()
        serial = secrets.randbits(120) + 1
        # RSA key generation takes tens of milliseconds: off the event loop.
        made = await anyio.to_thread.run_sync(
            lambda: self_signed(pool_id, now, serial), limiter=self._threads
        )
        sealed = self._keyring.seal(made.private_pem.encode(), _purpose(pool_id, use))
        return SealedSamlKey(use, sealed, made.certificate_pem, now)
