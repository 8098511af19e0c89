"""The SAML identity provider stand-in (tests/support/saml_idp.py) against pysaml2's own service
provider (saml2.client.Saml2Client), so the tests of mamori's SAML side stand on a proven peer:
signed and encrypted answers a strict SP accepts, the AuthnRequest's redirect signature checked,
IdP-initiated answers, both directions of single logout, and each Fault refused by the SP."""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.support.saml_bindings import (
    RSA_SHA256,
    XMLSEC1,
    key_and_cert,
    quiet_saml2_import,
    redirect_signature,
    redirect_url,
)
from tests.support.saml_idp import Fault, SamlIdp, saml_idp

with quiet_saml2_import():
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml
    from saml2.client import Saml2Client
    from saml2.config import SPConfig
    from saml2.metadata import entity_descriptor

SP_ID = "urn:amazon:cognito:sp:us-east-1_StandIn1"
ACS = "https://sp.example/saml2/idpresponse"
SLO = "https://sp.example/saml2/logout"


@dataclass
class Sp:
    client: Any
    metadata_xml: str
    key: Any


def make_sp(tmp: Path, idp: SamlIdp, entity_id: str = SP_ID, signed: bool = True) -> Sp:
    sign_key, sign_cert, key = key_and_cert(tmp, f"sp-signing-{signed}")
    enc_key, enc_cert, _ = key_and_cert(tmp, f"sp-encryption-{signed}")
    config = SPConfig()
    config.load(
        {
            "entityid": entity_id,
            "xmlsec_binary": str(XMLSEC1),
            "key_file": str(sign_key),
            "cert_file": str(sign_cert),
            "encryption_keypairs": [{"key_file": str(enc_key), "cert_file": str(enc_cert)}],
            "signing_algorithm": RSA_SHA256,
            "service": {
                "sp": {
                    "endpoints": {
                        "assertion_consumer_service": [(ACS, BINDING_HTTP_POST)],
                        "single_logout_service": [(SLO, BINDING_HTTP_REDIRECT)],
                    },
                    "authn_requests_signed": signed,
                    "want_response_signed": True,
                    "want_assertions_signed": True,
                    "allow_unsolicited": True,
                },
            },
            "metadata": {"inline": [idp.metadata_xml]},
            "allow_unknown_attributes": True,
        }
    )
    return Sp(Saml2Client(config=config), str(entity_descriptor(config)), key)


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    with saml_idp(tmp_path_factory.mktemp("saml-idp")) as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def sp(idp: SamlIdp, tmp_path_factory: pytest.TempPathFactory) -> Sp:
    made = make_sp(tmp_path_factory.mktemp("saml-sp"), idp)
    idp.trust_sp(made.metadata_xml)
    return made


def sign_in(sp: Sp, idp: SamlIdp, relay_state: str = "rs-1") -> tuple[str, str, dict[str, str]]:
    """The SP's signed redirect to the IdP, answered: (request id, ACS, form fields)."""
    request_id, info = sp.client.prepare_for_authenticate(
        entityid=idp.entity_id,
        relay_state=relay_state,
        binding=BINDING_HTTP_REDIRECT,
        sigalg=RSA_SHA256,
    )
    location = dict(info["headers"])["Location"]
    acs, fields = idp.sso_form(location)
    return str(request_id), acs, fields


def parse(sp: Sp, fields: dict[str, str], request_id: str | None) -> Any:
    outstanding = {request_id: "/"} if request_id else None
    # Strict unless the test means an IdP-initiated answer: InResponseTo must be ours.
    sp.client.allow_unsolicited = request_id is None
    return sp.client.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding=outstanding
    )


def test_metadata_names_the_endpoints_and_both_certificates(idp: SamlIdp) -> None:
    with urllib.request.urlopen(idp.metadata_url, timeout=10) as answer:
        served = answer.read().decode()
    assert served == idp.metadata_xml
    assert f'Location="{idp.url}/sso"' in served and f'Location="{idp.url}/slo"' in served
    assert 'use="signing"' in served and 'use="encryption"' in served
    assert idp.metadata_file.read_text() == served


