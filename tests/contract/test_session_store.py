"""SqlRefreshSessionStore, SqlCodeStore and SqlOutbox: single use under concurrency, revocation,
order."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import timedelta

import anyio
import pytest
from tests.support.entities import NOW
from tests.support.stores import Stores

from mamori.domain.ids import ClientId, PoolId, UserSub, new_sub
from mamori.services.ports import Message
from mamori.services.tokens.ports import RefreshSession

pytestmark = pytest.mark.anyio


def refresh_session(pool_id: PoolId, sub: UserSub, origin: str | None = None) -> RefreshSession:
    return RefreshSession(
        digest=secrets.token_hex(32),
        pool_id=pool_id,
        client_id=ClientId("client"),
        sub=sub,
        origin_jti=origin or secrets.token_hex(8),
        auth_time=1715949015,
        created=NOW,
        expires=NOW + timedelta(days=30),
    )


def message(pool_id: PoolId, to: str, code: str | None = "123456") -> Message:
    return Message(pool_id, "EMAIL", to, "Your code", f"code {code}", "confirmation", code, NOW)


async def test_session_round_trip(stores: Stores) -> None:
    pool = await stores.pool()
    session = refresh_session(pool.id, new_sub())
    await stores.sessions.add_session(session)
    assert await stores.sessions.get_session(session.digest) == session
    assert await stores.sessions.get_session("unknown-digest") is None


async def test_mark_replaced_wins_once_even_under_concurrency(stores: Stores) -> None:
    pool = await stores.pool()
    session = refresh_session(pool.id, new_sub())
    await stores.sessions.add_session(session)
    wins: list[bool] = []

    async def rotate() -> None:
        wins.append(await stores.sessions.mark_replaced(session.digest, NOW + timedelta(1)))

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(rotate)
    assert sorted(wins) == [False, False, False, False, True]
    stored = await stores.sessions.get_session(session.digest)
    assert stored is not None and stored.replaced_at == NOW + timedelta(1)


async def test_revoking_an_origin_revokes_its_whole_chain_only(stores: Stores) -> None:
    pool = await stores.pool()
    sub = new_sub()
    first = refresh_session(pool.id, sub, "origin-1")
    rotated = refresh_session(pool.id, sub, "origin-1")
    other = refresh_session(pool.id, sub, "origin-2")
    for s in (first, rotated, other):
        await stores.sessions.add_session(s)
    assert not await stores.sessions.is_origin_revoked(pool.id, "origin-1")
    await stores.sessions.revoke_origin(pool.id, "origin-1")
    assert await stores.sessions.is_origin_revoked(pool.id, "origin-1")
    assert not await stores.sessions.is_origin_revoked(pool.id, "origin-2")
    for s, revoked in ((first, True), (rotated, True), (other, False)):
        stored = await stores.sessions.get_session(s.digest)
        assert stored is not None and stored.revoked is revoked


async def test_a_successor_added_after_the_revocation_stays_revoked(stores: Stores) -> None:
    """Issue 9: reuse detection revokes a family while a refresh of its newest token may be
    adding a successor; the successor (added unrevoked, after the update) is revoked too, for
    the refresh, the access-token check and ServerSideTokenCheck alike."""
    pool = await stores.pool()
    client = await stores.client(pool)
    user = await stores.user(pool)
    first = dataclasses.replace(refresh_session(pool.id, user.sub), client_id=client.id)
    await stores.sessions.add_session(first)
    await stores.sessions.revoke_origin(pool.id, first.origin_jti)
    late = dataclasses.replace(first, digest=secrets.token_hex(32))
    await stores.sessions.add_session(late)
    found = await stores.sessions.get_session_with_user(late.digest)
    assert found is not None and found[0].revoked and found[1] is not None
    assert await stores.sessions.is_origin_revoked(pool.id, first.origin_jti)
    holder = await stores.users.get_user_for_token(pool.id, user.sub, first.origin_jti, client.id)
    assert holder.revoked and holder.client_exists and holder.user is not None
    # Another sign-in of the same user stays live.
    other = dataclasses.replace(first, digest=secrets.token_hex(32), origin_jti="other")
    await stores.sessions.add_session(other)
    found = await stores.sessions.get_session_with_user(other.digest)
    assert found is not None and not found[0].revoked
    holder = await stores.users.get_user_for_token(pool.id, user.sub, "other", client.id)
    assert not holder.revoked and holder.user == found[1]


async def test_token_holder_knows_whether_the_client_exists(stores: Stores) -> None:
    pool, elsewhere = await stores.pool(), await stores.pool()
    client, foreign = await stores.client(pool), await stores.client(elsewhere)
    user = await stores.user(pool)
    assert (await stores.users.get_user_for_token(pool.id, user.sub, "o", client.id)).client_exists
    # Another pool's client is no client of this pool.
    holder = await stores.users.get_user_for_token(pool.id, user.sub, "o", foreign.id)
    assert not holder.client_exists
    await stores.clients.delete_client(pool.id, client.id)
    holder = await stores.users.get_user_for_token(pool.id, user.sub, "o", client.id)
    assert not holder.client_exists and not holder.revoked and holder.user is not None


async def test_revoke_user_revokes_only_that_user(stores: Stores) -> None:
    pool = await stores.pool()
    mine, theirs = refresh_session(pool.id, new_sub()), refresh_session(pool.id, new_sub())
    for s in (mine, theirs):
        await stores.sessions.add_session(s)
    await stores.sessions.revoke_user(pool.id, mine.sub)
    assert await stores.sessions.is_origin_revoked(pool.id, mine.origin_jti)
    assert not await stores.sessions.is_origin_revoked(pool.id, theirs.origin_jti)


async def test_code_put_get_attempts_and_single_use(stores: Stores) -> None:
    pool = await stores.pool()
    sub = new_sub()
    assert await stores.codes.get_code(pool.id, sub, "signup") is None
    await stores.codes.put_code(pool.id, sub, "signup", "digest-1", NOW)
    first = await stores.codes.count_attempt(pool.id, sub, "signup")
    assert first is not None and (first.digest, first.attempts) == ("digest-1", 1)
    await stores.codes.count_attempt(pool.id, sub, "signup")
    assert await stores.codes.count_attempt(pool.id, new_sub(), "signup") is None
    stored = await stores.codes.get_code(pool.id, sub, "signup")
    assert stored is not None
    assert (stored.digest, stored.expires, stored.attempts) == ("digest-1", NOW, 2)

    # A new code replaces the old one and starts its attempts afresh; purposes are separate.
    await stores.codes.put_code(pool.id, sub, "signup", "digest-2", NOW + timedelta(1))
    await stores.codes.put_code(pool.id, sub, "reset", "digest-3", NOW)
    stored = await stores.codes.get_code(pool.id, sub, "signup")
    assert stored is not None
    assert (stored.digest, stored.expires, stored.attempts) == ("digest-2", NOW + timedelta(1), 0)

    results: list[bool] = []

    async def consume() -> None:
        results.append(await stores.codes.delete_code(pool.id, sub, "signup"))

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(consume)
    assert sorted(results) == [False, False, False, True]
    assert await stores.codes.get_code(pool.id, sub, "signup") is None
    assert await stores.codes.get_code(pool.id, sub, "reset") is not None


async def test_concurrent_puts_leave_exactly_one_code(stores: Stores) -> None:
    pool = await stores.pool()
    sub = new_sub()
    digests = [f"digest-{i}" for i in range(5)]

    async def put(digest: str) -> None:
        await stores.codes.put_code(pool.id, sub, "signup", digest, NOW)

    async with anyio.create_task_group() as tg:
        for digest in digests:
            tg.start_soon(put, digest)
    stored = await stores.codes.get_code(pool.id, sub, "signup")
    assert stored is not None and stored.digest in digests


async def test_outbox_filters_and_keeps_the_newest_in_order(stores: Stores) -> None:
    pool, other = await stores.pool(), await stores.pool()
    for i in range(5):
        await stores.outbox.send(message(pool.id, "a@example.com", f"00000{i}"))
    await stores.outbox.send(message(pool.id, "b@example.com", None))
    await stores.outbox.send(message(other.id, "a@example.com", "999999"))

    to_a = await stores.outbox.list_messages(pool.id, "a@example.com", 100)
    assert [m.code for m in to_a] == [f"00000{i}" for i in range(5)]
    assert [m.id for m in to_a] == sorted(m.id for m in to_a)
    assert all(m.pool_id == pool.id and m.created == NOW for m in to_a)
    newest = await stores.outbox.list_messages(pool.id, "a@example.com", 2)
    assert [m.code for m in newest] == ["000003", "000004"]
    everything = await stores.outbox.list_messages(pool.id, None, 100)
    assert [m.destination for m in everything][-1] == "b@example.com"
    assert len(everything) == 6
    anywhere = await stores.outbox.list_messages(None, "a@example.com", 100)
    assert {m.pool_id for m in anywhere} >= {pool.id, other.id}


async def test_concurrent_attempts_each_see_their_own_count(stores: Stores) -> None:
    # ConfirmSignUp bursts: were the count read back after the update, all 20 could read 20
    # and the right code would be refused by every one of them.
    pool = await stores.pool()
    sub = new_sub()
    await stores.codes.put_code(pool.id, sub, "signup", "digest", NOW)
    counts: list[int] = []

    async def attempt() -> None:
        counted = await stores.codes.count_attempt(pool.id, sub, "signup")
        assert counted is not None
        counts.append(counted.attempts)

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(attempt)
    assert sorted(counts) == list(range(1, 21))
