"""SqlAuthorizationCodeStore: a code redeems once even under concurrency, a replay is flagged and
names the family to revoke, every call is scoped by pool, expired codes are purged."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from tests.support.entities import NOW
from tests.support.stores import Stores

from mamori.adapters.store.sql.authorization_codes import SqlAuthorizationCodeStore
from mamori.domain.oauth.authorization import AuthorizationGrant
from mamori.services.oauth.ports import RedeemedCode

pytestmark = pytest.mark.anyio


def grant(pool_id: str, **overrides: object) -> AuthorizationGrant:
    values: dict[str, object] = {
        "pool_id": pool_id,
        "client_id": "client-1",
        "sub": "sub-1",
        "redirect_uri": "https://app.example/callback?x=1",
        "scopes": ("openid", "email", "api/read"),
        "auth_time": 1_715_949_015,
        "nonce": "n-0S6_WzA2Mj",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    }
    values.update(overrides)
    return AuthorizationGrant(**values)  # type: ignore[arg-type]


async def test_a_code_redeems_once_and_a_replay_names_its_family(stores: Stores) -> None:
    store = SqlAuthorizationCodeStore(stores.engine)
    pool = await stores.pool()
    digest = secrets.token_hex(32)
    issued = grant(pool.id)
    await store.add_code(digest, issued, NOW + timedelta(minutes=5))
    assert await store.mark_replayed(pool.id, digest) is None  # not used yet: no replay
    redeemed = await store.redeem_code(pool.id, digest, NOW, "origin-1")
    assert redeemed == RedeemedCode(issued, NOW + timedelta(minutes=5))
    assert await store.redeem_code(pool.id, digest, NOW, "origin-2") is None
    assert not await store.was_replayed(pool.id, digest)
    assert await store.mark_replayed(pool.id, digest) == "origin-1"
    assert await store.was_replayed(pool.id, digest)
    assert await store.redeem_code(pool.id, "unknown", NOW, "o") is None
    assert await store.mark_replayed(pool.id, "unknown") is None


async def test_optional_fields_round_trip(stores: Stores) -> None:
    store = SqlAuthorizationCodeStore(stores.engine)
    pool = await stores.pool()
    digest = secrets.token_hex(32)
    bare = grant(pool.id, nonce=None, code_challenge=None, scopes=("openid",))
    await store.add_code(digest, bare, NOW)
    found = await store.redeem_code(pool.id, digest, NOW, "o")
    assert found is not None and found.grant == bare


async def test_concurrent_redemptions_only_one_wins(stores: Stores) -> None:
    store = SqlAuthorizationCodeStore(stores.engine)
    pool = await stores.pool()
    digest = secrets.token_hex(32)
    await store.add_code(digest, grant(pool.id), NOW + timedelta(minutes=5))
    won: list[str] = []

    async def redeem(n: int) -> None:
        if await store.redeem_code(pool.id, digest, NOW, f"origin-{n}") is not None:
            won.append(f"origin-{n}")

    async with anyio.create_task_group() as tg:
        for n in range(8):
            tg.start_soon(redeem, n)
    assert len(won) == 1
    # The family a replay revokes is the winner's.
    assert await store.mark_replayed(pool.id, digest) == won[0]


async def test_pool_b_cannot_redeem_or_flag_pool_as_codes(stores: Stores) -> None:
    store = SqlAuthorizationCodeStore(stores.engine)
    pool_a, pool_b = await stores.pool(), await stores.pool()
    digest = secrets.token_hex(32)
    await store.add_code(digest, grant(pool_a.id), NOW + timedelta(minutes=5))
    assert await store.redeem_code(pool_b.id, digest, NOW, "b") is None
    assert await store.redeem_code(pool_a.id, digest, NOW, "a") is not None
    assert await store.mark_replayed(pool_b.id, digest) is None
    assert not await store.was_replayed(pool_a.id, digest)


async def test_expired_codes_are_purged(stores: Stores) -> None:
    store = SqlAuthorizationCodeStore(stores.engine)
    pool = await stores.pool()
    # A year of its own, long past: the suite's other rows are from 2024 on.
    base = datetime(2001, 3, 4, 5, 6, 7, tzinfo=UTC)
    await store.delete_authorization_codes_expired_before(base + timedelta(days=400), 1000)
    for minutes in (1, 2, 3):
        expires = base + timedelta(minutes=minutes)
        await store.add_code(secrets.token_hex(32), grant(pool.id), expires)
    cutoff = base + timedelta(minutes=2, seconds=30)
    assert await store.count_authorization_codes_expired_before(cutoff) == 2
    assert await store.delete_authorization_codes_expired_before(cutoff, 1) == 2
    assert await store.count_authorization_codes_expired_before(cutoff) == 0
    assert await store.count_authorization_codes_expired_before(base + timedelta(hours=1)) == 1