def test_a_signed_sign_in_is_answered_with_signed_response_and_assertion(
    idp: SamlIdp, sp: Sp
) -> None:
    idp.sign_in_as(
        "alice-1", email="alice@corp.example", groups=["a", "b"], **{"custom:Dept": "R&D"}
    )
    request_id, acs, fields = sign_in(sp, idp)
    assert acs == ACS and fields["RelayState"] == "rs-1"
    received = idp.authn_requests()[-1]
    assert received.id == request_id and received.issuer == SP_ID
    assert received.signed and received.signature_valid
    assert received.sig_alg == RSA_SHA256
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    assert xml.count("SignatureValue>") == 4 and "EncryptedAssertion" not in xml
    assert xml.count(f'SignatureMethod Algorithm="{RSA_SHA256}"') == 2
    assert xml.count('DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"') == 2
    answer = parse(sp, fields, request_id)
    assert answer.in_response_to == request_id
    assert (
        answer.name_id.text == "alice-1" and answer.name_id.format == saml.NAMEID_FORMAT_PERSISTENT
    )
    assert answer.ava == {
        "email": ["alice@corp.example"],
        "groups": ["a", "b"],
        "custom:Dept": ["R&D"],
    }
    assertion = answer.assertion
    assert [a.text for a in assertion.conditions.audience_restriction[0].audience] == [SP_ID]
    assert assertion.conditions.not_before and assertion.conditions.not_on_or_after
    index = assertion.authn_statement[0].session_index
    assert idp.sessions[(SP_ID, "alice-1")][-1] == index


def test_the_answer_page_posts_itself_to_the_acs(idp: SamlIdp, sp: Sp) -> None:
    _, info = sp.client.prepare_for_authenticate(
        entityid=idp.entity_id, relay_state="r", binding=BINDING_HTTP_REDIRECT, sigalg=RSA_SHA256
    )
    with urllib.request.urlopen(dict(info["headers"])["Location"], timeout=10) as answer:
        page = answer.read().decode()
    assert f'action="{ACS}"' in page and 'method="post"' in page
    assert 'id="continue"' in page and ".submit()" in page


def test_encrypted_assertions_are_decrypted_by_the_sp(idp: SamlIdp, sp: Sp, tmp_path: Path) -> None:
    idp.trust_sp(sp.metadata_xml, encrypt_assertions=True)
    try:
        idp.sign_in_as("bob-2", email="bob@corp.example")
        request_id, _, fields = sign_in(sp, idp)
        xml = base64.b64decode(fields["SAMLResponse"]).decode()
        assert "EncryptedAssertion" in xml and "bob@corp.example" not in xml
        answer = parse(sp, fields, request_id)
        assert answer.name_id.text == "bob-2" and answer.ava == {"email": ["bob@corp.example"]}
        request_id, _, fields = sign_in(sp, idp)
        _, fields = idp.response_for(SP_ID, in_response_to=request_id, fault=Fault.TAMPERED)
        with pytest.raises(Exception, match="Failed to verify signature"):
            parse(sp, fields, request_id)
    finally:
        idp.trust_sp(sp.metadata_xml)


