"""Single logout for a user pool as a SAML service provider, through pysaml2 (HTTP-Redirect
binding): the signed LogoutRequest to an IdP, the LogoutRequest or LogoutResponse an IdP sends
(its redirect signature checked over the query as received against the IdP's metadata
certificates), and the signed LogoutResponse to an IdP's LogoutRequest. Called on worker
threads by adapters/federation/saml.py."""

from __future__ import annotations

import base64
from collections.abc import Mapping

from saml2 import BINDING_HTTP_REDIRECT, samlp
from saml2.client import Saml2Client
from saml2.saml import NameID
from saml2.sigver import SIGNER_ALGS, extract_rsa_key_from_x509_cert, pem_format
from saml2.xmldsig import SIG_RSA_SHA256

from mamori.adapters.federation.saml_config import SIGNING, SUCCESS, key_files, location, sp_config
from mamori.services.federation.ports import (
    IdpMetadata,
    LogoutMessage,
    SamlError,
    SamlRedirect,
    ServiceProvider,
)


def logout_request(
    sp: ServiceProvider,
    idp: IdpMetadata,
    name_id: str,
    name_id_format: str | None,
    session_index: str | None,
    relay_state: str,
) -> SamlRedirect:
    if idp.slo_redirect_url is None:
        raise SamlError("metadata: no SingleLogoutService with the HTTP-Redirect binding")
    with key_files(sp) as files, SIGNING:
        client = Saml2Client(sp_config(sp, files, idp.xml))
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
    return SamlRedirect(str(request_id), location(info))


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


def read_logout(
    sp: ServiceProvider, idp: IdpMetadata, query: Mapping[str, str], raw_query: str
) -> LogoutMessage:
    with key_files(sp) as files:
        client = Saml2Client(sp_config(sp, files, idp.xml))
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
    success = status is not None and status.status_code.value == SUCCESS
    return LogoutMessage(False, str(response.response.id), response.in_response_to, None, success)


def logout_response(
    sp: ServiceProvider, idp: IdpMetadata, request_id: str, relay_state: str | None
) -> str:
    if idp.slo_redirect_url is None:
        raise SamlError("metadata: no SingleLogoutService with the HTTP-Redirect binding")
    with key_files(sp) as files, SIGNING:
        client = Saml2Client(sp_config(sp, files, idp.xml))
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
    return location(info)
