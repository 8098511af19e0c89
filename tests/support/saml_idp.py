"""A SAML 2.0 identity provider for tests: pysaml2's IdP side (saml2.server.Server) behind a small
Starlette app on loopback, served by uvicorn in a thread. It trusts service providers by their
metadata, answers HTTP-Redirect AuthnRequests at once for the user `sign_in_as` names with a
signed Response holding a signed (optionally encrypted) Assertion in an auto-posting form,
answers and sends LogoutRequests, records what it received, and can answer wrongly on purpose
(`Fault`) for the negative tests."""

from __future__ import annotations

import base64
import html
import threading
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from tests.support.live import free_port
from tests.support.saml_answers import Fault, Subject, authn_response, idp_server
from tests.support.saml_bindings import (
    inflate,
    key_and_cert,
    post_page,
    quiet_saml2_import,
    read_post_form,
    redirect_signature,
    redirect_url,
    xmlsec_missing,
)

with quiet_saml2_import():
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml, samlp
    from saml2.metadata import entity_descriptor
    from saml2.saml import NAMEID_FORMAT_PERSISTENT


MD = "urn:oasis:names:tc:SAML:2.0:metadata"


@dataclass(frozen=True)
class Received:
    """A message the IdP got: kind is AuthnRequest, LogoutRequest or LogoutResponse. `signed`:
    it came with a redirect-binding Signature (or an XML signature); `signature_valid`: that
    signature checked out against the SP's signing certificate in its metadata."""

    kind: str
    id: str
    issuer: str
    signed: bool
    sig_alg: str | None
    signature_valid: bool | None
    relay_state: str | None
    xml: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Sp:
    entity_id: str
    encrypt_assertions: bool
    requests_signed: bool


