"""The auth-event log: events recorded for pools whose threat protection is on (AUDIT or
ENFORCED), AdminListUserAuthEvents' pages, feedback from the administrator and from the sealed
token a notification email carries, and the context an event keeps of its request."""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from mamori.crypto.aead import Keyring, SealError
from mamori.domain.errors import (
    NotAuthorizedException,
    ResourceNotFoundException,
    UserNotFoundException,
    UserPoolAddOnNotEnabledException,
)
from mamori.domain.ids import PoolId, UserSub
from mamori.domain.security.auth_events import (
    NO_RISK,
    AuthEvent,
    ChallengeStep,
    EventContext,
    EventFeedback,
    EventResponse,
    EventRisk,
    EventType,
    FeedbackProvider,
    FeedbackValue,
    RequestContext,
    device_name,
    with_feedback,
    with_step,
)
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.ports import Clock, Page

# Cognito keeps a user's events for 90 days (its default here; `auth_event_retention_days`).
DEFAULT_RETENTION = timedelta(days=90)
# AdminListUserAuthEvents: MaxResults 0 or left out returns 60 (the model's maximum).
MAX_RESULTS = 60
_FEEDBACK = "auth-event-feedback:"
# EncodedData is opaque and its size the client's choice: past this it is not kept at all.
MAX_ENCODED_DATA = 8192
_MAX_FIELD = 256
ON_MODES = frozenset({"AUDIT", "ENFORCED"})
# The model documents the class ("thrown when user pool add-ons aren't enabled"), not a message.
NOT_ENABLED = "User pool add-ons are not enabled for this user pool."
BAD_TOKEN = "Invalid feedback token."


class AuthEventStore(Protocol):
    async def add_event(self, event: AuthEvent) -> None: ...
    async def save_event(self, event: AuthEvent) -> bool: ...
    async def get_event(self, pool_id: str, event_id: str) -> AuthEvent | None: ...
    async def list_events(
        self, pool_id: str, sub: str, limit: int, after: str | None
    ) -> Page[AuthEvent]: ...


class OldAuthEvents(Protocol):
    """The purge's port: events past their retention, in every pool."""

    async def count_auth_events_before(self, cutoff: datetime) -> int: ...
    async def delete_auth_events_before(self, cutoff: datetime, batch: int) -> int:
        """Deletes events created before `cutoff`, `batch` rows per statement and transaction,
        until none is left; how many it deleted."""


class PoolLookup(Protocol):
    async def require(self, pool_id: str) -> UserPool: ...


class UserLookup(Protocol):
    async def require(self, pool: UserPool, username: str) -> User: ...


@dataclass(frozen=True)
class Place:
    city: str | None = None
    country: str | None = None
    timezone: str | None = None


class IpLocator(Protocol):
    """Where an address is (a GeoIP database: the risk engine's part); None when unknown."""

    def locate(self, ip: str) -> Place | None: ...


def logs_events(pool: UserPool) -> bool:
    """Cognito records auth events only with threat protection on: read from the pool itself,
    so a pool with it OFF costs the sign-in nothing more."""
    add_ons = pool.add_ons
    return add_ons is not None and add_ons.advanced_security_mode in ON_MODES


def compromised_risk(compromised: bool) -> EventRisk:
    """An event's risk before the risk engine is wired in: NoRisk, with the compromised-
    credentials check's finding."""
    return EventRisk(NO_RISK.decision, None, compromised) if compromised else NO_RISK


def _bounded(value: str | None, limit: int = _MAX_FIELD) -> str | None:
    return value[:limit] if value else None


def event_context(request: RequestContext, locator: IpLocator | None = None) -> EventContext:
    """EventContextData from what the request says; city, country and time zone from
    `locator` (none yet: the GeoIP adapter brings one)."""
    ip = _bounded(request.ip, 64)
    place = locator.locate(ip) if locator is not None and ip else None
    encoded = request.encoded_data
    return EventContext(
        ip=ip,
        device_name=device_name(request.user_agent),
        timezone=_bounded(place.timezone, 64) if place else None,
        city=_bounded(place.city) if place else None,
        country=_bounded(place.country) if place else None,
        encoded_data=encoded if encoded and len(encoded) <= MAX_ENCODED_DATA else None,
    )


