"""OidcFederation in process, on a fresh database and a clock the test moves, with a provider the
test plays (it signs the ID tokens): what a good answer makes, and that a forged, expired,
wrong-audience, wrong-issuer or replayed ID token, a timeout, or claims the pool's attribute
rules refuse each end the sign-in with no user (and no group) written."""

from __future__ import annotations

import asyncio
import secrets
import urllib.parse
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from tests.support.inprocess import FrozenClock, fresh_database, services_on

from mamori.adapters.store.sql.connection.engine import make_async_engine
from mamori.adapters.store.sql.groups import SqlGroupStore
from mamori.adapters.store.sql.users import SqlUserStore
from mamori.api.aws.cognito_idp.wire.pools import pool_in, schema_in
from mamori.composition.federation import build_federation
from mamori.crypto.aead import Keyring
from mamori.domain.errors import (
    AliasExistsException,
    InvalidParameterException,
    ResourceNotFoundException,
)
from mamori.domain.ids import PoolId
from mamori.domain.oauth.authorization import AuthorizationRequest, ResponseType
from mamori.domain.userpools.identity_providers import IdentityProvider, ProviderType
from mamori.domain.userpools.provider_endpoints import ProviderEndpoints
from mamori.domain.users.federated import ProviderIdentity
from mamori.protocols.oauth2.errors import ServerError
from mamori.services.container import Services
from mamori.services.federation.oidc import FederationError, OidcFederation
from mamori.services.federation.ports import OidcEndpoints, ProviderError, ProviderTokens
from mamori.services.users.federated import FederatedUsers

ISSUER = "https://idp.example"
CLIENT_ID = "mamori-rp"
REDIRECT = "https://auth.example/oauth2/idpresponse"
COOKIE = "browser-cookie-value-0123456789"


def new_key() -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = dict(RSAAlgorithm.to_jwk(key.public_key(), as_dict=True))
    return key, {**jwk, "kid": secrets.token_hex(4), "use": "sig", "alg": "RS256"}


@dataclass
class Provider:
    """Plays the provider: the ID token its token endpoint answers, its keys and userinfo."""

    key: rsa.RSAPrivateKey
    jwk: dict[str, Any]
    id_token: str = ""
    userinfo_claims: dict[str, Any] = field(default_factory=dict)
    down: bool = False
    redeemed: list[Mapping[str, str]] = field(default_factory=list)

    def sign(self, claims: Mapping[str, Any], key: rsa.RSAPrivateKey | None = None) -> str:
        return jwt.encode(dict(claims), key or self.key, "RS256", {"kid": self.jwk["kid"]})

    async def discover(self, issuer: str) -> OidcEndpoints:
        raise AssertionError("the provider names its endpoints")

    async def redeem(
        self,
        endpoints: OidcEndpoints,
        client_id: str,
        client_secret: str | None,
        basic: bool,
        form: Mapping[str, str],
    ) -> ProviderTokens:
        if self.down:
            raise ProviderError("token endpoint: timed out")
        self.redeemed.append(form)
        return ProviderTokens(self.id_token, "provider-access-token")

    async def userinfo(self, url: str, access_token: str, method: str) -> Mapping[str, Any]:
        return self.userinfo_claims

    async def keys(self, endpoints: OidcEndpoints, refresh: bool) -> Sequence[Mapping[str, Any]]:
        return [self.jwk]


class Providers:
    def __init__(self, provider: IdentityProvider) -> None:
        self.provider_ = provider

    async def provider(self, pool_id: str, name: str) -> IdentityProvider:
        if name != self.provider_.name or pool_id != self.provider_.pool_id:
            raise ResourceNotFoundException(f"Identity provider {name} does not exist.")
        return self.provider_

    async def by_identifier(self, pool_id: str, identifier: str) -> IdentityProvider:
        raise ResourceNotFoundException("none")


