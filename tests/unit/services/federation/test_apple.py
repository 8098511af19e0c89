"""Sign in with Apple's pieces: the client secret, an ES256 JWT Apple's token endpoint accepts
(iss the team, sub the Services ID, aud Apple, kid the key id, minutes of life), refused for any
other key; the form_post authorize request; the POSTed answer's bounce (its known fields sealed
for two minutes, then opened by the GET); the `user` JSON's names under the ID token's claims."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from tests.support.inprocess import FrozenClock

from mamori.crypto.aead import Keyring
from mamori.crypto.jose import TokenError
from mamori.domain.ids import PoolId
from mamori.domain.userpools.identity_providers import IdentityProvider, ProviderType
from mamori.domain.userpools.provider_endpoints import ProviderEndpoints
from mamori.services.federation.apple import (
    APPLE_AUDIENCE,
    CANCELLED,
    POSTED_FIELDS,
    PostedAnswerError,
    authorize_params,
    client_secret,
    posted_answer,
    sign_in_claims,
    user_claims,
)
from mamori.services.federation.oidc import OidcFederation
from mamori.services.federation.states import FederationState, FederationStates, StateError

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


# --- The redirect through Apple, its POSTed answer, the claims mapped


def test_the_authorize_request_asks_for_a_form_post_with_a_nonce() -> None:
    provider = apple("unused")
    params = authorize_params(provider, "https://d.example/oauth2/idpresponse", "st", "nn")
    assert params == {
        "client_id": "com.example.web",
        "redirect_uri": "https://d.example/oauth2/idpresponse",
        "response_type": "code",
        "response_mode": "form_post",
        "state": "st",
        "nonce": "nn",
    }
    scoped = dataclasses.replace(
        provider, details={**provider.details, "authorize_scopes": "name email"}
    )
    assert authorize_params(scoped, "r", "s", "n")["scope"] == "name email"


def test_a_posted_answer_keeps_its_known_fields_within_bounds() -> None:
    fields = {"code": "c1", "state": "s1", "user": "{}", "id_token": "x.y.z", "extra": "e"}
    assert posted_answer(fields) == {"code": "c1", "state": "s1", "user": "{}"}
    assert posted_answer({"error": CANCELLED, "state": "s"}) == {"error": CANCELLED, "state": "s"}
    for name, limit in POSTED_FIELDS.items():
        posted_answer({name: "x" * limit})
        with pytest.raises(PostedAnswerError, match=name):
            posted_answer({name: "x" * (limit + 1)})


@pytest.mark.parametrize(
    ("user", "claims"),
    [
        (
            '{"name":{"firstName":"Ann","lastName":"Ash"},"email":"a@example.com"}',
            {"firstName": "Ann", "lastName": "Ash", "name": "Ann Ash", "email": "a@example.com"},
        ),
        ('{"name":{"firstName":" Ann "}}', {"firstName": "Ann", "name": "Ann"}),
        ('{"name":{"lastName":"Ash","middle":"Q"}}', {"lastName": "Ash", "name": "Ash"}),
        ('{"name":"Ann Ash","email":7}', {}),
        ('["not", "an", "object"]', {}),
        ("not json", {}),
        ("[" * 5000, {}),  # nested past the JSON parser's depth (a RecursionError)
        ("", {}),
        (None, {}),
    ],
)
def test_the_user_json_gives_names_only_when_well_formed(
    user: str | None, claims: dict[str, str]
) -> None:
    assert user_claims(user) == claims


def test_the_id_token_wins_over_the_user_json() -> None:
    id_token = {"sub": "001.a", "email": "relay@privaterelay.appleid.com", "email_verified": "true"}
    user = '{"name":{"firstName":"Ann"},"email":"typed@example.com"}'
    merged = sign_in_claims(id_token, user)
    assert merged["email"] == "relay@privaterelay.appleid.com" and merged["name"] == "Ann"
    assert merged["sub"] == "001.a" and merged["email_verified"] == "true"


def federation(clock: FrozenClock) -> tuple[OidcFederation, FederationStates]:
    states = FederationStates(Keyring(secrets.token_bytes(32)), clock)
    unused: Any = None  # seal_posted / open_posted touch only the states
    return OidcFederation(unused, unused, unused, states, ProviderEndpoints(), clock), states


def test_the_posted_answer_bounces_to_the_get_for_two_minutes() -> None:
    clock = FrozenClock()
    service, _ = federation(clock)
    sealed = service.seal_posted({"code": "c1", "state": "s1", "user": "{}", "id_token": "t"})
    assert "c1" not in sealed
    assert service.open_posted(sealed) == {"code": "c1", "state": "s1", "user": "{}"}
    clock.advance(minutes=1, seconds=59)
    assert service.open_posted(sealed)["code"] == "c1"
    clock.advance(seconds=1)
    with pytest.raises(StateError, match="expired"):
        service.open_posted(sealed)


def test_only_a_sealed_answer_with_known_fields_opens() -> None:
    service, states = federation(FrozenClock())
    sealed = service.seal_posted({"code": "c1"})
    with pytest.raises(StateError):
        service.open_posted(sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB"))
    with pytest.raises(StateError):
        service.open_posted(None)
    # Another purpose's seal (a provider's state) is not an answer, and an answer sealed with
    # fields the POST never keeps (by another part of the server) is not carried on.
    state = FederationState("pool1", "SignInWithApple", {}, "n", "v")
    with pytest.raises(StateError):
        service.open_posted(states.seal(state, "cookie"))
    with pytest.raises(StateError, match="unknown"):
        service.open_posted(states.seal_return({"code": "c", "SAMLResponse": "x"}))