def test_an_unsigned_or_badly_signed_request_is_refused_when_the_sp_signs(
    idp: SamlIdp, sp: Sp
) -> None:
    _, info = sp.client.prepare_for_authenticate(
        entityid=idp.entity_id, relay_state="r", binding=BINDING_HTTP_REDIRECT, sigalg=RSA_SHA256
    )
    location = dict(info["headers"])["Location"]
    bare = "&".join(p for p in location.split("&") if not p.startswith(("Signature=", "SigAlg=")))
    forged = location.replace("RelayState=r", "RelayState=s")
    for url, signed in ((bare, False), (forged, True)):
        with pytest.raises(urllib.error.HTTPError) as refused:
            idp.sso_form(url)
        assert refused.value.code == 403
        refused.value.close()
        assert idp.requests[-1].signed is signed and not idp.requests[-1].signature_valid
    idp.trust_sp(sp.metadata_xml, require_signed_requests=False)
    try:
        acs, _ = idp.sso_form(bare)
        assert acs == ACS and not idp.requests[-1].signed
        with pytest.raises(urllib.error.HTTPError) as refused:
            idp.sso_form(forged)
        refused.value.close()
    finally:
        idp.trust_sp(sp.metadata_xml)


def test_an_unsigned_request_is_answered_when_the_sp_does_not_sign(
    idp: SamlIdp, tmp_path: Path
) -> None:
    other = make_sp(tmp_path, idp, "urn:amazon:cognito:sp:us-east-1_Unsigned", signed=False)
    idp.trust_sp(other.metadata_xml)
    idp.sign_in_as("carol-3")
    request_id, _, fields = sign_in(other, idp)
    assert not idp.authn_requests()[-1].signed
    assert parse(other, fields, request_id).name_id.text == "carol-3"


def test_idp_initiated_answers_name_no_request(idp: SamlIdp, sp: Sp) -> None:
    idp.sign_in_as("dave-4", email="dave@corp.example")
    acs, fields = idp.idp_initiated(SP_ID, "app-state")
    assert acs == ACS and fields["RelayState"] == "app-state"
    answer = parse(sp, fields, None)
    assert answer.in_response_to is None and answer.name_id.text == "dave-4"
    with urllib.request.urlopen(idp.idp_initiated_page(SP_ID, "x"), timeout=10) as page:
        assert f'action="{ACS}"' in page.read().decode()


REFUSALS = {
    Fault.TAMPERED: "Failed to verify signature",
    Fault.EXPIRED: "Condition not OK",
    Fault.NOT_YET_VALID: "Can't use response yet",
    Fault.OTHER_AUDIENCE: "AudienceRestrictions conditions not satisfied",
    Fault.UNSIGNED: "Signature missing for response",
    Fault.RESPONSE_ONLY_SIGNED: "Signature missing for assertion",
    Fault.ASSERTION_ONLY_SIGNED: "Signature missing for response",
    Fault.FOREIGN_KEY: "Failed to verify signature",
    Fault.DENIED: "Unsuccessful operation",
    Fault.WRONG_IN_RESPONSE_TO: "Unsolicited response",
    # Refused for the wrapping itself: this SP takes an assertion-only signature here.
    Fault.WRAPPED_IN_ADVICE: "Signature missing for assertion",
    Fault.WRAPPED_SIBLING: "Invalid number of assertions",
}


def test_an_assertion_only_signature_is_enough_for_an_sp_that_takes_it(
    idp: SamlIdp, sp: Sp
) -> None:
    """So the wrapped answers below are refused for their wrapping, not their signatures."""
    idp.sign_in_as("wes-9")
    request_id, _, _ = sign_in(sp, idp)
    _, fields = idp.response_for(
        SP_ID, in_response_to=request_id, fault=Fault.ASSERTION_ONLY_SIGNED
    )
    sp.client.want_response_signed = False
    try:
        assert parse(sp, fields, request_id).name_id.text == "wes-9"
    finally:
        sp.client.want_response_signed = True


@pytest.mark.parametrize("fault", list(Fault))
def test_each_fault_is_refused_by_a_strict_sp(idp: SamlIdp, sp: Sp, fault: Fault) -> None:
    idp.sign_in_as("eve-5", email="eve@corp.example")
    _, info = sp.client.prepare_for_authenticate(
        entityid=idp.entity_id, relay_state="r", binding=BINDING_HTTP_REDIRECT, sigalg=RSA_SHA256
    )
    _, fields = idp.sso_form(dict(info["headers"])["Location"], fault=fault)
    sp.client.want_response_signed = fault not in (Fault.WRAPPED_IN_ADVICE, Fault.WRAPPED_SIBLING)
    try:
        with pytest.raises(Exception, match=REFUSALS[fault]):
            parse(sp, fields, idp.authn_requests()[-1].id)
    finally:
        sp.client.want_response_signed = True
    # The fault was for one answer: the next sign-in is a good one again.
    request_id, _, fields = sign_in(sp, idp)
    assert parse(sp, fields, request_id).name_id.text == "eve-5"


