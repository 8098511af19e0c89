"""The SAML bindings' mechanics for the test peers (tests/support/saml_idp.py and the tests that
play a service provider): HTTP-Redirect URLs signed and checked over the raw query, the
HTTP-POST binding's auto-posting page and its reading, throwaway keys and certificates, and
importing pysaml2 quietly."""

from __future__ import annotations

import base64
import datetime
import html
import re
import shutil
import urllib.parse
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

XMLSEC1 = Path("/usr/bin/xmlsec1")
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
# SAML bindings 3.4.4.1: the signature covers the parameters as they were URL-encoded.
_SIGNED_REQUEST_ORDER = ("SAMLRequest", "RelayState", "SigAlg")
_SIGNED_RESPONSE_ORDER = ("SAMLResponse", "RelayState", "SigAlg")
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1": hashes.SHA1(),  # noqa: S303 (verified, not made)
    RSA_SHA256: hashes.SHA256(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512(),
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": hashes.SHA256(),
}


def xmlsec_missing() -> str | None:
    """Why the SAML stand-in can't run here, or None."""
    if not XMLSEC1.exists() or shutil.which(str(XMLSEC1)) is None:
        return f"needs xmlsec1 at {XMLSEC1} (make packages / scripts/ensure-packages.sh)"
    return None


_FORM = re.compile(r'<form[^>]*action="([^"]*)"', re.I)
_INPUT = re.compile(r'<input[^>]*name="([^"]*)"[^>]*value="([^"]*)"', re.I)


@contextmanager
def quiet_saml2_import() -> Iterator[None]:
    """pysaml2 7.5.5 reaches for cryptography's CFB mode at import, which cryptography warns is
    moving (filterwarnings = error makes that a collection error); nothing here uses CFB. Wrap
    the first `import saml2...` of a test module in this."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "CFB has been moved", CryptographyDeprecationWarning)
        yield


def key_and_cert(tmp: Path, name: str) -> tuple[Path, Path, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"saml stand-in {name}")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = tmp / f"{name}.key", tmp / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file, key


def redirect_url(
    location: str, kind: str, xml: str, relay_state: str | None, key: rsa.RSAPrivateKey | None
) -> str:
    """An HTTP-Redirect binding URL: the message deflated and base64'd, signed (rsa-sha256 over
    the encoded parameters) when a key is given."""
    deflated = zlib.compress(xml.encode())[2:-4]
    params = [(kind, base64.b64encode(deflated).decode())]
    if relay_state:
        params.append(("RelayState", relay_state))
    if key is not None:
        params.append(("SigAlg", RSA_SHA256))
        signed = urllib.parse.urlencode(params).encode()
        signature = key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        params.append(("Signature", base64.b64encode(signature).decode()))
    glue = "&" if urllib.parse.urlsplit(location).query else "?"
    return f"{location}{glue}{urllib.parse.urlencode(params)}"


def _raw_query(query: str) -> dict[str, str]:
    """The query's parameters still URL-encoded, as the signature covers them."""
    raw: dict[str, str] = {}
    for part in query.split("&"):
        name, _, value = part.partition("=")
        raw.setdefault(urllib.parse.unquote_plus(name), value)
    return raw


def inflate(encoded: str) -> str:
    return zlib.decompress(base64.b64decode(encoded), -15).decode()


def read_post_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of an auto-posting form (the stand-in's, or an SP's)."""
    action = _FORM.search(page)
    if action is None:
        raise AssertionError(f"no form in the page: {page[:500]}")
    fields = {html.unescape(n): html.unescape(v) for n, v in _INPUT.findall(page)}
    return html.unescape(action.group(1)), fields


def redirect_signature(
    query: str, kind: str, certs: list[str]
) -> tuple[bool, str | None, bool | None]:
    """(signed, SigAlg, valid) of an HTTP-Redirect message's raw query string (`kind`:
    SAMLRequest or SAMLResponse), against base64 DER certificates (the sender's metadata)."""
    raw = _raw_query(query)
    if "Signature" not in raw:
        return False, None, None
    sig_alg = urllib.parse.unquote_plus(raw.get("SigAlg", ""))
    order = _SIGNED_REQUEST_ORDER if kind == "SAMLRequest" else _SIGNED_RESPONSE_ORDER
    signed = "&".join(f"{name}={raw[name]}" for name in order if name in raw).encode()
    signature = base64.b64decode(urllib.parse.unquote_plus(raw["Signature"]))
    algorithm = _HASHES.get(sig_alg)
    if algorithm is None:
        return True, sig_alg, False
    for cert in certs:
        der = base64.b64decode("".join(cert.split()))
        public = x509.load_der_x509_certificate(der).public_key()
        try:
            if isinstance(public, rsa.RSAPublicKey):
                public.verify(signature, signed, padding.PKCS1v15(), algorithm)
            elif isinstance(public, ec.EllipticCurvePublicKey):
                public.verify(signature, signed, ec.ECDSA(algorithm))
            else:
                continue
        except InvalidSignature:
            continue
        return True, sig_alg, True
    return True, sig_alg, False


def post_page(action: str, fields: dict[str, str]) -> str:
    """The HTTP-POST binding's page: a form to the ACS that a browser submits by itself."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signing in</title>'
        f'</head><body><form id="saml-post" method="post" action="{html.escape(action)}">{inputs}'
        '<button type="submit" id="continue">Continue</button></form>'
        '<script>document.getElementById("saml-post").submit();</script></body></html>'
    )
