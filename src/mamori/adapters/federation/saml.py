"""A user pool as a SAML 2.0 service provider, through pysaml2: AuthnRequests
(HTTP-Redirect binding, signed rsa-sha256 when asked; single logout is saml_logout.py's),
responses checked
(XML signature by the IdP's metadata certificate, audience, conditions, destination,
InResponseTo; encrypted assertions decrypted), the SP's metadata; pysaml2 runs xmlsec1 for
every XML signature and decryption, so each call runs on a worker thread, never the event
loop. An IdP's metadata comes from ProviderDetails (MetadataFile) or its MetadataURL, fetched
through the shared HTTP client with a timeout and cached."""

from __future__ import annotations

import base64
import hashlib
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import httpx
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, samlp
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.mdstore import MetadataStore
from saml2.metadata import entity_descriptor
from saml2.response import StatusError
from saml2.saml import NAMEID_FORMAT_UNSPECIFIED
from saml2.xmldsig import SIG_RSA_SHA256

from mamori.adapters.federation.saml_config import (
    SIGNING,
    key_files,
    location,
    sp_config,
    xmlsec,
)
from mamori.adapters.federation.saml_logout import logout_request, logout_response, read_logout
from mamori.adapters.http import AnswerTooLarge, fetch
from mamori.domain.userpools.identity_providers import IdentityProvider
from mamori.services.federation.ports import (
    IdpMetadata,
    LogoutMessage,
    SamlAssertion,
    SamlError,
    SamlRedirect,
    SamlStatusError,
    ServiceProvider,
)

T = TypeVar("T")

# A provider's metadata document: refused beyond this (the model's limit for MetadataFile).
_MAX_METADATA = 131072
# Fetched metadata is used this long, then fetched again (kept on failure: an IdP's
# metadata changes rarely, and an outage of its metadata URL should not stop sign-ins).
_METADATA_TTL = 3600.0
_METADATA_RETRY = 60.0
_CACHE_SIZE = 256


@dataclass
class _Fetched:
    metadata: IdpMetadata | None
    fetched: float
    tried: float


def _parse_metadata(xml: str) -> IdpMetadata:
    config = SPConfig()
    config.load({"entityid": "urn:mamori:metadata-reader", "xmlsec_binary": xmlsec()})
    store = MetadataStore(attrc=[], config=config)
    try:
        store.load("inline", xml)
    except Exception as exc:
        raise SamlError(f"metadata: not SAML metadata ({type(exc).__name__})") from exc
    idps = list(store.identity_providers())
    if len(idps) != 1:
        raise SamlError(f"metadata: {len(idps)} identity providers, one expected")
    entity_id = idps[0]

    def location(found: Any) -> str | None:
        for service in found or ():
            url = service.get("location")
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                return url
        return None

    try:
        sso = location(store.single_sign_on_service(entity_id, BINDING_HTTP_REDIRECT))
    except Exception:
        sso = None
    try:
        slo = location(store.single_logout_service(entity_id, BINDING_HTTP_REDIRECT, "idpsso"))
    except Exception:
        slo = None
    return IdpMetadata(xml, entity_id, sso, slo)


def _status_of(exc: StatusError) -> str:
    return type(exc).__name__.removeprefix("Status") or "Responder"


def _raw_attributes(assertion: Any) -> dict[str, tuple[str, ...]]:
    """Attributes by their SAML Name as the IdP sent it (Cognito's AttributeMapping names
    them so: `http://schemas.xmlsoap.org/...`, `urn:oid:...`, `email`), not pysaml2's
    friendly names."""
    out: dict[str, list[str]] = {}
    for statement in assertion.attribute_statement or ():
        for attribute in statement.attribute or ():
            values = [v.text for v in attribute.attribute_value or () if v.text is not None]
            out.setdefault(str(attribute.name), []).extend(str(v).strip() for v in values)
    return {name: tuple(values) for name, values in out.items()}


def _session_index(assertion: Any) -> str | None:
    for statement in assertion.authn_statement or ():
        if statement.session_index:
            return str(statement.session_index)
    return None


def _only_encrypted(saml_response: str) -> bool:
    """Whether the response's assertions are all encrypted (EncryptedResponses: a plain one
    beside them is refused too)."""
    try:
        message = samlp.response_from_string(base64.b64decode(saml_response))
    except Exception:
        return False
    return message is not None and bool(message.encrypted_assertion) and not message.assertion


