"""The SAML stand-in's answers (tests/support/saml_idp.py): pysaml2's IdP configured for it,
and an authentication Response made by it for a subject, right or wrong on purpose (`Fault`):
expired, for another audience, unsigned, signed by another key, tampered with, wrapped."""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from tests.support.saml_bindings import RSA_SHA256, XMLSEC1, quiet_saml2_import

with quiet_saml2_import():
    from saml2 import BINDING_HTTP_REDIRECT, saml, samlp
    from saml2.assertion import Policy
    from saml2.attribute_converter import AttributeConverter
    from saml2.config import IdPConfig
    from saml2.s_utils import factory
    from saml2.saml import NAMEID_FORMAT_PERSISTENT
    from saml2.server import Server
    from saml2.time_util import in_a_while, instant

PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


class Fault(StrEnum):
    """A wrong answer on purpose. TAMPERED: signed, then the NameID changed (or, encrypted, a
    byte of the cipher text); EXPIRED: NotOnOrAfter ten minutes ago; NOT_YET_VALID: NotBefore
    ten minutes ahead; OTHER_AUDIENCE: the AudienceRestriction names another SP; UNSIGNED:
    neither Response nor Assertion signed; RESPONSE_ONLY_SIGNED / ASSERTION_ONLY_SIGNED: one of
    the two signatures; FOREIGN_KEY: signed with a key that is not in the IdP's metadata;
    DENIED: a Responder/AuthnFailed status, no assertion; WRONG_IN_RESPONSE_TO: InResponseTo
    names a request the SP never sent. Signature wrapping (XSW), the Response unsigned and the
    genuine signed Assertion kept byte for byte (its signature still verifies) beside an
    unsigned copy whose NameID is `<name_id>-wrapped` and whose ID differs: WRAPPED_IN_ADVICE
    puts the genuine one inside the copy's Advice; WRAPPED_SIBLING puts the copy before it."""

    TAMPERED = "tampered"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    OTHER_AUDIENCE = "other-audience"
    UNSIGNED = "unsigned"
    RESPONSE_ONLY_SIGNED = "response-only-signed"
    ASSERTION_ONLY_SIGNED = "assertion-only-signed"
    FOREIGN_KEY = "foreign-key"
    DENIED = "denied"
    WRONG_IN_RESPONSE_TO = "wrong-in-response-to"
    WRAPPED_IN_ADVICE = "wrapped-in-advice"
    WRAPPED_SIBLING = "wrapped-sibling"


_WRAPS = (Fault.WRAPPED_IN_ADVICE, Fault.WRAPPED_SIBLING)


@dataclass(frozen=True)
class Subject:
    """Whom a Response names: the NameID (and its format) and the attributes, named verbatim."""

    name_id: str
    name_id_format: str
    attributes: dict[str, list[str]]


class _StandInPolicy(Policy):  # type: ignore[misc]
    """Every attribute released as named; the validity window and audience as the fault says."""

    def __init__(
        self, lifetime: dict[str, int], audience: str | None, not_before: dict[str, int]
    ) -> None:
        super().__init__(restrictions={"default": {"name_form": saml.NAME_FORMAT_URI}})
        self._lifetime, self._audience, self._not_before = lifetime, audience, not_before

    def restrict(self, ava: Any, sp_entity_id: str, metadata: Any = None) -> Any:
        return ava

    def get_lifetime(self, sp_entity_id: str) -> dict[str, int]:
        return self._lifetime

    def conditions(self, sp_entity_id: str) -> Any:
        return factory(
            saml.Conditions,
            not_before=in_a_while(**self._not_before),
            not_on_or_after=self.not_on_or_after(sp_entity_id),
            audience_restriction=[
                factory(
                    saml.AudienceRestriction,
                    audience=[factory(saml.Audience, text=self._audience or sp_entity_id)],
                )
            ],
        )


def idp_server(
    url: str, entity_id: str, signing: tuple[Path, Path], encryption: tuple[Path, Path]
) -> Any:
    config = IdPConfig()
    config.load(
        {
            "entityid": entity_id,
            "xmlsec_binary": str(XMLSEC1),
            "key_file": str(signing[0]),
            "cert_file": str(signing[1]),
            "encryption_keypairs": [
                {"key_file": str(encryption[0]), "cert_file": str(encryption[1])}
            ],
            "service": {
                "idp": {
                    "name": "mamori SAML stand-in",
                    # Read in the idp context only (pysaml2 would sign with rsa-sha1 and sha1).
                    "signing_algorithm": RSA_SHA256,
                    "digest_algorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
                    "endpoints": {
                        "single_sign_on_service": [(f"{url}/sso", BINDING_HTTP_REDIRECT)],
                        "single_logout_service": [(f"{url}/slo", BINDING_HTTP_REDIRECT)],
                    },
                    # Checked here per SP instead (its AuthnRequestsSigned), over the raw query.
                    "want_authn_requests_signed": False,
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                },
            },
            "metadata": {},
        }
    )
    # Attribute names go out exactly as the test names them (no OID mapping, no lower-casing).
    verbatim = AttributeConverter(saml.NAME_FORMAT_URI)
    verbatim._to, verbatim._fro = {}, {}
    config.attribute_converters = [verbatim]
    return Server(config=config)