class SamlIdp:
    """The identity provider. `requests` lists what it received, oldest first; `sessions` the
    SessionIndex values it issued per (SP entity id, NameID)."""

    def __init__(self, tmp: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.entity_id = f"{self.url}/idp"
        self.metadata_url = f"{self.url}/metadata"
        self.sso_url, self.slo_url = f"{self.url}/sso", f"{self.url}/slo"
        self.name_id_format = NAMEID_FORMAT_PERSISTENT
        self.requests: list[Received] = []
        self.sessions: dict[tuple[str, str], list[str]] = {}
        self.next_fault: Fault | None = None
        self._tmp = tmp
        self._user = Subject("nobody", NAMEID_FORMAT_PERSISTENT, {})
        self._sps: dict[str, _Sp] = {}
        self._lock = threading.RLock()
        signing_key, signing_cert, self._signing_key = key_and_cert(tmp, "idp-signing")
        encryption = key_and_cert(tmp, "idp-encryption")[:2]
        self._server = idp_server(self.url, self.entity_id, (signing_key, signing_cert), encryption)
        self._foreign: Any = None
        self._foreign_key: rsa.RSAPrivateKey | None = None
        self.signing_cert_pem = signing_cert.read_text()
        self.metadata_xml = str(entity_descriptor(self._server.config))
        (tmp / "idp-metadata.xml").write_text(self.metadata_xml)
        self.metadata_file = tmp / "idp-metadata.xml"

    # -- what the tests call ------------------------------------------------------------

    def trust_sp(
        self,
        sp_metadata_xml: str,
        *,
        encrypt_assertions: bool = False,
        require_signed_requests: bool | None = None,
    ) -> None:
        """Register a service provider from its metadata (again: its new metadata replaces it).
        Its AuthnRequests must be signed when `require_signed_requests` says so, or (None) when
        its metadata says AuthnRequestsSigned; a signature sent is checked either way."""
        root = ET.fromstring(sp_metadata_xml)  # noqa: S314
        entity_id = root.attrib["entityID"]
        sp = root.find(f"{{{MD}}}SPSSODescriptor")
        if sp is None:
            raise ValueError("the metadata has no SPSSODescriptor")
        with self._lock:
            store = self._server.metadata
            for key, loaded in list(store.metadata.items()):
                if entity_id in loaded.entity:
                    del store.metadata[key]
            store.load("inline", sp_metadata_xml)
            if require_signed_requests is None:
                signed = sp.attrib.get("AuthnRequestsSigned", "false").lower()
                require_signed_requests = signed in ("true", "1")
            self._sps[entity_id] = _Sp(entity_id, encrypt_assertions, require_signed_requests)

    def sign_in_as(self, name_id: str, **attributes: str | list[str]) -> None:
        """The next SSO requests are answered for this user at once (no form)."""
        values = {k: [v] if isinstance(v, str) else list(v) for k, v in attributes.items()}
        self._user = Subject(name_id, self.name_id_format, values)

    def sso_form(self, url: str, *, fault: Fault | None = None) -> tuple[str, dict[str, str]]:
        """GET the SSO URL (the redirect the SP sent) -> (the ACS, {SAMLResponse, RelayState})."""
        if fault is not None:
            self.next_fault = fault
        with urllib.request.urlopen(url, timeout=10) as answer:
            return read_post_form(answer.read().decode())

    def idp_initiated(
        self, sp_entity_id: str, relay_state: str = "", *, fault: Fault | None = None
    ) -> tuple[str, dict[str, str]]:
        """An unsolicited Response (no InResponseTo) for the current user to the SP's ACS."""
        return self.response_for(sp_entity_id, relay_state=relay_state or None, fault=fault)

    def idp_initiated_page(self, sp_entity_id: str, relay_state: str = "") -> str:
        """The stand-in's URL that answers an IdP-initiated sign-in's auto-posting page (for a
        browser to open)."""
        query = urllib.parse.urlencode({"sp": sp_entity_id, "RelayState": relay_state})
        return f"{self.url}/idp-initiated?{query}"

    def response_for(
        self,
        sp_entity_id: str,
        *,
        in_response_to: str | None = None,
        relay_state: str | None = None,
        acs_url: str | None = None,
        fault: Fault | None = None,
    ) -> tuple[str, dict[str, str]]:
        """The Response the IdP would POST (ACS, form fields), without any HTTP."""
        with self._lock:
            acs, xml = self._response(sp_entity_id, in_response_to, acs_url, fault)
        fields = {"SAMLResponse": base64.b64encode(xml.encode()).decode()}
        if relay_state is not None:
            fields["RelayState"] = relay_state
        return acs, fields

    def logout_from_idp(
        self,
        sp_entity_id: str,
        name_id: str,
        relay_state: str = "",
        *,
        fault: Fault | None = None,
    ) -> str:
        """IdP-initiated single logout: the URL of a signed LogoutRequest to the SP's SLO
        endpoint (HTTP-Redirect) for that NameID and the sessions issued to it. `fault`:
        UNSIGNED (no Signature) or FOREIGN_KEY (signed by a key not in the metadata)."""
        if fault not in (None, Fault.UNSIGNED, Fault.FOREIGN_KEY):
            raise ValueError(f"a LogoutRequest can't be {fault}")
        key: rsa.RSAPrivateKey | None = self._signing_key
        if fault is Fault.UNSIGNED:
            key = None
        elif fault is Fault.FOREIGN_KEY:
            self._foreign_server()
            key = self._foreign_key
        with self._lock:
            destination = self._sp_slo(sp_entity_id)
            indexes = self.sessions.get((sp_entity_id, name_id), [])
            if fault is None:
                self.sessions.pop((sp_entity_id, name_id), None)
            _, request = self._server.create_logout_request(
                destination,
                sp_entity_id,
                name_id=saml.NameID(format=self.name_id_format, text=name_id),
                session_indexes=indexes or None,
                sign=False,
            )
        return redirect_url(destination, "SAMLRequest", str(request), relay_state, key)

    def authn_requests(self) -> list[Received]:
        return [r for r in self.requests if r.kind == "AuthnRequest"]

    def logout_requests(self) -> list[Received]:
        return [r for r in self.requests if r.kind == "LogoutRequest"]

    def _response(
        self,
        sp_entity_id: str,
        in_response_to: str | None,
        acs_url: str | None,
        fault: Fault | None,
    ) -> tuple[str, str]:
        sp = self._sps.get(sp_entity_id)
        if sp is None:
            raise LookupError(f"the stand-in does not trust {sp_entity_id}")
        fault, self.next_fault = fault or self.next_fault, None
        acs = acs_url or self._sp_acs(sp_entity_id)
        server = self._foreign_server() if fault is Fault.FOREIGN_KEY else self._server
        subject = Subject(self._user.name_id, self.name_id_format, self._user.attributes)
        xml, session_index = authn_response(
            server, sp_entity_id, subject, in_response_to, acs, sp.encrypt_assertions, fault
        )
        if fault is None and session_index is not None:
            self.sessions.setdefault((sp_entity_id, subject.name_id), []).append(session_index)
        return acs, xml

    def _foreign_server(self) -> Any:
        if self._foreign is None:
            foreign = self._tmp / "foreign"
            foreign.mkdir(exist_ok=True)
            *signing, self._foreign_key = key_and_cert(foreign, "foreign-signing")
            encryption = key_and_cert(foreign, "foreign-encryption")[:2]
            self._foreign = idp_server(
                self.url, self.entity_id, (signing[0], signing[1]), encryption
            )
        self._foreign.metadata = self._server.metadata
        self._foreign.sec.metadata = self._server.metadata
        return self._foreign

    def _sp_acs(self, sp_entity_id: str) -> str:
        services = self._server.metadata.assertion_consumer_service(sp_entity_id, BINDING_HTTP_POST)
        if not services:
            raise LookupError(f"{sp_entity_id} has no HTTP-POST AssertionConsumerService")
        return str(services[0]["location"])

    def _sp_slo(self, sp_entity_id: str) -> str:
        services = self._server.metadata.single_logout_service(
            sp_entity_id, BINDING_HTTP_REDIRECT, "spsso"
        )
        if not services:
            raise LookupError(f"{sp_entity_id} has no HTTP-Redirect SingleLogoutService")
        return str(services[0]["location"])

    # -- HTTP ---------------------------------------------------------------------------

    def _check_signature(
        self, query: str, kind: str, issuer: str
    ) -> tuple[bool, str | None, bool | None]:
        certs = self._server.metadata.certs(issuer, "spsso", "signing")
        return redirect_signature(query, kind, [cert for _, cert in certs])

    async def metadata(self, request: Request) -> Response:
        return Response(self.metadata_xml, media_type="application/samlmetadata+xml")

    async def sso(self, request: Request) -> Response:
        encoded = request.query_params.get("SAMLRequest")
        if not encoded:
            return HTMLResponse("<p>no SAMLRequest</p>", status_code=400)
        relay_state = request.query_params.get("RelayState")
        with self._lock:
            parsed = self._server.parse_authn_request(encoded, BINDING_HTTP_REDIRECT)
            message = parsed.message
            issuer = message.issuer.text.strip() if message.issuer is not None else ""
            signed, sig_alg, valid = self._check_signature(request.url.query, "SAMLRequest", issuer)
            policy = message.name_id_policy
            self.requests.append(
                Received(
                    "AuthnRequest",
                    message.id,
                    issuer,
                    signed,
                    sig_alg,
                    valid,
                    relay_state,
                    parsed.xmlstr.decode() if isinstance(parsed.xmlstr, bytes) else parsed.xmlstr,
                    {
                        "acs_url": message.assertion_consumer_service_url,
                        "destination": message.destination,
                        "protocol_binding": message.protocol_binding,
                        "force_authn": message.force_authn,
                        "name_id_format": policy.format if policy is not None else None,
                    },
                )
            )
            sp = self._sps.get(issuer)
            if sp is None:
                return HTMLResponse(f"<p>unknown service provider {html.escape(issuer)}</p>", 403)
            if (sp.requests_signed and not signed) or valid is False:
                return HTMLResponse("<p>the AuthnRequest's signature is missing or wrong</p>", 403)
            acs = message.assertion_consumer_service_url
            if acs and acs != self._sp_acs(issuer):
                return HTMLResponse("<p>the ACS is not in the SP's metadata</p>", 403)
        action, fields = self.response_for(
            issuer, in_response_to=message.id, relay_state=relay_state
        )
        return HTMLResponse(post_page(action, fields))

    async def idp_initiated_endpoint(self, request: Request) -> Response:
        sp = request.query_params.get("sp", "")
        relay_state = request.query_params.get("RelayState", "")
        action, fields = self.idp_initiated(sp, relay_state)
        return HTMLResponse(post_page(action, fields))

    async def slo(self, request: Request) -> Response:
        params = request.query_params
        kind = "SAMLRequest" if "SAMLRequest" in params else "SAMLResponse"
        if kind not in params:
            return HTMLResponse("<p>no SAML message</p>", status_code=400)
        xml = inflate(params[kind])
        relay_state = params.get("RelayState")
        with self._lock:
            if kind == "SAMLResponse":
                answer = samlp.logout_response_from_string(xml)
                issuer = answer.issuer.text.strip() if answer.issuer is not None else ""
                signed, sig_alg, valid = self._check_signature(request.url.query, kind, issuer)
                status = answer.status.status_code.value if answer.status is not None else None
                self.requests.append(
                    Received(
                        "LogoutResponse",
                        answer.id,
                        issuer,
                        signed,
                        sig_alg,
                        valid,
                        relay_state,
                        xml,
                        {"in_response_to": answer.in_response_to, "status": status},
                    )
                )
                return HTMLResponse(
                    "<!doctype html><title>Signed out</title><p id=signed-out>Signed out</p>"
                )
            logout = samlp.logout_request_from_string(xml)
            issuer = logout.issuer.text.strip() if logout.issuer is not None else ""
            signed, sig_alg, valid = self._check_signature(request.url.query, kind, issuer)
            name_id = logout.name_id.text if logout.name_id is not None else None
            indexes = [s.text for s in logout.session_index]
            self.requests.append(
                Received(
                    "LogoutRequest",
                    logout.id,
                    issuer,
                    signed,
                    sig_alg,
                    valid,
                    relay_state,
                    xml,
                    {
                        "name_id": name_id,
                        "session_indexes": indexes,
                        "destination": logout.destination,
                    },
                )
            )
            if issuer not in self._sps:
                return HTMLResponse(f"<p>unknown service provider {html.escape(issuer)}</p>", 403)
            if valid is False:
                return HTMLResponse("<p>the LogoutRequest's signature is wrong</p>", 403)
            if name_id is not None:
                self.sessions.pop((issuer, name_id), None)
            destination = self._sp_slo(issuer)
            answer_xml = self._server.create_logout_response(
                logout, [BINDING_HTTP_REDIRECT], sign=False
            )
        return RedirectResponse(
            redirect_url(
                destination, "SAMLResponse", str(answer_xml), relay_state, self._signing_key
            ),
            status_code=302,
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/metadata", self.metadata),
                Route("/sso", self.sso),
                Route("/slo", self.slo),
                Route("/idp-initiated", self.idp_initiated_endpoint),
            ]
        )


@contextmanager
def saml_idp(tmp: Path) -> Iterator[SamlIdp]:
    """The IdP on a free loopback port until the block ends; its keys live in `tmp`."""
    reason = xmlsec_missing()
    if reason:
        import pytest

        pytest.skip(reason)
    port = free_port()
    idp = SamlIdp(tmp, port)
    server = uvicorn.Server(
        uvicorn.Config(idp.app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the SAML stand-in did not start")
        time.sleep(0.02)
    try:
        yield idp
    finally:
        server.should_exit = True
        thread.join(timeout=10)