def _read_response(
    sp: ServiceProvider,
    idp: IdpMetadata,
    saml_response: str,
    request_id: str | None,
    encrypted: bool,
) -> SamlAssertion:
    if encrypted and not _only_encrypted(saml_response):
        raise SamlError("response: the assertion is not encrypted")
    with key_files(sp) as files:
        config = sp_config(sp, files, idp.xml, unsolicited=request_id is None, encrypted=True)
        client = Saml2Client(config)
        outstanding = {request_id: "mamori"} if request_id else {}
        try:
            response = client.parse_authn_request_response(
                saml_response, BINDING_HTTP_POST, outstanding=outstanding
            )
        except StatusError as exc:
            raise SamlStatusError(_status_of(exc)) from exc
        except SamlError:
            raise
        except Exception as exc:  # pysaml2 raises many kinds; each means "not trusted"
            raise SamlError(f"response refused: {type(exc).__name__}: {exc}") from exc
    if response is None or response.assertion is None:
        raise SamlError("response: no assertion")
    if response.issuer() != idp.entity_id:
        raise SamlError("response: from another issuer")
    in_response_to = response.in_response_to or None
    if in_response_to != request_id:
        # pysaml2 takes an InResponseTo it doesn't know when unsolicited responses are
        # allowed: an IdP-initiated sign-in must carry none.
        raise SamlError("response: InResponseTo is not this sign-in's request")
    assertion = response.assertion
    name_id = response.name_id
    if name_id is None or not (name_id.text or "").strip():
        raise SamlError("response: no NameID")
    lifetime = response.not_on_or_after
    return SamlAssertion(
        issuer=idp.entity_id,
        name_id=str(name_id.text).strip(),
        name_id_format=name_id.format,
        session_index=_session_index(assertion),
        attributes=_raw_attributes(assertion),
        assertion_id=str(assertion.id),
        in_response_to=in_response_to,
        not_on_or_after=int(lifetime) if lifetime else int(time.time()) + 300,
    )


def _authn_request(
    sp: ServiceProvider, idp: IdpMetadata, relay_state: str, sign: bool
) -> SamlRedirect:
    if idp.sso_redirect_url is None:
        raise SamlError("metadata: no SingleSignOnService with the HTTP-Redirect binding")
    with key_files(sp) as files, SIGNING:
        client = Saml2Client(sp_config(sp, files, idp.xml))
        request_id, request = client.create_authn_request(
            destination=idp.sso_redirect_url,
            binding=BINDING_HTTP_POST,
            nameid_format=NAMEID_FORMAT_UNSPECIFIED,
            sign=False,
        )
        info = client.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(request),
            idp.sso_redirect_url,
            relay_state,
            sign=sign,
            sigalg=SIG_RSA_SHA256,
        )
    return SamlRedirect(str(request_id), location(info))


def _sp_metadata(sp: ServiceProvider, encrypted: bool) -> str:
    with key_files(sp) as files:
        config = sp_config(sp, files, None, encrypted=encrypted)
        descriptor = entity_descriptor(config)
    return str(descriptor)


def message_issuer(encoded: str, redirect: bool) -> str | None:
    """The Issuer of a SAML message (base64, deflated for the redirect binding), unverified."""
    try:
        raw = base64.b64decode(encoded, validate=False)
        xml = zlib.decompress(raw, -15) if redirect else raw
        for parse in (
            samlp.response_from_string,
            samlp.logout_request_from_string,
            samlp.logout_response_from_string,
        ):
            message = parse(xml)
            if message is not None and message.issuer is not None:
                return str(message.issuer.text).strip()
    except Exception:  # anything unreadable names no issuer
        return None
    return None


