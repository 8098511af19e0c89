"""SocialLogins (services/identity/social.py) with the providers' keys and token inspectors
standing in: Google's and Apple's ID tokens are checked for signature, issuer, audience, expiry
and issue time; Facebook's and Amazon's access tokens for the app they were issued to; a
provider that cannot answer is ExternalServiceException, never a silent refusal or acceptance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio
import jwt
import pytest
from tests.support.inprocess import FrozenClock

from mamori.crypto.jose import LoadedKey, generate_signing_key
from mamori.domain.errors import ExternalServiceException, NotAuthorizedException
from mamori.services.identity.ports import (
    OidcError,
    SocialAccount,
    SocialProviderDown,
    SocialTokenRefused,
)
from mamori.services.identity.social import (
    AMAZON,
    APPLE,
    FACEBOOK,
    GOOGLE,
    SocialLogin,
    SocialLogins,
    configured_ids,
)

GOOGLE_JWKS = "https://google.test/certs"
APPLE_JWKS = "https://apple.test/keys"


class Keys:
    """Published key sets by URL; `down` makes every fetch fail."""

    def __init__(self) -> None:
        self.sets: dict[str, list[dict[str, Any]]] = {}
        self.fetches: list[tuple[str, bool]] = []
        self.down = False

    async def jwks(self, issuer: str, refresh: bool = False) -> Sequence[dict[str, Any]]:
        raise AssertionError("social providers' keys are fetched by JWKS URL")

    async def jwks_at(self, jwks_uri: str, refresh: bool = False) -> Sequence[dict[str, Any]]:
        self.fetches.append((jwks_uri, refresh))
        if self.down:
            raise OidcError("unreachable")
        return self.sets.get(jwks_uri, [])


class Inspector:
    def __init__(self, answer: SocialAccount | Exception) -> None:
        self.answer = answer

    async def inspect(self, token: str) -> SocialAccount:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class World:
    def __init__(self) -> None:
        self.clock = FrozenClock()
        self.keys = Keys()
        self.google = LoadedKey(generate_signing_key())
        self.apple = LoadedKey(generate_signing_key())
        self.keys.sets[GOOGLE_JWKS] = [self.google.jwk]
        self.keys.sets[APPLE_JWKS] = [self.apple.jwk]
        self.facebook = Inspector(SocialAccount("fb-user", ("1234",), {"sub": "fb-user"}))
        self.amazon = Inspector(
            SocialAccount("amzn1.account.X", ("amzn1.application.A", "amzn1.client.C"))
        )
        self.logins = SocialLogins(
            self.keys,
            {GOOGLE: GOOGLE_JWKS, APPLE: APPLE_JWKS},
            {FACEBOOK: self.facebook, AMAZON: self.amazon},
            self.clock,
        )

    def id_token(self, provider: str = GOOGLE, key: LoadedKey | None = None, **claims: Any) -> str:
        now = int(self.clock.now().timestamp())
        body: dict[str, Any] = {
            "iss": "https://accounts.google.com"
            if provider == GOOGLE
            else "https://appleid.apple.com",
            "aud": "web.apps.googleusercontent.com" if provider == GOOGLE else "com.example.app",
            "sub": "1100220033",
            "iat": now,
            "exp": now + 3600,
        }
        body.update(claims)
        signer = key or (self.google if provider == GOOGLE else self.apple)
        return signer.sign({k: v for k, v in body.items() if v is not None})

    def verify(self, provider: str, configured: str, token: str) -> SocialLogin:
        return anyio.run(self.logins.verify, provider, configured, token)


@pytest.fixture()
def world() -> World:
    return World()


GOOGLE_IDS = "ios.apps.googleusercontent.com;web.apps.googleusercontent.com"


def test_configured_ids_split_on_semicolons_and_commas() -> None:
    assert configured_ids(" a ;b;; c ") == ("a", "b", "c")
    assert configured_ids("a,b;c") == ("a", "b", "c")


@pytest.mark.parametrize("iss", ["accounts.google.com", "https://accounts.google.com"])
def test_a_google_id_token(world: World, iss: str) -> None:
    login = world.verify(GOOGLE, GOOGLE_IDS, world.id_token(iss=iss, email="a@example.com"))
    assert login.subject == "1100220033"
    assert login.claims["email"] == "a@example.com"
    assert world.keys.fetches == [(GOOGLE_JWKS, False)]


def test_an_apple_id_token(world: World) -> None:
    login = world.verify(APPLE, "com.example.app", world.id_token(APPLE, sub="001.abc.123"))
    assert login.subject == "001.abc.123"
    assert world.keys.fetches == [(APPLE_JWKS, False)]


def refused(world: World, provider: str, configured: str, token: str) -> str:
    with pytest.raises(NotAuthorizedException) as exc:
        world.verify(provider, configured, token)
    message = str(exc.value)
    assert message.startswith("Invalid login token.")
    return message


def test_forged_tokens_are_refused(world: World) -> None:
    # Signed by another key (even one claiming the provider's kid), or by the other provider.
    forged = jwt.encode(
        jwt.decode(world.id_token(), options={"verify_signature": False}),
        generate_signing_key().private_pem,
        algorithm="RS256",
        headers={"kid": world.google.kid},
    )
    assert "Couldn't verify signed token" in refused(world, GOOGLE, GOOGLE_IDS, forged)
    apple_signed = world.id_token(GOOGLE, key=world.apple)
    assert "Couldn't verify signed token" in refused(world, GOOGLE, GOOGLE_IDS, apple_signed)
    # An unknown kid makes one refetch (a rotated key), then the refusal.
    assert world.keys.fetches[-2:] == [(GOOGLE_JWKS, False), (GOOGLE_JWKS, True)]


def test_only_rs256(world: World) -> None:
    body = jwt.decode(world.id_token(), options={"verify_signature": False})
    hs = jwt.encode(body, "k" * 32, algorithm="HS256", headers={"kid": world.google.kid})
    assert "Couldn't verify" in refused(world, GOOGLE, GOOGLE_IDS, hs)
    assert "Couldn't verify" in refused(world, GOOGLE, GOOGLE_IDS, "not.a.token")


def test_expired_and_future_tokens(world: World) -> None:
    token = world.id_token()
    world.clock.advance(hours=1, seconds=1)
    assert refused(world, GOOGLE, GOOGLE_IDS, token) == "Invalid login token. Token expired."
    early = world.id_token(iat=int(world.clock.now().timestamp()) + 600)
    assert "issue time" in refused(world, GOOGLE, GOOGLE_IDS, early)
    assert "issue time" in refused(world, GOOGLE, GOOGLE_IDS, world.id_token(iat=None))


def test_issuer_audience_and_subject(world: World) -> None:
    assert "Issuer doesn't match" in refused(
        world, GOOGLE, GOOGLE_IDS, world.id_token(iss="https://appleid.apple.com")
    )
    assert "Issuer doesn't match" in refused(
        world, APPLE, "com.example.app", world.id_token(APPLE, iss="appleid.apple.com")
    )
    other = world.id_token(aud="evil.apps.googleusercontent.com")
    assert "Incorrect token audience" in refused(world, GOOGLE, GOOGLE_IDS, other)
    listed = world.id_token(aud=["other", "ios.apps.googleusercontent.com"])
    assert world.verify(GOOGLE, GOOGLE_IDS, listed).subject == "1100220033"
    assert "sub" in refused(world, GOOGLE, GOOGLE_IDS, world.id_token(sub=""))


def test_keys_that_cannot_be_fetched(world: World) -> None:
    world.keys.down = True
    with pytest.raises(ExternalServiceException, match=r"accounts\.google\.com"):
        world.verify(GOOGLE, GOOGLE_IDS, world.id_token())


def test_access_tokens(world: World) -> None:
    assert world.verify(FACEBOOK, "1234", "EAAB").subject == "fb-user"
    amazon = world.verify(AMAZON, "amzn1.application.A", "Atza|x")
    assert amazon.subject == "amzn1.account.X"
    # Another app's token.
    assert "Incorrect token audience" in refused(world, FACEBOOK, "9999", "EAAB")
    assert "Incorrect token audience" in refused(world, AMAZON, "amzn1.application.B", "Atza|x")


def test_access_tokens_refused_or_unanswered(world: World) -> None:
    world.facebook.answer = SocialTokenRefused("OAuthException")
    assert "graph.facebook.com does not accept" in refused(world, FACEBOOK, "1234", "EAAB")
    world.amazon.answer = SocialProviderDown("timeout")
    with pytest.raises(ExternalServiceException, match=r"www\.amazon\.com"):
        world.verify(AMAZON, "amzn1.application.A", "Atza|x")


def test_an_overridden_issuer_is_accepted_besides_the_providers_own(world: World) -> None:
    """A stand-in (federation_endpoints' google.issuer) signs under its own URL."""
    logins = SocialLogins(
        world.keys, {GOOGLE: GOOGLE_JWKS}, {}, world.clock, {GOOGLE: "http://127.0.0.1:4000"}
    )
    for iss in ("http://127.0.0.1:4000", "accounts.google.com"):
        token = world.id_token(iss=iss)
        assert anyio.run(logins.verify, GOOGLE, GOOGLE_IDS, token).subject == "1100220033"
    other = world.id_token(iss="http://127.0.0.1:4001")
    with pytest.raises(NotAuthorizedException, match="Issuer"):
        anyio.run(logins.verify, GOOGLE, GOOGLE_IDS, other)
