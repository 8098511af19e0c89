"""Single logout for a pool's SAML providers (HTTP-Redirect binding), both ways: /logout of a
user a provider with IDPSignout signed in goes to the IdP with a signed LogoutRequest (NameID
and SessionIndex) whose LogoutResponse at /saml2/logout continues to the logout's target; an
IdP's own signed LogoutRequest at /saml2/logout names the NameID whose sessions end, and is
answered with a LogoutResponse."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from mamori.crypto.aead import Keyring
from mamori.crypto.secrets import opaque_token
from mamori.domain.errors import ResourceNotFoundException
from mamori.domain.oauth.saml_logins import SamlLogin
from mamori.domain.userpools.identity_providers import IdentityProvider, ProviderType
from mamori.domain.userpools.provider_details import saml_flag
from mamori.services.federation.ports import (
    SamlError,
    SamlProviders,
    SamlRequestRecord,
    SamlServiceProvider,
    SamlStore,
)
from mamori.services.federation.saml_keys import SamlKeys
from mamori.services.ports import Clock

log = logging.getLogger("mamori.federation.saml")

# Its own purpose: a logout's RelayState token never finds a sign-in's record, nor the reverse.
_RELAY = "saml-logout-relay"
_LOGOUT = "logout"
REQUEST_LIFETIME = timedelta(minutes=15)


class SamlLogout:
    def __init__(
        self,
        providers: SamlProviders,
        service_provider: SamlServiceProvider,
        store: SamlStore,
        keys: SamlKeys,
        keyring: Keyring,
        clock: Clock,
    ) -> None:
        self._providers = providers
        self._sp = service_provider
        self._store = store
        self._keys = keys
        self._keyring = keyring
        self._clock = clock

    async def logout(
        self, pool_id: str, base_url: str, login: SamlLogin, target: str
    ) -> str | None:
        """Where /logout sends the browser for a user signed in through a SAML provider
        whose IDPSignout is on: its SLO URL with a signed LogoutRequest, whose answer at
        /saml2/logout continues to `target`. None: the provider does not take part."""
        try:
            provider = await self._providers.provider(pool_id, login.provider_name)
        except ResourceNotFoundException:
            return None
        if provider.type is not ProviderType.SAML or not saml_flag(provider, "IDPSignout"):
            return None
        try:
            idp = await self._sp.idp_metadata(provider)
            if idp.slo_redirect_url is None:
                return None
            sp = await self._keys.service_provider(pool_id, base_url)
            token = opaque_token(32)
            sent = await self._sp.logout_request(
                sp, idp, login.name_id, login.name_id_format, login.session_index, token
            )
        except SamlError as exc:
            log.warning("SAML provider %s: logout request: %s", provider.name, exc)
            return None
        now = self._clock.now()
        await self._store.add_request(
            SamlRequestRecord(
                digest=self._keyring.digest(token, _RELAY),
                pool_id=pool_id,
                kind=_LOGOUT,
                provider_name=provider.name,
                request_id=sent.request_id,
                request={"target": target},
                binding="",
                expires=now + REQUEST_LIFETIME,
            ),
            now,
        )
        return sent.url

    async def logout_answer(
        self, pool_id: str, base_url: str, query: Mapping[str, str], raw_query: str
    ) -> tuple[str | None, SamlLogin | None]:
        """GET /saml2/logout. A LogoutResponse: where the /logout that sent it continues
        (None: not ours). A LogoutRequest from an IdP whose IDPSignout is on, signed by it:
        the LogoutResponse redirect to send and the NameID whose sessions end."""
        if query.get("SAMLResponse"):
            return await self._logout_response(pool_id, base_url, query, raw_query), None
        if not query.get("SAMLRequest"):
            return None, None
        issuer = self._sp.message_issuer(query["SAMLRequest"], redirect=True)
        provider = await self._provider_by_issuer(pool_id, issuer)
        if provider is None:
            return None, None
        try:
            idp = await self._sp.idp_metadata(provider)
            sp = await self._keys.service_provider(pool_id, base_url)
            message = await self._sp.read_logout(sp, idp, query, raw_query)
            if not message.is_request or not message.name_id:
                return None, None
            location = await self._sp.logout_response(sp, idp, message.id, query.get("RelayState"))
        except SamlError as exc:
            log.warning("SAML provider %s: logout request refused: %s", provider.name, exc)
            return None, None
        return location, SamlLogin(provider.name, message.name_id)

    async def _logout_response(
        self, pool_id: str, base_url: str, query: Mapping[str, str], raw_query: str
    ) -> str | None:
        relay = query.get("RelayState") or ""
        if not relay or len(relay) > 128:
            return None
        record = await self._store.take_request(
            pool_id, self._keyring.digest(relay, _RELAY), self._clock.now()
        )
        if record is None or record.kind != _LOGOUT:
            return None
        try:
            provider = await self._providers.provider(pool_id, record.provider_name)
            idp = await self._sp.idp_metadata(provider)
            sp = await self._keys.service_provider(pool_id, base_url)
            message = await self._sp.read_logout(sp, idp, query, raw_query)
            if message.is_request or message.in_response_to != record.request_id:
                log.warning("SAML provider %s: a LogoutResponse to another request", provider.name)
            elif not message.success:
                log.info("SAML provider %s: single logout did not succeed", provider.name)
        except (SamlError, ResourceNotFoundException) as exc:
            # mamori's session ended before the browser left: the logout goes on regardless.
            log.warning("SAML logout response refused: %s", exc)
        return record.request.get("target")

    async def _provider_by_issuer(
        self, pool_id: str, issuer: str | None
    ) -> IdentityProvider | None:
        if not issuer:
            return None
        for provider in await self._providers.providers_of(pool_id):
            if provider.type is not ProviderType.SAML or not saml_flag(provider, "IDPSignout"):
                continue
            try:
                idp = await self._sp.idp_metadata(provider)
            except SamlError:
                continue
            if idp.entity_id == issuer:
                return provider
        return None