class Pysaml2ServiceProvider:
    """`SamlServiceProvider` with pysaml2; `threads` bounds the xmlsec1 work in flight."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        timeout_seconds: float,
        threads: anyio.CapacityLimiter,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._timeout = timeout_seconds
        self._threads = threads
        self._clock = clock
        self._fetched: OrderedDict[str, _Fetched] = OrderedDict()
        self._parsed: OrderedDict[str, IdpMetadata] = OrderedDict()

    async def _run(self, call: Callable[[], T]) -> T:
        try:
            return await anyio.to_thread.run_sync(call, limiter=self._threads)
        except SamlError:
            raise
        except Exception as exc:
            # pysaml2 raises many kinds (a missing xmlsec1, metadata it can't use, ...): each
            # is a SAML failure for the caller, never a 500.
            raise SamlError(f"pysaml2: {type(exc).__name__}: {exc}") from exc

    async def _parse(self, xml: str) -> IdpMetadata:
        key = hashlib.sha256(xml.encode()).hexdigest()
        found = self._parsed.get(key)
        if found is None:
            found = await self._run(lambda: _parse_metadata(xml))
            self._parsed[key] = found
            while len(self._parsed) > _CACHE_SIZE:
                self._parsed.popitem(last=False)
        self._parsed.move_to_end(key)
        return found

    async def idp_metadata(self, provider: IdentityProvider) -> IdpMetadata:
        inline = provider.detail("MetadataFile")
        if inline:
            return await self._parse(inline)
        url = provider.detail("MetadataURL") or ""
        if not url:
            raise SamlError("no MetadataURL or MetadataFile")
        return await self._from_url(url)

    async def _from_url(self, url: str) -> IdpMetadata:
        now = self._clock()
        entry = self._fetched.get(url)
        if entry is not None and entry.metadata is not None and now - entry.fetched < _METADATA_TTL:
            return entry.metadata
        if entry is not None and now - entry.tried < _METADATA_RETRY:
            if entry.metadata is not None:
                return entry.metadata
            raise SamlError("metadata: the URL failed a moment ago")
        entry = entry or _Fetched(None, 0.0, 0.0)
        entry.tried = now
        self._fetched[url] = entry
        while len(self._fetched) > _CACHE_SIZE:
            self._fetched.popitem(last=False)
        try:
            # The whole call within the timeout, the answer bounded as it streams (a slow or
            # endless IdP holds neither the sign-in nor memory).
            request = self._http.build_request("GET", url, timeout=self._timeout)
            status, body = await fetch(self._http, request, self._timeout, _MAX_METADATA)
            if status != 200:
                raise SamlError(f"metadata: HTTP {status}")
            entry.metadata = await self._parse(body.decode("utf-8"))
            entry.fetched = now
        except AnswerTooLarge as exc:
            if entry.metadata is not None:
                return entry.metadata
            raise SamlError("metadata: too large") from exc
        except (httpx.HTTPError, TimeoutError, UnicodeDecodeError, SamlError) as exc:
            if entry.metadata is not None:
                return entry.metadata  # the copy we have, through the IdP's outage
            raise SamlError(f"metadata: {type(exc).__name__}: {exc}") from exc
        return entry.metadata

    async def authn_request(
        self, sp: ServiceProvider, idp: IdpMetadata, relay_state: str, sign: bool
    ) -> SamlRedirect:
        return await self._run(lambda: _authn_request(sp, idp, relay_state, sign))

    async def read_response(
        self,
        sp: ServiceProvider,
        idp: IdpMetadata,
        saml_response: str,
        request_id: str | None,
        encrypted: bool,
    ) -> SamlAssertion:
        return await self._run(
            lambda: _read_response(sp, idp, saml_response, request_id, encrypted)
        )

    async def sp_metadata(self, sp: ServiceProvider, encrypted: bool) -> str:
        return await self._run(lambda: _sp_metadata(sp, encrypted))

    async def logout_request(
        self,
        sp: ServiceProvider,
        idp: IdpMetadata,
        name_id: str,
        name_id_format: str | None,
        session_index: str | None,
        relay_state: str,
    ) -> SamlRedirect:
        return await self._run(
            lambda: logout_request(sp, idp, name_id, name_id_format, session_index, relay_state)
        )

    async def read_logout(
        self, sp: ServiceProvider, idp: IdpMetadata, query: Mapping[str, str], raw_query: str
    ) -> LogoutMessage:
        return await self._run(lambda: read_logout(sp, idp, query, raw_query))

    async def logout_response(
        self, sp: ServiceProvider, idp: IdpMetadata, request_id: str, relay_state: str | None
    ) -> str:
        return await self._run(lambda: logout_response(sp, idp, request_id, relay_state))

    def message_issuer(self, encoded: str, redirect: bool) -> str | None:
        return message_issuer(encoded, redirect)
