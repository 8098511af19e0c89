"""A user pool as a SAML 2.0 service provider, through pysaml2: AuthnRequests and
LogoutRequests (HTTP-Redirect binding, signed rsa-sha256 when asked), responses checked
(XML signature by the IdP's metadata certificate, audience, conditions, destination,
InResponseTo; encrypted assertions decrypted), the SP's metadata; pysaml2 runs xmlsec1 for
every XML signature and decryption, so each call runs on a worker thread, never the event
loop. An IdP's metadata comes from ProviderDetails (MetadataFile) or its MetadataURL, fetched
through the shared HTTP client with a timeout and cached."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import shutil
import tempfile
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
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
from saml2.saml import NAMEID_FORMAT_UNSPECIFIED, NameID
from saml2.sigver import SIGNER_ALGS, extract_rsa_key_from_x509_cert, pem_format
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

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
# Clock skew allowed on NotBefore / NotOnOrAfter (seconds).
_SKEW = 60
_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
# pysaml2's redirect-binding signer is one module-level object per algorithm whose key is set
# before each use: two threads signing for two pools at once must not interleave.
_SIGNING = threading.Lock()


@dataclass
class _Fetched:
    metadata: IdpMetadata | None
    fetched: float
    tried: float


def _xmlsec() -> str:
    return shutil.which("xmlsec1") or "/usr/bin/xmlsec1"


@contextlib.contextmanager
def _key_files(sp: ServiceProvider) -> Iterator[dict[str, str]]:
    """The pool's keys as the files pysaml2 and xmlsec1 read, in a private directory removed
    at once after the call (0700 directory, 0600 files)."""
    directory = tempfile.mkdtemp(prefix="mamori-saml-")
    try:
        paths = {}
        for name, value in (
            ("signing_key", sp.keys.signing_key),
            ("signing_cert", sp.keys.signing_certificate),
            ("encryption_key", sp.keys.encryption_key),
            ("encryption_cert", sp.keys.encryption_certificate),
        ):
            path = os.path.join(directory, name + ".pem")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(value)
            paths[name] = path
        yield paths
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _config(
    sp: ServiceProvider,
    files: Mapping[str, str],
    metadata: str | None,
    *,
    unsolicited: bool = False,
    encrypted: bool = False,
) -> SPConfig:
    sp_service: dict[str, Any] = {
        "endpoints": {
            "assertion_consumer_service": [(sp.acs_url, BINDING_HTTP_POST)],
            "single_logout_service": [(sp.slo_url, BINDING_HTTP_REDIRECT)],
        },
        "allow_unsolicited": unsolicited,
        "authn_requests_signed": False,
        "logout_requests_signed": True,
        "want_response_signed": False,
        "want_assertions_signed": False,
        # Either the response or every assertion signed by the IdP: pysaml2 refuses the rest.
        "want_assertions_or_response_signed": True,
        "name_id_format": [NAMEID_FORMAT_UNSPECIFIED],
        "name_id_format_allow_create": True,
    }
    conf: dict[str, Any] = {
        "entityid": sp.entity_id,
        "xmlsec_binary": _xmlsec(),
        "service": {"sp": sp_service},
        "key_file": files["signing_key"],
        "cert_file": files["signing_cert"],
        "accepted_time_diff": _SKEW,
        "allow_unknown_attributes": True,
        "delete_tmpfiles": True,
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
    }
    if encrypted:
        conf["encryption_keypairs"] = [
            {"key_file": files["encryption_key"], "cert_file": files["encryption_cert"]}
        ]
    if metadata is not None:
        conf["metadata"] = {"inline": [metadata]}
    config = SPConfig()
    config.load(conf)
    return config


def _parse_metadata(xml: str) -> IdpMetadata:
    config = SPConfig()
    config.load({"entityid": "urn:mamori:metadata-reader", "xmlsec_binary": _xmlsec()})
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
    with _key_files(sp) as files:
        config = _config(sp, files, idp.xml, unsolicited=request_id is None, encrypted=True)
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
    with _key_files(sp) as files, _SIGNING:
        client = Saml2Client(_config(sp, files, idp.xml))
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
    return SamlRedirect(str(request_id), _location(info))


def _location(info: Mapping[str, Any]) -> str:
    for name, value in info.get("headers", ()):
        if name == "Location":
            return str(value)
    raise SamlError("no redirect location")


def _sp_metadata(sp: ServiceProvider, encrypted: bool) -> str:
    with _key_files(sp) as files:
        config = _config(sp, files, None, encrypted=encrypted)
        descriptor = entity_descriptor(config)
    return str(descriptor)


def _logout_request(
    sp: ServiceProvider,
    idp: IdpMetadata,
    name_id: str,
    name_id_format: str | None,
    session_index: str | None,
    relay_state: str,
) -> SamlRedirect:
    if idp.slo_redirect_url is None:
        raise SamlError("metadata: no SingleLogoutService with the HTTP-Redirect binding")
    with _key_files(sp) as files, _SIGNING:
        client = Saml2Client(_config(sp, files, idp.xml))
        request_id, request = client.create_logout_request(
            idp.slo_redirect_url,
            idp.entity_id,
            name_id=NameID(text=name_id, format=name_id_format),
            session_indexes=[session_index] if session_index else None,
            sign=False,
        )
        info = client.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(request),
            idp.slo_redirect_url,
            relay_state,
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
    return SamlRedirect(str(request_id), _location(info))


# Redirect-binding signatures mamori accepts from an IdP (no SHA-1).
_REDIRECT_ALGS = frozenset(
    {
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    }
)


def signed_fields(raw_query: str, kind: str) -> bytes:
    """SAML Bindings 3.4.4.1: the signature covers `kind`, RelayState (when present) and
    SigAlg exactly as they were URL-encoded in the query received, in that order."""
    fields: dict[str, str] = {}
    for part in raw_query.split("&"):
        name = part.split("=", 1)[0]
        if name in (kind, "RelayState", "SigAlg"):
            if name in fields:
                raise SamlError("redirect binding: a signed field is repeated")
            fields[name] = part
    if kind not in fields or "SigAlg" not in fields:
        raise SamlError("redirect binding: the signed fields are missing")
    order = (kind, "RelayState", "SigAlg")
    return "&".join(fields[n] for n in order if n in fields).encode("ascii")


def _verify_redirect(
    client: Saml2Client, idp: IdpMetadata, query: Mapping[str, str], raw_query: str, kind: str
) -> None:
    """The HTTP-Redirect binding's signature, checked over the raw query with pysaml2's signer
    against the IdP's signing certificates from its metadata (pysaml2's own parser checks it
    only for an IdP's configuration); SamlError unless one of them verifies it."""
    algorithm, signature = query.get("SigAlg"), query.get("Signature")
    if not algorithm or not signature:
        raise SamlError(f"{kind}: not signed")
    if algorithm not in _REDIRECT_ALGS:
        raise SamlError(f"{kind}: signature algorithm {algorithm} refused")
    try:
        raw_signature = base64.b64decode(signature, validate=True)
    except ValueError as exc:
        raise SamlError(f"{kind}: the signature is not base64") from exc
    signed = signed_fields(raw_query, kind)
    certificates = client.metadata.certs(idp.entity_id, "idpsso", "signing")
    signer = SIGNER_ALGS[algorithm]
    for _, certificate in certificates:
        key = extract_rsa_key_from_x509_cert(pem_format(certificate))
        if signer.verify(signed, raw_signature, key):
            return
    raise SamlError(f"{kind}: the signature is not the IdP's")


