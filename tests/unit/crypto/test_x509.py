"""crypto/x509.py: a pool's SAML certificate is self-signed for the pool, valid ten years from
(a minute before) the moment given, and its base64 body is the DER of the PEM."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from mamori.crypto.x509 import VALIDITY, certificate_body, self_signed

NOW = datetime(2026, 5, 17, 12, 0, tzinfo=UTC)


def test_a_self_signed_certificate_for_the_pool() -> None:
    made = self_signed("us-east-1_abc", NOW, 12345)
    cert = x509.load_pem_x509_certificate(made.certificate_pem.encode())
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == "us-east-1_abc" and cert.issuer == cert.subject
    assert cert.serial_number == 12345
    assert cert.not_valid_before_utc == NOW - timedelta(minutes=1)
    assert cert.not_valid_after_utc == NOW + VALIDITY
    key = serialization.load_pem_private_key(made.private_pem.encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(
        cert.signature,
        cert.tbs_certificate_bytes,
        padding.PKCS1v15(),
        cert.signature_hash_algorithm,  # type: ignore[arg-type]
    )
    assert "PRIVATE" not in repr(made)


def test_the_certificate_body_is_its_der_in_base64() -> None:
    made = self_signed("us-east-1_abc", NOW, 7)
    body = certificate_body(made.certificate_pem)
    der = x509.load_pem_x509_certificate(made.certificate_pem.encode()).public_bytes(
        serialization.Encoding.DER
    )
    assert base64.b64decode(body) == der and "\n" not in body
