"""SamlFederation in process, on a fresh database and a clock the test moves, with the pysaml2
IdP stand-in (tests/support/saml_idp.py) answering: what waiting does (a RelayState's record
lives 15 minutes, a sealed answer two), what another browser or another pool gets, and the
pool's SAML keys (made once, sealed at rest, one pair per pool)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.support.inprocess import FrozenClock, fresh_database, services_on
from tests.support.saml_idp import SamlIdp, saml_idp

from mamori.adapters.store.sql.connection.engine import make_async_engine
from mamori.adapters.store.sql.tables import saml_keys
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.domain.oauth.authorization import AuthorizationRequest, ResponseType
from mamori.domain.userpools.identity_providers import ProviderDraft, ProviderType
from mamori.services.container import Services
from mamori.services.federation.saml import SamlFederation, SamlSignInError
from mamori.services.federation.states import StateError

pytestmark = pytest.mark.anyio
BASE = "https://auth.example"
COOKIE = "browser-cookie-value-0123456789"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path, request.param) as url:
        yield url


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    with saml_idp(tmp_path_factory.mktemp("idp")) as served:
        yield served


@dataclass
class World:
    services: Services
    saml: SamlFederation
    clock: FrozenClock
    pool_id: str
    idp: SamlIdp
    database: str

    def request(self) -> AuthorizationRequest:
        return AuthorizationRequest(
            self.pool_id, "client-1", "https://app.test/cb", ResponseType.CODE, ("openid",)
        )

    async def posted(self, name_id: str = "alice") -> dict[str, str]:
        """The IdP's answer to a sign-in started now in the browser holding COOKIE."""
        provider = await self.services.identity_providers.provider(self.pool_id, "Corp")
        url = await self.saml.start(self.request(), provider, COOKIE, f"{BASE}/saml2/idpresponse")
        self.idp.sign_in_as(name_id, email=f"{name_id}@corp.test")
        return (await asyncio.to_thread(self.idp.sso_form, url))[1]


@pytest.fixture()
async def world(database: str, tmp_path: Path, idp: SamlIdp) -> AsyncIterator[World]:
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    async with services_on(database, tmp_path, clock) as s:
        assert s.saml is not None and s.saml_keys is not None
        pool = await s.pools.create_user_pool(pool_in({}, "saml"), [])
        idp.trust_sp(await s.saml_keys.metadata(pool.id, BASE))
        await s.identity_providers.create_identity_provider(
            pool.id,
            ProviderDraft(
                "Corp", ProviderType.SAML, {"MetadataFile": idp.metadata_xml}, {"email": "email"}
            ),
        )
        yield World(s, s.saml, clock, pool.id, idp, database)


async def test_a_sign_in_started_and_finished_in_one_browser(world: World) -> None:
    form = await world.posted()
    sealed = await world.saml.receive(world.pool_id, BASE, form["SAMLResponse"], form["RelayState"])
    with pytest.raises(StateError):
        await world.saml.finish(world.pool_id, sealed, "another-browser-cookie")
    done = await world.saml.finish(world.pool_id, sealed, COOKIE)
    assert done.request == world.request().to_query()
    assert done.login.provider_name == "Corp" and done.login.name_id == "alice"
    user = await world.services.admin_users.admin_get_user(world.pool_id, "Corp_alice")
    assert user.sub == done.signed_in.sub and user.attributes["email"] == "alice@corp.test"


async def test_a_relay_state_lives_fifteen_minutes(world: World) -> None:
    form = await world.posted("late")
    world.clock.advance(minutes=15, seconds=1)
    with pytest.raises(SamlSignInError) as refused:
        await world.saml.receive(world.pool_id, BASE, form["SAMLResponse"], form["RelayState"])
    assert refused.value.request is None  # the error page: the request is unknown


async def test_a_sealed_answer_lives_two_minutes(world: World) -> None:
    form = await world.posted("slow")
    sealed = await world.saml.receive(world.pool_id, BASE, form["SAMLResponse"], form["RelayState"])
    world.clock.advance(minutes=2, seconds=1)
    with pytest.raises(StateError):
        await world.saml.finish(world.pool_id, sealed, COOKIE)


async def test_another_pools_answer_is_refused(world: World) -> None:
    form = await world.posted("elsewhere")
    other = await world.services.pools.create_user_pool(pool_in({}, "other"), [])
    with pytest.raises(SamlSignInError):
        await world.saml.receive(other.id, BASE, form["SAMLResponse"], form["RelayState"])
    # The record was not the other pool's to consume: the answer still finishes here.
    sealed = await world.saml.receive(world.pool_id, BASE, form["SAMLResponse"], form["RelayState"])
    assert (await world.saml.finish(world.pool_id, sealed, COOKIE)).login.name_id == "elsewhere"


async def test_the_pools_keys_are_made_once_and_sealed_at_rest(world: World) -> None:
    keys = world.services.saml_keys
    assert keys is not None
    first = await keys.get_signing_certificate(world.pool_id)
    keys.forget(world.pool_id)
    assert await keys.get_signing_certificate(world.pool_id) == first
    other = await world.services.pools.create_user_pool(pool_in({}, "other"), [])
    assert await keys.get_signing_certificate(other.id) != first
    engine = make_async_engine(world.database)
    try:
        async with engine.connect() as conn:
            rows: list[Any] = list(
                await conn.execute(select(saml_keys).where(saml_keys.c.pool_id == world.pool_id))
            )
    finally:
        await engine.dispose()
    assert {r.use for r in rows} == {"signing", "encryption"}
    assert all("PRIVATE KEY" not in r.sealed_key and r.sealed_key.startswith("v1.") for r in rows)