def _read_logout(
    sp: ServiceProvider, idp: IdpMetadata, query: Mapping[str, str], raw_query: str
) -> LogoutMessage:
    with _key_files(sp) as files:
        client = Saml2Client(_config(sp, files, idp.xml))
        try:
            if "SAMLRequest" in query:
                # An IdP's LogoutRequest ends sessions: it must be the IdP's, signed.
                _verify_redirect(client, idp, query, raw_query, "SAMLRequest")
                parsed = client.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
                if parsed is None:
                    raise SamlError("logout request: refused")
                message = parsed.message
                if message.issuer is None or message.issuer.text != idp.entity_id:
                    raise SamlError("logout request: from another issuer")
                name = message.name_id.text if message.name_id is not None else None
                return LogoutMessage(True, str(message.id), None, name, True)
            if query.get("Signature"):
                _verify_redirect(client, idp, query, raw_query, "SAMLResponse")
            response = client.parse_logout_request_response(
                query.get("SAMLResponse", ""), BINDING_HTTP_REDIRECT
            )
        except SamlError:
            raise
        except Exception as exc:
            raise SamlError(f"logout message refused: {type(exc).__name__}: {exc}") from exc
    if response is None:
        raise SamlError("logout response: refused")
    status = response.response.status
    success = status is not None and status.status_code.value == _SUCCESS
    return LogoutMessage(False, str(response.response.id), response.in_response_to, None, success)


def _logout_response(
    sp: ServiceProvider, idp: IdpMetadata, request_id: str, relay_state: str | None
) -> str:
    if idp.slo_redirect_url is None:
        raise SamlError("metadata: no SingleLogoutService with the HTTP-Redirect binding")
    with _key_files(sp) as files, _SIGNING:
        client = Saml2Client(_config(sp, files, idp.xml))
        response = client._status_response(
            samlp.LogoutResponse,
            client._issuer(),
            None,
            False,
            in_response_to=request_id,
            destination=idp.slo_redirect_url,
        )
        info = client.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(response),
            idp.slo_redirect_url,
            relay_state or "",
            response=True,
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
    return _location(info)


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
            response = await self._http.get(url, timeout=self._timeout)
            if response.status_code != 200:
                raise SamlError(f"metadata: HTTP {response.status_code}")
            if len(response.content) > _MAX_METADATA:
                raise SamlError("metadata: too large")
            entry.metadata = await self._parse(response.content.decode("utf-8"))
            entry.fetched = now
        except (httpx.HTTPError, UnicodeDecodeError, SamlError) as exc:
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
            lambda: _logout_request(sp, idp, name_id, name_id_format, session_index, relay_state)
        )

    async def read_logout(
        self, sp: ServiceProvider, idp: IdpMetadata, query: Mapping[str, str], raw_query: str
    ) -> LogoutMessage:
        return await self._run(lambda: _read_logout(sp, idp, query, raw_query))

    async def logout_response(
        self, sp: ServiceProvider, idp: IdpMetadata, request_id: str, relay_state: str | None
    ) -> str:
        return await self._run(lambda: _logout_response(sp, idp, request_id, relay_state))

    def message_issuer(self, encoded: str, redirect: bool) -> str | None:
        return message_issuer(encoded, redirect)