def authn_response(
    server: Any,
    sp_entity_id: str,
    subject: Subject,
    in_response_to: str | None,
    acs: str,
    encrypt: bool,
    fault: Fault | None = None,
) -> tuple[str, str | None]:
    """The Response `server` (pysaml2's IdP) sends `acs` for `subject`, as XML, and the
    SessionIndex it opens (None for DENIED)."""
    if fault is Fault.WRONG_IN_RESPONSE_TO:
        in_response_to = f"_{secrets.token_hex(16)}"
    if fault is Fault.DENIED:
        status = (samlp.STATUS_AUTHN_FAILED, "The user denied the sign-in")
        denied = server.create_error_response(in_response_to, acs, status, sign=True)
        return str(denied), None
    session_index = f"_{secrets.token_hex(16)}"
    statement = factory(
        saml.AuthnStatement,
        authn_instant=instant(),
        session_index=session_index,
        session_not_on_or_after=in_a_while(hours=8),
        authn_context=factory(
            saml.AuthnContext,
            authn_context_class_ref=factory(saml.AuthnContextClassRef, text=PASSWORD_PROTECTED),
        ),
    )
    lifetime = {"minutes": 5}
    if fault is Fault.EXPIRED:
        lifetime = {"minutes": -10}
    elif fault is Fault.NOT_YET_VALID:
        lifetime = {"minutes": 20}
    policy = _StandInPolicy(
        lifetime,
        f"urn:amazon:cognito:sp:{secrets.token_hex(4)}" if fault is Fault.OTHER_AUDIENCE else None,
        {"minutes": 10} if fault is Fault.NOT_YET_VALID else {},
    )
    # create_authn_response drops a given AuthnStatement; its two steps take it, so the
    # SessionIndex is ours to remember for logout_from_idp.
    args = server.gather_authn_response_args(
        sp_entity_id,
        name_id_policy=None,
        userid=None,
        name_id=saml.NameID(
            format=subject.name_id_format, text=subject.name_id, sp_name_qualifier=sp_entity_id
        ),
        release_policy=policy,
        sign_response=fault not in (Fault.UNSIGNED, Fault.ASSERTION_ONLY_SIGNED, *_WRAPS),
        sign_assertion=fault not in (Fault.UNSIGNED, Fault.RESPONSE_ONLY_SIGNED),
        encrypt_assertion=encrypt,
        encrypt_cert_advice=None,
        encrypt_cert_assertion=None,
        pefim=False,
    )
    response = server._authn_response(
        in_response_to,
        acs,
        sp_entity_id,
        dict(subject.attributes),
        authn_statement=statement,
        **args,
    )
    xml = str(response)
    if fault is Fault.TAMPERED:
        xml = _tamper(xml, subject.name_id)
    elif fault in _WRAPS:
        if encrypt:
            raise ValueError("signature wrapping needs the assertion in the clear")
        xml = _wrap(xml, subject.name_id, inside=fault is Fault.WRAPPED_IN_ADVICE)
    return xml, session_index


def _wrap(xml: str, name_id: str, *, inside: bool) -> str:
    found = re.search(r"<(\w+):Assertion[ >].*?</\1:Assertion>", xml, re.S)
    if found is None:
        raise AssertionError("no assertion to wrap")
    genuine, prefix = found.group(0), found.group(1)
    name = html.escape(name_id, quote=False)
    evil = re.sub(r"<(\w+):Signature[ >].*?</\1:Signature>", "", genuine, count=1, flags=re.S)
    evil = re.sub(r' ID="[^"]*"', f' ID="_{secrets.token_hex(16)}"', evil, count=1)
    evil = evil.replace(f">{name}</{prefix}:NameID>", f">{name}-wrapped</{prefix}:NameID>", 1)
    if inside:
        conditions_end = f"</{prefix}:Conditions>"
        advice = f"<{prefix}:Advice>{genuine}</{prefix}:Advice>"
        evil = evil.replace(conditions_end, conditions_end + advice, 1)
        return xml[: found.start()] + evil + xml[found.end() :]
    return xml[: found.start()] + evil + genuine + xml[found.end() :]


def _tamper(xml: str, name_id: str) -> str:
    name_id = f">{html.escape(name_id, quote=False)}</"
    if name_id in xml:
        return xml.replace(name_id, f">{html.escape(name_id, quote=False)}-x</", 1)
    cipher = re.search(r"(<(?:\w+:)?CipherValue>)([A-Za-z0-9+/]{8})", xml)
    if cipher is None:
        raise AssertionError("nothing to tamper with")
    flipped = cipher.group(2)[::-1] if cipher.group(2) != cipher.group(2)[::-1] else "AAAAAAAA"
    return xml[: cipher.start(2)] + flipped + xml[cipher.end(2) :]
