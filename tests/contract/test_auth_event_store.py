"""SqlAuthEventStore (the auth-event log) on SQLite and PostgreSQL: an event written and read
back whole; a sign-in's later step and feedback rewrite it; a user's events newest first in
keyset pages (ties by id); pool B never sees or changes pool A's events; events go with their
user and their pool; the purge deletes events created before the cutoff in every pool."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from tests.support.entities import NOW
from tests.support.stores import Stores

from mamori.adapters.store.sql.auth_events import SqlAuthEventStore
from mamori.domain.errors import InvalidParameterException
from mamori.domain.ids import PoolId, UserSub
from mamori.domain.security.auth_events import (
    AuthEvent,
    ChallengeStep,
    EventContext,
    EventFeedback,
    EventResponse,
    EventRisk,
    EventTrace,
    EventType,
    FeedbackProvider,
    FeedbackValue,
    RiskDecision,
    RiskLevel,
    StepName,
    StepResult,
    with_feedback,
    with_step,
)

pytestmark = pytest.mark.anyio


def event(pool_id: str, sub: str, created: object = NOW, **overrides: object) -> AuthEvent:
    values: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "pool_id": PoolId(pool_id),
        "user_sub": UserSub(sub),
        "type": EventType.SIGN_IN,
        "created": created,
        "response": EventResponse.IN_PROGRESS,
        "steps": (ChallengeStep(StepName.PASSWORD, StepResult.SUCCESS),),
        "context": EventContext(
            ip="203.0.113.7",
            device_name="Chrome 120, Windows 10",
            timezone="+01:00",
            encoded_data="opaque-device-data",
        ),
    }
    values.update(overrides)
    return AuthEvent(**values)  # type: ignore[arg-type]


async def test_an_event_is_written_read_and_rewritten(stores: Stores) -> None:
    store = SqlAuthEventStore(stores.engine)
    pool = await stores.pool()
    user = await stores.user(pool)
    written = event(
        pool.id,
        user.sub,
        risk=EventRisk(RiskDecision.ACCOUNT_TAKEOVER, RiskLevel.MEDIUM, True),
    )
    await store.add_event(written)
    assert await store.get_event(pool.id, written.id) == written
    done = with_step(written, ChallengeStep(StepName.MFA, StepResult.SUCCESS), EventResponse.PASS)
    done = with_feedback(done, EventFeedback(FeedbackValue.INVALID, FeedbackProvider.ADMIN, NOW))
    assert await store.save_event(done)
    assert await store.get_event(pool.id, written.id) == done


async def test_a_users_events_page_newest_first(stores: Stores) -> None:
    store = SqlAuthEventStore(stores.engine)
    pool = await stores.pool()
    user, other = await stores.user(pool), await stores.user(pool)
    made = [event(pool.id, user.sub, NOW + timedelta(seconds=i)) for i in range(5)]
    # Two at the same instant: the id breaks the tie, and paging neither skips nor repeats.
    made += [event(pool.id, user.sub, NOW + timedelta(seconds=2)) for _ in range(2)]
    for e in made:
        await store.add_event(e)
    await store.add_event(event(pool.id, other.sub))
    expected = sorted(made, key=lambda e: (e.created, e.id), reverse=True)
    seen: list[AuthEvent] = []
    token = None
    while True:
        page = await store.list_events(pool.id, user.sub, 3, token)
        seen += page.items
        token = page.next_token
        if token is None:
            break
    assert seen == expected
    with pytest.raises(InvalidParameterException):
        await store.list_events(pool.id, user.sub, 3, "not a token!")


async def test_pool_b_never_sees_or_changes_pool_as_events(stores: Stores) -> None:
    store = SqlAuthEventStore(stores.engine)
    pool_a, pool_b = await stores.pool(), await stores.pool()
    user = await stores.user(pool_a)
    mine = event(pool_a.id, user.sub)
    await store.add_event(mine)
    assert await store.get_event(pool_b.id, mine.id) is None
    assert (await store.list_events(pool_b.id, user.sub, 10, None)).items == []
    assert not await store.save_event(
        event(pool_b.id, user.sub, id=mine.id, response=EventResponse.FAIL)
    )
    assert await store.get_event(pool_a.id, mine.id) == mine


async def test_events_go_with_their_user_and_their_pool(stores: Stores) -> None:
    store = SqlAuthEventStore(stores.engine)
    pool = await stores.pool()
    user, kept = await stores.user(pool), await stores.user(pool)
    gone, stays = event(pool.id, user.sub), event(pool.id, kept.sub)
    await store.add_event(gone)
    await store.add_event(stays)
    await stores.users.delete_user(pool.id, user.sub)
    assert await store.get_event(pool.id, gone.id) is None
    assert await store.get_event(pool.id, stays.id) == stays
    await stores.pools.delete_pool(pool.id)
    assert await store.get_event(pool.id, stays.id) is None


async def test_the_purge_deletes_old_events_of_every_pool(stores: Stores) -> None:
    store = SqlAuthEventStore(stores.engine)
    # Far in the past, so other tests' rows on this shared database are not in the counts.
    long_ago = NOW - timedelta(days=3650)
    pools = [await stores.pool(), await stores.pool()]
    old = [event(p.id, "sub-old", long_ago) for p in pools for _ in range(3)]
    recent = event(pools[0].id, "sub-new", long_ago + timedelta(days=2))
    for e in [*old, recent]:
        await store.add_event(e)
    cutoff = long_ago + timedelta(days=1)
    assert await store.count_auth_events_before(cutoff) == 6
    assert await store.delete_auth_events_before(cutoff, 4) == 6
    assert await store.count_auth_events_before(cutoff) == 0
    assert await store.get_event(pools[0].id, recent.id) == recent


async def test_the_risk_history_groups_the_users_latest_sign_ins_and_feedback(
    stores: Stores,
) -> None:
    store = SqlAuthEventStore(stores.engine)
    pool = await stores.pool()
    user, other = await stores.user(pool), await stores.user(pool)
    given = EventFeedback(FeedbackValue.VALID, FeedbackProvider.USER, NOW + timedelta(hours=1))
    at = [NOW + timedelta(minutes=i) for i in range(8)]
    made = [
        event(pool.id, user.sub, at[0], response=EventResponse.PASS),
        event(pool.id, user.sub, at[1], response=EventResponse.FAIL),
        # Not a sign-in, no feedback: not read; a password change given feedback: read.
        event(pool.id, user.sub, at[2], type=EventType.SIGN_UP),
        event(pool.id, user.sub, at[3], type=EventType.PASSWORD_CHANGE, feedback=given),
        event(pool.id, user.sub, at[4], response=EventResponse.FAIL),
        event(pool.id, user.sub, at[5], response=EventResponse.PASS),
        event(pool.id, other.sub, at[6], response=EventResponse.PASS),
        # Another place: a group of its own.
        event(
            pool.id,
            user.sub,
            at[7],
            response=EventResponse.PASS,
            context=EventContext(ip="198.51.100.1", device_name="Firefox 128, Linux"),
        ),
    ]
    for e in made:
        await store.add_event(e)
    since = at[4]
    history = await store.risk_history(pool.id, user.sub, 10, since)
    passes, fails, changed = (
        made[5].context,
        made[4].context,
        made[3].context,
    )
    assert history == [
        EventTrace.of(made[7], since),
        EventTrace(
            EventType.SIGN_IN,
            EventResponse.PASS,
            at[5],
            passes.ip,
            passes.device_name,
            None,
            events=2,
            recent=1,
        ),
        EventTrace(
            EventType.SIGN_IN,
            EventResponse.FAIL,
            at[4],
            fails.ip,
            fails.device_name,
            None,
            events=2,
            recent=1,
        ),
        EventTrace(
            EventType.PASSWORD_CHANGE,
            EventResponse.IN_PROGRESS,
            at[3],
            changed.ip,
            changed.device_name,
            None,
            FeedbackValue.VALID,
            given.date,
            events=1,
            recent=0,
        ),
    ]
    # Only the latest `limit` are grouped: the two newest are the Firefox and one Pass.
    assert await store.risk_history(pool.id, user.sub, 2, since) == [
        history[0],
        EventTrace(
            EventType.SIGN_IN,
            EventResponse.PASS,
            at[5],
            passes.ip,
            passes.device_name,
            None,
            events=1,
            recent=1,
        ),
    ]
    assert await store.risk_history(pool.id, "nobody", 10, since) == []
