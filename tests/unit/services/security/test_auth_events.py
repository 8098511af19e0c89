"""AuthEventLog with an in-memory store: nothing recorded or read for a pool with threat
protection OFF; the context an event keeps; MaxResults' default; feedback from the
administrator and through the sealed feedback token (its pool, event, user and expiry)."""

from __future__ import annotations

import secrets

import pytest
from tests.support.entities import pool_value, user_value
from tests.support.inprocess import FrozenClock

from mamori.crypto.aead import Keyring
from mamori.domain.errors import (
    NotAuthorizedException,
    ResourceNotFoundException,
    UserNotFoundException,
    UserPoolAddOnNotEnabledException,
)
from mamori.domain.security.auth_events import (
    AuthEvent,
    EventResponse,
    EventType,
    FeedbackProvider,
    FeedbackValue,
    RequestContext,
)
from mamori.domain.userpools.settings import UserPoolAddOns
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.ports import Page
from mamori.services.security.auth_events import (
    MAX_ENCODED_DATA,
    AuthEventLog,
    Place,
    event_context,
    logs_events,
)

pytestmark = pytest.mark.anyio


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


class Memory:
    def __init__(self) -> None:
        self.events: dict[tuple[str, str], AuthEvent] = {}
        self.pools: dict[str, UserPool] = {}
        self.users: dict[str, User] = {}
        self.asked = 0

    async def add_event(self, event: AuthEvent) -> None:
        self.events[(event.pool_id, event.id)] = event

    async def save_event(self, event: AuthEvent) -> bool:
        if (event.pool_id, event.id) not in self.events:
            return False
        self.events[(event.pool_id, event.id)] = event
        return True

    async def get_event(self, pool_id: str, event_id: str) -> AuthEvent | None:
        return self.events.get((pool_id, event_id))

    async def list_events(
        self, pool_id: str, sub: str, limit: int, after: str | None
    ) -> Page[AuthEvent]:
        self.asked = limit
        mine = [e for e in self.events.values() if e.pool_id == pool_id and e.user_sub == sub]
        return Page(sorted(mine, key=lambda e: e.created, reverse=True)[:limit], None)


class Pools:
    def __init__(self, memory: Memory) -> None:
        self._memory = memory

    async def require(self, pool_id: str) -> UserPool:
        return self._memory.pools[pool_id]


class Users:
    def __init__(self, memory: Memory) -> None:
        self._memory = memory

    async def require(self, pool: UserPool, username: str) -> User:
        user = self._memory.users.get(username)
        if user is None or user.pool_id != pool.id:
            raise UserNotFoundException("User does not exist.")
        return user


def setup(mode: str | None = "AUDIT") -> tuple[AuthEventLog, Memory, UserPool, User, FrozenClock]:
    memory = Memory()
    pool = pool_value(add_ons=UserPoolAddOns(advanced_security_mode=mode))
    user = user_value(pool)
    memory.pools[pool.id] = pool
    memory.users[user.username] = user
    clock = FrozenClock()
    log = AuthEventLog(
        memory, Pools(memory), Users(memory), Keyring(secrets.token_bytes(32)), clock
    )
    return log, memory, pool, user, clock


@pytest.mark.parametrize("mode", [None, "OFF"])
async def test_threat_protection_off_records_nothing_and_lists_nothing(mode: str | None) -> None:
    log, memory, pool, user, _ = setup(mode)
    assert not logs_events(pool)
    got = await log.record(pool, user.sub, EventType.SIGN_UP, EventResponse.PASS, None)
    assert got is None and memory.events == {}
    with pytest.raises(UserPoolAddOnNotEnabledException):
        await log.admin_list_user_auth_events(pool.id, user.username, None, None)
    with pytest.raises(UserPoolAddOnNotEnabledException):
        await log.admin_update_auth_event_feedback(pool.id, user.username, "e", "Valid")


async def test_an_event_keeps_its_context_and_max_results_defaults_to_60() -> None:
    log, memory, pool, user, clock = setup("ENFORCED")
    context = RequestContext("203.0.113.9", "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0", "x")
    event = await log.record(pool, user.sub, EventType.SIGN_UP, EventResponse.PASS, context)
    assert event is not None and event.created == clock.now()
    assert event.context.ip == "203.0.113.9"
    assert event.context.device_name == "Firefox 121, Linux"
    assert event.context.encoded_data == "x"
    page = await log.admin_list_user_auth_events(pool.id, user.username, 0, None)
    assert page.items == [event] and memory.asked == 60
    await log.admin_list_user_auth_events(pool.id, user.username, 5, None)
    assert memory.asked == 5


