"""Self-signed X.509 certificates for a user pool's SAML keys (the signing certificate
GetSigningCertificate returns, the encryption certificate IdPs encrypt assertions to): an RSA
key and a certificate naming the pool, valid ten years as Cognito's are."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

# Cognito: "Your user pool certificates are valid for 10 years."
VALIDITY = timedelta(days=3650)


@dataclass(frozen=True)
class KeyAndCertificate:
    private_pem: str = field(repr=False)  # PKCS#8, unencrypted: sealed before it is stored
    certificate_pem: str


def self_signed(common_name: str, now: datetime, serial: int) -> KeyAndCertificate:
    """A new 2048-bit RSA key and its self-signed certificate for `common_name` (the pool id),
    valid from `now` (minus a minute of skew) for `VALIDITY`; `serial` a random positive
    integer below 2**159 (RFC 5280 section 4.1.2.2)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mamori"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = certificate.public_bytes(serialization.Encoding.PEM)
    return KeyAndCertificate(private.decode("ascii"), public.decode("ascii"))


def certificate_body(certificate_pem: str) -> str:
    """The certificate's DER as one base64 line, without PEM armour: what
    GetSigningCertificate answers and what SAML metadata's X509Certificate holds."""
    der = x509.load_pem_x509_certificate(certificate_pem.encode("ascii")).public_bytes(
        serialization.Encoding.DER
    )
    return base64.b64encode(der).decode("ascii")
