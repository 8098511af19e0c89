"""SqlSamlStore (a pool's SAML service provider state) on SQLite and PostgreSQL: a request
taken once and only by its pool, expired ones refused; an assertion recorded once (a replay
is refused) per pool; keys kept per pool and use, the first one made winning; the purge of
expired rows across pools. And the SAML sign-in a hosted-login session keeps, ended by the
IdP's NameID."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from tests.support.entities import NOW
from tests.support.stores import Stores

from mamori.adapters.store.sql.login_sessions import SqlLoginSessionStore
from mamori.adapters.store.sql.saml import SqlSamlStore
from mamori.domain.oauth.saml_logins import SamlLogin
from mamori.services.federation.ports import SamlRequestRecord, SealedSamlKey
from mamori.services.oauth.ports import LoginSession

pytestmark = pytest.mark.anyio


def record(pool_id: str, expires_in: timedelta = timedelta(minutes=15)) -> SamlRequestRecord:
    return SamlRequestRecord(
        digest=secrets.token_hex(32),
        pool_id=pool_id,
        kind="signin",
        provider_name="Corp",
        request_id="id-" + secrets.token_hex(8),
        request={"client_id": "c1", "redirect_uri": "https://app.test/cb"},
        binding=secrets.token_hex(32),
        expires=NOW + expires_in,
    )


async def test_a_request_is_taken_once_and_only_by_its_pool(stores: Stores) -> None:
    store = SqlSamlStore(stores.engine)
    pool_a, pool_b = await stores.pool(), await stores.pool()
    sent = record(pool_a.id)
    await store.add_request(sent, NOW)
    assert await store.take_request(pool_b.id, sent.digest, NOW) is None
    assert await store.take_request(pool_a.id, sent.digest, NOW) == sent
    assert await store.take_request(pool_a.id, sent.digest, NOW) is None


async def test_an_expired_request_is_refused_and_cleared(stores: Stores) -> None:
    store = SqlSamlStore(stores.engine)
    pool = await stores.pool()
    old = record(pool.id, timedelta(minutes=1))
    await store.add_request(old, NOW)
    later = NOW + timedelta(minutes=2)
    assert await store.take_request(pool.id, old.digest, later) is None


async def test_the_purge_deletes_expired_requests_and_assertions_of_every_pool(
    stores: Stores,
) -> None:
    store = SqlSamlStore(stores.engine)
    pool_a, pool_b = await stores.pool(), await stores.pool()
    stale, live = record(pool_a.id, timedelta(minutes=1)), record(pool_b.id, timedelta(hours=1))
    await store.add_request(stale, NOW)
    await store.add_request(live, NOW)
    assert await store.first_use(pool_b.id, "old", NOW + timedelta(minutes=1), NOW)
    assert await store.first_use(pool_a.id, "new", NOW + timedelta(hours=1), NOW)
    cutoff = NOW + timedelta(minutes=2)
    assert await store.count_saml_expired_before(cutoff) >= 2
    assert await store.delete_saml_expired_before(cutoff, 1) >= 2
    assert await store.count_saml_expired_before(cutoff) == 0
    assert await store.take_request(pool_a.id, stale.digest, NOW) is None
    assert await store.take_request(pool_b.id, live.digest, NOW) == live
    assert not await store.first_use(pool_a.id, "new", NOW + timedelta(hours=1), NOW)


async def test_an_assertion_is_accepted_once_per_pool(stores: Stores) -> None:
    store = SqlSamlStore(stores.engine)
    pool_a, pool_b = await stores.pool(), await stores.pool()
    until = NOW + timedelta(minutes=10)
    assert await store.first_use(pool_a.id, "assertion-1", until, NOW)
    assert not await store.first_use(pool_a.id, "assertion-1", until, NOW)
    assert await store.first_use(pool_b.id, "assertion-1", until, NOW)
    # Once it has expired its record goes: it would be refused as expired anyway.
    assert await store.first_use(pool_a.id, "assertion-1", until, until + timedelta(seconds=1))


async def test_keys_per_pool_and_use_the_first_wins(stores: Stores) -> None:
    store = SqlSamlStore(stores.engine)
    pool_a, pool_b = await stores.pool(), await stores.pool()
    first = SealedSamlKey("signing", "sealed-1", "cert-1", NOW)
    assert await store.add_saml_key(pool_a.id, first)
    assert not await store.add_saml_key(pool_a.id, SealedSamlKey("signing", "s2", "c2", NOW))
    assert await store.add_saml_key(pool_a.id, SealedSamlKey("encryption", "s3", "c3", NOW))
    assert {k.use: k.certificate for k in await store.saml_keys(pool_a.id)} == {
        "signing": "cert-1",
        "encryption": "c3",
    }
    assert await store.saml_keys(pool_b.id) == []


async def test_a_login_session_keeps_its_saml_sign_in(stores: Stores) -> None:
    store = SqlLoginSessionStore(stores.engine)
    pool_a, pool_b = await stores.pool(), await stores.pool()
    user = await stores.user(pool_a)
    saml = SamlLogin(
        "Corp", "alice@corp", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", "s1"
    )
    session = LoginSession(
        secrets.token_hex(32), pool_a.id, user.sub, 1, NOW, NOW + timedelta(hours=1), saml
    )
    plain = LoginSession(
        secrets.token_hex(32), pool_a.id, user.sub, 1, NOW, NOW + timedelta(hours=1)
    )
    await store.add_login(session)
    await store.add_login(plain)
    found = await store.get_login(pool_a.id, session.digest)
    assert found is not None and found.session.saml == saml
    found = await store.get_login(pool_a.id, plain.digest)
    assert found is not None and found.session.saml is None
    assert await store.delete_saml_logins(pool_b.id, "Corp", "alice@corp") == 0
    assert await store.delete_saml_logins(pool_a.id, "Other", "alice@corp") == 0
    assert await store.delete_saml_logins(pool_a.id, "Corp", "alice@corp") == 1
    assert await store.get_login(pool_a.id, session.digest) is None
    assert await store.get_login(pool_a.id, plain.digest) is not None
