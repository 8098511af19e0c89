"""Sign in with Apple's client secret: an ES256 JWT Apple's token endpoint accepts (iss the team,
sub the Services ID, aud Apple, kid the key id, minutes of life), refused for any other key."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mamori.crypto.jose import TokenError
from mamori.domain.ids import PoolId
from mamori.domain.userpools.identity_providers import IdentityProvider, ProviderType
from mamori.services.federation.apple import APPLE_AUDIENCE, client_secret

NOW = 1_760_000_000.0


def pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def apple(private_key: str) -> IdentityProvider:
    when = datetime.fromtimestamp(NOW, UTC)
    return IdentityProvider(
        pool_id=PoolId("us-east-1_Apple1"),
        name="SignInWithApple",
        type=ProviderType.SIGN_IN_WITH_APPLE,
        details={
            "client_id": "com.example.web",
            "team_id": "TEAM123456",
            "key_id": "KEY1234567",
            "private_key": private_key,
        },
        attribute_mapping={"username": "sub"},
        idp_identifiers=(),
        created=when,
        modified=when,
    )


def test_the_client_secret_is_what_apple_checks() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    secret = client_secret(apple(pem(key)), NOW)
    header = jwt.get_unverified_header(secret)
    assert header["alg"] == "ES256" and header["kid"] == "KEY1234567"
    claims = jwt.decode(
        secret,
        key.public_key(),
        algorithms=["ES256"],
        audience=APPLE_AUDIENCE,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iss"] == "TEAM123456" and claims["sub"] == "com.example.web"
    assert claims["iat"] == int(NOW) and 0 < claims["exp"] - claims["iat"] <= 600


@pytest.mark.parametrize(
    "private_key",
    [
        pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        pem(ec.generate_private_key(ec.SECP384R1())),
        "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
        "",
    ],
    ids=["rsa", "p-384", "garbage", "empty"],
)
def test_any_other_key_is_refused(private_key: str) -> None:
    with pytest.raises(TokenError):
        client_secret(apple(private_key), NOW)