@dataclass
class World:
    s: Services
    federation: OidcFederation
    provider: Provider
    clock: FrozenClock
    pool_id: str

    def request(self) -> AuthorizationRequest:
        return AuthorizationRequest(
            self.pool_id, "app-client", "https://app.example/cb", ResponseType.CODE, ("openid",)
        )

    async def start(self) -> tuple[str, str]:
        """(nonce, state) the provider is sent."""
        url = await self.federation.start(self.request(), "Corp", COOKIE, REDIRECT)
        sent = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        return sent["nonce"], sent["state"]

    def claims(self, nonce: str, **overrides: Any) -> dict[str, Any]:
        now = int(self.clock.now().timestamp())
        base = {"iss": ISSUER, "aud": CLIENT_ID, "sub": "u-1", "nonce": nonce, "iat": now}
        return {"exp": now + 300, **base, "email": "u1@corp.example", **overrides}

    async def finish(self, state: str, **params: str) -> Any:
        opened = self.federation.open_state(self.pool_id, state, COOKIE)
        return await self.federation.finish(opened, {"code": "c", **params}, REDIRECT)

    async def usernames(self) -> list[str]:
        page = await self.s.admin_users.list_users(self.pool_id, "", 60, None)
        return [u.username for u in page.items]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    with fresh_database(tmp_path, request.param) as url:
        yield url


async def _world(
    database: str,
    tmp_path: Path,
    mapping: dict[str, str],
    schema: list[dict[str, Any]],
    pool_settings: dict[str, Any] | None = None,
) -> AsyncIterator[World]:
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    async with services_on(database, tmp_path, clock) as s:
        pool = await s.pools.create_user_pool(
            pool_in(pool_settings or {}, "federation"), [schema_in(a) for a in schema]
        )
        now = clock.now()
        details = {
            "client_id": CLIENT_ID,
            "client_secret": "provider-secret",
            "oidc_issuer": ISSUER,
            "authorize_url": f"{ISSUER}/authorize",
            "token_url": f"{ISSUER}/token",
            "attributes_url": f"{ISSUER}/userinfo",
            "jwks_uri": f"{ISSUER}/jwks",
            "attributes_request_method": "GET",
            "authorize_scopes": "openid email",
        }
        idp = IdentityProvider(
            PoolId(pool.id), "Corp", ProviderType.OIDC, details, mapping, (), now, now
        )
        key, jwk = new_key()
        provider = Provider(key, jwk)
        engine = make_async_engine(database)
        federation = build_federation(
            engine,
            Keyring(secrets.token_bytes(32)),
            clock,
            s.pools,
            s.users,
            Providers(idp),
            provider,
            ProviderEndpoints(),
        )
        try:
            yield World(s, federation, provider, clock, pool.id)
        finally:
            await engine.dispose()


@pytest.fixture()
async def world(database: str, tmp_path: Path) -> AsyncIterator[World]:
    async for w in _world(database, tmp_path, {"email": "email", "name": "name"}, []):
        yield w


@pytest.mark.anyio
async def test_a_good_answer_makes_the_user_with_pkce_and_the_nonce(world: World) -> None:
    nonce, state = await world.start()
    world.provider.id_token = world.provider.sign(world.claims(nonce))
    world.provider.userinfo_claims = {"sub": "u-1", "name": "User One"}
    signed_in = await world.finish(state)
    user = await world.s.admin_users.admin_get_user(world.pool_id, "Corp_u-1")
    assert user.sub == signed_in.sub and user.status.value == "EXTERNAL_PROVIDER"
    assert user.password_hash is None
    assert user.attributes["email"] == "u1@corp.example" and user.attributes["name"] == "User One"
    # The code was redeemed with the PKCE verifier whose challenge went to the provider.
    [form] = world.provider.redeemed
    assert form["code"] == "c" and form["redirect_uri"] == REDIRECT
    assert len(form["code_verifier"]) >= 43