def test_event_context_asks_the_locator_and_drops_oversized_encoded_data() -> None:
    class Locator:
        def locate(self, ip: str) -> Place | None:
            return Place("Lisbon", "Portugal", "Europe/Lisbon") if ip == "192.0.2.1" else None

    placed = event_context(RequestContext("192.0.2.1", None, "a" * MAX_ENCODED_DATA), Locator())
    assert (placed.city, placed.country, placed.timezone) == ("Lisbon", "Portugal", "Europe/Lisbon")
    assert placed.device_name is None and placed.encoded_data == "a" * MAX_ENCODED_DATA
    unknown = event_context(RequestContext("192.0.2.2", None, "a" * (MAX_ENCODED_DATA + 1)))
    assert (unknown.city, unknown.country, unknown.encoded_data) == (None, None, None)


async def test_admin_feedback_and_an_unknown_event() -> None:
    log, memory, pool, user, clock = setup()
    event = await log.record(pool, user.sub, EventType.SIGN_IN, EventResponse.PASS, None)
    assert event is not None
    clock.advance(minutes=5)
    await log.admin_update_auth_event_feedback(pool.id, user.username, event.id, "Invalid")
    given = memory.events[(pool.id, event.id)].feedback
    assert given is not None
    assert (given.value, given.provider, given.date) == (
        FeedbackValue.INVALID,
        FeedbackProvider.ADMIN,
        clock.now(),
    )
    with pytest.raises(ResourceNotFoundException):
        await log.admin_update_auth_event_feedback(pool.id, user.username, "nope", "Valid")


async def test_the_feedback_token_names_its_pool_event_and_user_until_it_expires() -> None:
    log, memory, pool, user, clock = setup()
    event = await log.record(pool, user.sub, EventType.SIGN_IN, EventResponse.PASS, None)
    other = await log.record(pool, user.sub, EventType.SIGN_IN, EventResponse.FAIL, None)
    assert event is not None and other is not None
    token = log.feedback_token(event)
    for bad in ("garbage", log.feedback_token(other), token[:-4] + "AAAA"):
        with pytest.raises(NotAuthorizedException):
            await log.update_auth_event_feedback(pool.id, user.username, event.id, bad, "Valid")
    await log.update_auth_event_feedback(pool.id, user.username, event.id, token, "Valid")
    given = memory.events[(pool.id, event.id)].feedback
    assert given is not None and given.provider is FeedbackProvider.USER
    # Another user of the pool can't use it, nor can it be used after the retention.
    someone = user_value(pool)
    memory.users[someone.username] = someone
    with pytest.raises(NotAuthorizedException):
        await log.update_auth_event_feedback(pool.id, someone.username, event.id, token, "Valid")
    # Nobody learns who exists: an unknown name is refused as a bad token is.
    for named, given in (("nobody", token), ("nobody", "garbage")):
        with pytest.raises(NotAuthorizedException):
            await log.update_auth_event_feedback(pool.id, named, event.id, given, "Valid")
    clock.advance(days=91)
    with pytest.raises(NotAuthorizedException):
        await log.update_auth_event_feedback(pool.id, user.username, event.id, token, "Invalid")


async def test_a_token_sealed_for_another_pool_is_refused() -> None:
    log, memory, pool, user, _ = setup()
    elsewhere = pool_value(add_ons=UserPoolAddOns(advanced_security_mode="AUDIT"))
    memory.pools[elsewhere.id] = elsewhere
    event = await log.record(pool, user.sub, EventType.SIGN_IN, EventResponse.PASS, None)
    assert event is not None
    token = log.feedback_token(event)
    moved = AuthEvent(
        event.id, elsewhere.id, user.sub, EventType.SIGN_IN, event.created, EventResponse.PASS
    )
    memory.events[(elsewhere.id, event.id)] = moved
    user_there = user_value(elsewhere)
    memory.users[user.username] = user_there
    with pytest.raises(NotAuthorizedException):
        await log.update_auth_event_feedback(elsewhere.id, user.username, event.id, token, "Valid")
