"""The auth-event log in SQL: events written and updated (a sign-in's later steps, feedback),
a user's events newest first in keyset pages, and the purge of events past their retention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, and_, bindparam, case, delete, func, insert, or_, select, update

from mamori.adapters.store.sql.base import (
    SqlBase,
    aware,
    count_before,
    decode_token,
    delete_in_batches,
    encode_token,
    must_aware,
    purge_statements,
)
from mamori.adapters.store.sql.tables import auth_events
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
)
from mamori.services.ports import Page

_COUNT_OLD, _DELETE_OLD = purge_statements(
    auth_events.c.created, auth_events.c.pool_id, auth_events.c.id
)

# A pool with threat protection on writes an event at every sign-in and reads the user's recent
# history to assess it: hot-path statements, built once and run on the driver
# (connection/direct.py).
_c = auth_events.c
_COLUMNS = [col.name for col in auth_events.columns]
_ADD = insert(auth_events).values({name: bindparam(name) for name in _COLUMNS})
_SAVE = (
    update(auth_events)
    .where(_c.pool_id == bindparam("key_pool"), _c.id == bindparam("key_id"))
    .values({name: bindparam(name) for name in _COLUMNS if name not in ("pool_id", "id")})
    .returning(_c.id)
)
_GET = select(auth_events).where(_c.pool_id == bindparam("pool_id"), _c.id == bindparam("id"))
# What the risk engine compares (EventTrace): of the user's latest sign-ins and events given
# feedback (newest first, through ix_auth_events_user), one row per group of alike ones.
_LATEST = (
    select(
        _c.type,
        _c.response,
        _c.created,
        _c.ip,
        _c.device_name,
        _c.country,
        _c.feedback_value,
        _c.feedback_date,
    )
    .where(
        _c.pool_id == bindparam("pool_id"),
        _c.sub == bindparam("sub"),
        or_(_c.type == EventType.SIGN_IN.value, _c.feedback_value.is_not(None)),
    )
    .order_by(_c.created.desc(), _c.id.desc())
    .limit(bindparam("limit", type_=Integer()))
    .subquery()
)
_l = _LATEST.c
_ALIKE = (_l.type, _l.response, _l.ip, _l.device_name, _l.country, _l.feedback_value)
_RISK_HISTORY = (
    select(
        *_ALIKE,
        func.max(_l.created).label("created"),
        func.max(_l.feedback_date).label("feedback_date"),
        func.count().label("events"),
        func.sum(case((_l.created >= bindparam("since", type_=_c.created.type), 1), else_=0)).label(
            "recent"
        ),
    )
    .group_by(*_ALIKE)
    .order_by(func.max(_l.created).desc())
)


def _steps_text(steps: tuple[ChallengeStep, ...]) -> str:
    return ";".join(f"{s.name.value}={s.result.value}" for s in steps)


def _steps(text: str) -> tuple[ChallengeStep, ...]:
    out = []
    for part in filter(None, text.split(";")):
        name, _, result = part.partition("=")
        out.append(ChallengeStep(StepName(name), StepResult(result)))
    return tuple(out)


def _values(event: AuthEvent) -> dict[str, Any]:
    ctx = event.context
    feedback = event.feedback
    return {
        "sub": event.user_sub,
        "type": event.type.value,
        "created": event.created,
        "response": event.response.value,
        "risk_decision": event.risk.decision.value,
        "risk_level": event.risk.level.value if event.risk.level else None,
        "compromised": event.risk.compromised_credentials,
        "steps": _steps_text(event.steps),
        "ip": ctx.ip,
        "device_name": ctx.device_name,
        "timezone": ctx.timezone,
        "city": ctx.city,
        "country": ctx.country,
        "encoded_data": ctx.encoded_data,
        "feedback_value": feedback.value.value if feedback else None,
        "feedback_provider": feedback.provider.value if feedback else None,
        "feedback_date": feedback.date if feedback else None,
    }


def _event(row: Any) -> AuthEvent:
    feedback = None
    if row.feedback_value is not None:
        feedback = EventFeedback(
            FeedbackValue(row.feedback_value),
            FeedbackProvider(row.feedback_provider),
            must_aware(row.feedback_date),
        )
    return AuthEvent(
        id=row.id,
        pool_id=PoolId(row.pool_id),
        user_sub=UserSub(row.sub),
        type=EventType(row.type),
        created=must_aware(row.created),
        response=EventResponse(row.response),
        risk=EventRisk(
            RiskDecision(row.risk_decision),
            RiskLevel(row.risk_level) if row.risk_level else None,
            bool(row.compromised),
        ),
        steps=_steps(row.steps),
        context=EventContext(
            ip=row.ip,
            device_name=row.device_name,
            timezone=row.timezone,
            city=row.city,
            country=row.country,
            encoded_data=row.encoded_data,
        ),
        feedback=feedback,
    )


def _cursor(event: AuthEvent) -> str:
    return encode_token(f"{event.created.isoformat()}|{event.id}")


def _after(token: str | None) -> tuple[datetime, str] | None:
    key = decode_token(token)
    if key is None:
        return None
    when, _, event_id = key.partition("|")
    try:
        created = aware(datetime.fromisoformat(when))
    except ValueError as exc:
        raise InvalidParameterException("Invalid pagination token") from exc
    if created is None or not event_id:
        raise InvalidParameterException("Invalid pagination token")
    # SQLite compares the stored UTC text: the cursor's time must be UTC too.
    return created.astimezone(UTC), event_id


class SqlAuthEventStore(SqlBase):
    async def add_event(self, event: AuthEvent) -> None:
        await self._direct.write(_ADD, {"pool_id": event.pool_id, "id": event.id, **_values(event)})

    async def save_event(self, event: AuthEvent) -> bool:
        """Rewrites an event (a sign-in's next step, feedback); False when there is none."""
        params = {"key_pool": event.pool_id, "key_id": event.id, **_values(event)}
        return bool(await self._direct.write(_SAVE, params))

    async def get_event(self, pool_id: str, event_id: str) -> AuthEvent | None:
        row = await self._direct.first(_GET, {"pool_id": pool_id, "id": event_id})
        return _event(row) if row is not None else None

    async def risk_history(
        self, pool_id: str, sub: str, limit: int, since: datetime
    ) -> list[EventTrace]:
        """Of the user's latest `limit` sign-ins and events given feedback, each group of alike
        ones (EventTrace), the newest group first; `recent` counts those since `since`."""
        params = {"pool_id": pool_id, "sub": sub, "limit": limit, "since": since.astimezone(UTC)}
        rows = await self._direct.all(_RISK_HISTORY, params)
        return [
            EventTrace(
                EventType(r.type),
                EventResponse(r.response),
                must_aware(r.created),
                r.ip,
                r.device_name,
                r.country,
                FeedbackValue(r.feedback_value) if r.feedback_value is not None else None,
                aware(r.feedback_date),
                int(r.events),
                int(r.recent or 0),
            )
            for r in rows
        ]

    async def list_events(
        self, pool_id: str, sub: str, limit: int, after: str | None
    ) -> Page[AuthEvent]:
        """A user's events newest first (ties by id, descending), `limit` at most."""
        c = auth_events.c
        stmt = select(auth_events).where(c.pool_id == pool_id, c.sub == sub)
        start = _after(after)
        if start is not None:
            created, event_id = start
            stmt = stmt.where(or_(c.created < created, and_(c.created == created, c.id < event_id)))
        stmt = stmt.order_by(c.created.desc(), c.id.desc()).limit(limit + 1)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        items = [_event(r) for r in rows[:limit]]
        token = _cursor(items[-1]) if len(rows) > limit else None
        return Page(items, token)

    async def delete_user_events(self, pool_id: str, sub: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(auth_events).where(
                    auth_events.c.pool_id == pool_id, auth_events.c.sub == sub
                )
            )

    async def count_auth_events_before(self, cutoff: datetime) -> int:
        return await count_before(self._engine, _COUNT_OLD, cutoff)

    async def delete_auth_events_before(self, cutoff: datetime, batch: int) -> int:
        # Every pool at once: a maintenance sweep (services/purge.py).
        return await delete_in_batches(self._engine, _DELETE_OLD, cutoff, batch)