class AuthEventLog:
    def __init__(
        self,
        store: AuthEventStore,
        pools: PoolLookup,
        users: UserLookup,
        keyring: Keyring,
        clock: Clock,
        retention: timedelta = DEFAULT_RETENTION,
        locator: IpLocator | None = None,
    ) -> None:
        self._store = store
        self._pools = pools
        self._users = users
        self._keyring = keyring
        self._clock = clock
        self._retention = retention
        self._locator = locator

    # --- recording
    def new_event(
        self,
        pool: UserPool,
        sub: str,
        kind: EventType,
        response: EventResponse,
        request: RequestContext | None,
        steps: tuple[ChallengeStep, ...] = (),
        risk: EventRisk = NO_RISK,
    ) -> AuthEvent:
        """An event not yet written (its id is known before the write: a sign-in seals it into
        its Session first)."""
        return AuthEvent(
            id=str(uuid.uuid4()),
            pool_id=PoolId(pool.id),
            user_sub=UserSub(sub),
            type=kind,
            created=self._clock.now(),
            response=response,
            risk=risk,
            steps=steps,
            context=event_context(request or RequestContext(), self._locator),
        )

    async def record(
        self,
        pool: UserPool,
        sub: str,
        kind: EventType,
        response: EventResponse,
        request: RequestContext | None,
        steps: tuple[ChallengeStep, ...] = (),
        risk: EventRisk = NO_RISK,
    ) -> AuthEvent | None:
        """Writes an event when the pool logs events (nothing, no round trip, otherwise)."""
        if not logs_events(pool):
            return None
        event = self.new_event(pool, sub, kind, response, request, steps, risk)
        await self._store.add_event(event)
        return event

    async def add(self, event: AuthEvent) -> None:
        await self._store.add_event(event)

    async def update(
        self,
        pool: UserPool,
        event_id: str,
        step: ChallengeStep | None,
        response: EventResponse,
    ) -> None:
        """A sign-in's later step answered or failed: `step` appended (None: only the response
        changes), the response now `response`. Nothing if the event is gone (purged)."""
        event = await self._store.get_event(pool.id, event_id)
        if event is None:
            return
        if step is not None:
            event = with_step(event, step, response)
        else:
            event = dataclasses.replace(event, response=response)
        await self._store.save_event(event)

    def feedback_token(self, event: AuthEvent) -> str:
        """What a notification email's one-click links carry: sealed to the pool, naming the
        event and its user, valid while the event is kept."""
        expires = event.created + self._retention
        payload = {"e": event.id, "s": event.user_sub, "x": int(expires.timestamp())}
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return self._keyring.seal(raw, _FEEDBACK + event.pool_id)

    # --- the operations
    async def _enabled_pool(self, pool_id: str) -> UserPool:
        pool = await self._pools.require(pool_id)
        if not logs_events(pool):
            raise UserPoolAddOnNotEnabledException(NOT_ENABLED)
        return pool

    async def admin_list_user_auth_events(
        self, pool_id: str, username: str, max_results: int | None, next_token: str | None
    ) -> Page[AuthEvent]:
        pool = await self._enabled_pool(pool_id)
        user = await self._users.require(pool, username)
        limit = max_results if max_results else MAX_RESULTS
        return await self._store.list_events(pool.id, user.sub, limit, next_token)

    async def admin_update_auth_event_feedback(
        self, pool_id: str, username: str, event_id: str, value: str
    ) -> None:
        pool = await self._enabled_pool(pool_id)
        user = await self._users.require(pool, username)
        await self._give(pool, user, event_id, FeedbackValue(value), FeedbackProvider.ADMIN)

    async def update_auth_event_feedback(
        self, pool_id: str, username: str, event_id: str, token: str, value: str
    ) -> None:
        """The public operation: the token decides before anything about the user is told,
        so an unauthenticated caller learns nothing of who exists (a wrong token, an unknown
        user and another user's token are all NotAuthorized)."""
        pool = await self._enabled_pool(pool_id)
        sub = self._token_sub(token, pool.id, event_id)
        if sub is None:
            raise NotAuthorizedException(BAD_TOKEN)
        try:
            user = await self._users.require(pool, username)
        except UserNotFoundException as exc:
            raise NotAuthorizedException(BAD_TOKEN) from exc
        if user.sub != sub:
            raise NotAuthorizedException(BAD_TOKEN)
        await self._give(pool, user, event_id, FeedbackValue(value), FeedbackProvider.USER)

    async def link_feedback(
        self, pool_id: str, event_id: str, token: str, value: FeedbackValue
    ) -> None:
        """A notification's one-click link (services/security/takeover_notices.py): the token
        names the event's user, so no username is asked. Idempotent: the same feedback from the
        user again is not rewritten (its date stays the first click's). NotAuthorizedException
        for a token that isn't this event's, or an event gone."""
        pool = await self._enabled_pool(pool_id)
        sub = self._token_sub(token, pool.id, event_id)
        if sub is None:
            raise NotAuthorizedException(BAD_TOKEN)
        event = await self._store.get_event(pool.id, event_id)
        if event is None or event.user_sub != sub:
            raise NotAuthorizedException(BAD_TOKEN)
        given = event.feedback
        if given is not None and (given.value, given.provider) == (value, FeedbackProvider.USER):
            return
        feedback = EventFeedback(value, FeedbackProvider.USER, self._clock.now())
        await self._store.save_event(with_feedback(event, feedback))

    def _token_sub(self, token: str, pool_id: str, event_id: str) -> str | None:
        """The user a valid, unexpired token for this pool's event names; None otherwise."""
        try:
            payload: Any = json.loads(self._keyring.open(token, _FEEDBACK + pool_id))
        except (SealError, ValueError):
            return None
        if not isinstance(payload, dict):
            return None
        expires, sub = payload.get("x"), payload.get("s")
        if (
            payload.get("e") != event_id
            or not isinstance(sub, str)
            or not isinstance(expires, int)
            or expires <= self._clock.now().timestamp()
        ):
            return None
        return sub

    async def _give(
        self, pool: UserPool, user: User, event_id: str, value: FeedbackValue, by: FeedbackProvider
    ) -> None:
        event = await self._store.get_event(pool.id, event_id)
        if event is None or event.user_sub != user.sub:
            raise ResourceNotFoundException("Auth event not found.")
        feedback = EventFeedback(value, by, self._clock.now())
        await self._store.save_event(with_feedback(event, feedback))


__all__ = [
    "AuthEventLog",
    "AuthEventStore",
    "IpLocator",
    "OldAuthEvents",
    "Place",
    "compromised_risk",
    "event_context",
    "logs_events",
]