@pytest.mark.anyio
@pytest.mark.parametrize(
    "case", ["wrong audience", "wrong issuer", "expired", "replayed", "forged", "userinfo"]
)
async def test_an_untrustworthy_answer_makes_no_user(world: World, case: str) -> None:
    nonce, state = await world.start()
    provider = world.provider
    provider.userinfo_claims = {"sub": "u-1"}
    claims = world.claims(nonce)
    if case == "wrong audience":
        claims["aud"] = "another-app"
    elif case == "wrong issuer":
        claims["iss"] = "https://evil.example"
    elif case == "expired":
        claims["exp"] = int(world.clock.now().timestamp()) - 120
    elif case == "replayed":
        claims["nonce"] = (await world.start())[0]  # another sign-in's token
    elif case == "userinfo":
        provider.userinfo_claims = {"sub": "someone-else", "email": "x@evil.example"}
    token = provider.sign(claims, new_key()[0] if case == "forged" else None)
    provider.id_token = token
    with pytest.raises(FederationError) as refused:
        await world.finish(state)
    assert refused.value.error.error == "invalid_request"
    assert await world.usernames() == []


@pytest.mark.anyio
async def test_a_provider_that_does_not_answer_makes_no_user(world: World) -> None:
    _nonce, state = await world.start()
    world.provider.down = True
    with pytest.raises(FederationError) as refused:
        await world.finish(state)
    assert isinstance(refused.value.error, ServerError)
    assert await world.usernames() == []


@pytest.mark.anyio
async def test_a_provider_error_makes_no_user(world: World) -> None:
    _nonce, state = await world.start()
    with pytest.raises(FederationError) as refused:
        await world.finish(state, error="access_denied")
    assert refused.value.error.error == "access_denied"
    assert world.provider.redeemed == [] and await world.usernames() == []


@pytest.fixture()
async def strict_world(database: str, tmp_path: Path) -> AsyncIterator[World]:
    schema = [{"Name": "name", "AttributeDataType": "String", "Required": True, "Mutable": True}]
    mapping = {"email": "email", "name": "name", "custom:nothere": "team"}
    async for w in _world(database, tmp_path, mapping, schema):
        yield w


@pytest.mark.anyio
async def test_claims_the_pool_refuses_write_nothing(strict_world: World) -> None:
    world = strict_world
    # A required attribute the provider does not send.
    nonce, state = await world.start()
    world.provider.id_token = world.provider.sign(world.claims(nonce))
    world.provider.userinfo_claims = {"sub": "u-1"}
    with pytest.raises(InvalidParameterException, match="name"):
        await world.finish(state)
    # An attribute the schema does not have.
    nonce, state = await world.start()
    world.provider.id_token = world.provider.sign(world.claims(nonce))
    world.provider.userinfo_claims = {"sub": "u-1", "name": "N", "team": "blue"}
    with pytest.raises(InvalidParameterException, match="custom:nothere"):
        await world.finish(state)
    assert await world.usernames() == []
    groups = await world.s.groups.list_groups(world.pool_id, 60, None)
    assert groups.items == []


@pytest.mark.anyio
async def test_two_first_sign_ins_at_once_make_one_user(world: World, database: str) -> None:
    engine = make_async_engine(database)
    try:
        users = FederatedUsers(
            world.s.users, SqlUserStore(engine), SqlGroupStore(engine), world.s.pools, world.clock
        )
        identity = ProviderIdentity("Corp", "OIDC", ISSUER, "u-2")
        made = await asyncio.gather(
            *(users.sign_in(world.pool_id, identity, {"name": f"N{i}"}) for i in range(4))
        )
    finally:
        await engine.dispose()
    assert len({u.sub for u in made}) == 1
    assert await world.usernames() == ["Corp_u-2"]


@pytest.fixture()
async def email_world(database: str, tmp_path: Path) -> AsyncIterator[World]:
    pool = {"UsernameAttributes": ["email"]}
    async for w in _world(database, tmp_path, {"email": "email"}, [], pool):
        yield w


@pytest.mark.anyio
async def test_an_email_another_user_signs_in_with_writes_nothing(email_world: World) -> None:
    world = email_world
    await world.s.admin_users.admin_create_user(
        world.pool_id, "taken@corp.example", {}, None, "SUPPRESS", []
    )
    nonce, state = await world.start()
    world.provider.id_token = world.provider.sign(world.claims(nonce, email="taken@corp.example"))
    world.provider.userinfo_claims = {"sub": "u-1"}
    with pytest.raises(AliasExistsException):
        await world.finish(state)
    assert len(await world.usernames()) == 1
    assert (await world.s.groups.list_groups(world.pool_id, 60, None)).items == []