def test_the_idp_answers_a_logout_request_at_the_sps_slo(idp: SamlIdp, sp: Sp) -> None:
    idp.sign_in_as("frank-6")
    request_id, _, fields = sign_in(sp, idp)
    index = parse(sp, fields, request_id).assertion.authn_statement[0].session_index
    _, request = sp.client.create_logout_request(
        f"{idp.url}/slo",
        idp.entity_id,
        name_id=saml.NameID(format=saml.NAMEID_FORMAT_PERSISTENT, text="frank-6"),
        session_indexes=[index],
        sign=False,
    )
    url = redirect_url(f"{idp.url}/slo", "SAMLRequest", str(request), "bye", sp.key)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(NoRedirect).open(url, timeout=10)
    assert answer.value.code == 302
    location = answer.value.headers["Location"]
    answer.value.close()
    assert location.startswith(f"{SLO}?SAMLResponse=")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert query["RelayState"] == "bye" and query["SigAlg"] and query["Signature"]
    received = idp.logout_requests()[-1]
    assert received.id == request.id and received.signed and received.signature_valid
    assert received.details["name_id"] == "frank-6" and received.details["session_indexes"] == [
        index
    ]
    response = sp.client.parse_logout_request_response(query["SAMLResponse"], BINDING_HTTP_REDIRECT)
    assert response.response.in_response_to == request.id
    assert (
        response.response.status.status_code.value == "urn:oasis:names:tc:SAML:2.0:status:Success"
    )
    assert (SP_ID, "frank-6") not in idp.sessions


def test_logout_from_idp_is_a_signed_logout_request_to_the_sp(idp: SamlIdp, sp: Sp) -> None:
    idp.sign_in_as("gina-7")
    request_id, _, fields = sign_in(sp, idp)
    index = parse(sp, fields, request_id).assertion.authn_statement[0].session_index
    url = idp.logout_from_idp(SP_ID, "gina-7")
    assert url.startswith(f"{SLO}?SAMLRequest=")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert query["SigAlg"] and query["Signature"]
    request = sp.client.parse_logout_request(
        query["SAMLRequest"],
        BINDING_HTTP_REDIRECT,
        relay_state=None,
        sigalg=query["SigAlg"],
        signature=query["Signature"],
    )
    assert request.message.name_id.text == "gina-7"
    assert [s.text for s in request.message.session_index] == [index]
    assert request.message.issuer.text == idp.entity_id


def test_logout_from_idp_can_come_unsigned_or_signed_by_another_key(idp: SamlIdp, sp: Sp) -> None:
    idp_certs = ["".join(line for line in idp.signing_cert_pem.splitlines() if "-----" not in line)]

    def signature(url: str) -> tuple[bool, str | None, bool | None]:
        return redirect_signature(urllib.parse.urlsplit(url).query, "SAMLRequest", idp_certs)

    assert signature(idp.logout_from_idp(SP_ID, "hal-8")) == (True, RSA_SHA256, True)
    assert signature(idp.logout_from_idp(SP_ID, "hal-8", fault=Fault.UNSIGNED))[0] is False
    foreign = idp.logout_from_idp(SP_ID, "hal-8", fault=Fault.FOREIGN_KEY)
    assert signature(foreign) == (True, RSA_SHA256, False)
    with pytest.raises(ValueError):
        idp.logout_from_idp(SP_ID, "hal-8", fault=Fault.EXPIRED)
