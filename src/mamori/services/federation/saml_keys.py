"""A user pool as a SAML service provider (its entity id, ACS and SLO URLs) and its SAML keys:
a signing key (GetSigningCertificate's certificate; it signs AuthnRequests and LogoutRequests)
and an encryption key (the certificate IdPs encrypt assertions to when EncryptedResponses is
on), each an RSA key with a self-signed certificate, made once when first needed, the private
key AEAD-sealed at rest to the pool and its use. Also what shows the pool as SP: its metadata
and DescribeIdentityProvider's read-only SAML keys."""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict

import anyio

from mamori.crypto.aead import Keyring
from mamori.crypto.x509 import certificate_body, self_signed
from mamori.domain.userpools.identity_providers import IdentityProvider, ProviderType
from mamori.domain.userpools.provider_details import saml_flag
from mamori.services.federation.ports import (
    SamlError,
    SamlServiceProvider,
    SamlStore,
    SealedSamlKey,
    ServiceProvider,
    SpKeys,
)
from mamori.services.ports import Clock
from mamori.services.userpools.pools import PoolService

log = logging.getLogger("mamori.federation.saml")

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
        service_provider: SamlServiceProvider,
    ) -> None:
        self._store = store
        self._sp = service_provider
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

    async def metadata(self, pool_id: str, base_url: str) -> str:
        """The pool's SP metadata (GET /saml2/metadata), signed."""
        sp = await self.service_provider(pool_id, base_url)
        return await self._sp.sp_metadata(sp, True)

    async def described(self, provider: IdentityProvider) -> dict[str, str]:
        """Describe's read-only SAML keys (Cognito's): the IdP's HTTP-Redirect SSO and SLO
        URLs from its metadata, and the pool's encryption certificate when EncryptedResponses
        is on. Nothing for other types, and no URLs while the metadata can't be read."""
        if provider.type is not ProviderType.SAML:
            return {}
        out: dict[str, str] = {}
        try:
            idp = await self._sp.idp_metadata(provider)
        except SamlError as exc:
            log.info("SAML provider %s: metadata not read for Describe: %s", provider.name, exc)
        else:
            if idp.sso_redirect_url:
                out["SSORedirectBindingURI"] = idp.sso_redirect_url
            if idp.slo_redirect_url:
                out["SLORedirectBindingURI"] = idp.slo_redirect_url
        if saml_flag(provider, "EncryptedResponses"):
            keys = await self.keys(provider.pool_id)
            out["ActiveEncryptionCertificate"] = certificate_body(keys.encryption_certificate)
        return out

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
