"""SignInEvents: a pool with threat protection OFF costs the sign-in nothing (the log is never
called, the Session carries no event); ON, the event's id is in the state `advance` seals and
the event is written with the outcome's response; later steps rewrite it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tests.support.entities import pool_value

from mamori.domain.security.auth_events import (
    AuthEvent,
    EventResponse,
    StepName,
    StepResult,
)
from mamori.domain.userpools.settings import UserPoolAddOns
from mamori.services.auth.sign_in_events import MFA_OK, SignInEvents
from mamori.services.auth.sign_in_state import AuthOutcome, SignIn

pytestmark = pytest.mark.anyio


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


class Log:
    """Stands in for AuthEventLog, recording each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.written: list[AuthEvent] = []

    def new_event(self, pool: Any, sub: str, kind: Any, response: Any, *rest: Any) -> AuthEvent:
        self.calls.append(("new", sub))
        return AuthEvent("ev-1", pool.id, sub, kind, datetime.now(UTC), response, steps=rest[1])

    async def add(self, event: AuthEvent) -> None:
        self.calls.append(("add", event.id))
        self.written.append(event)

    async def update(self, pool: Any, event_id: str, step: Any, response: Any) -> None:
        self.calls.append(("update", (event_id, step, response)))

    async def record(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("record", args[1]))


def events(log: Log) -> SignInEvents:
    return SignInEvents(log)  # type: ignore[arg-type]


async def test_threat_protection_off_calls_nothing() -> None:
    log = Log()
    pool = pool_value()  # no UserPoolAddOns: OFF
    sealed: list[SignIn] = []

    async def advance(sign_in: SignIn) -> AuthOutcome:
        sealed.append(sign_in)
        return AuthOutcome(challenge=None)

    await events(log).first_factor(pool, SignIn("sub", "pat"), None, advance)
    await events(log).step(pool, sealed[0], MFA_OK, AuthOutcome())
    assert log.calls == [] and sealed[0].event is None
    off = pool_value(add_ons=UserPoolAddOns(advanced_security_mode="OFF"))
    await events(log).first_factor(off, SignIn("sub", "pat"), None, advance)
    assert log.calls == []


async def test_on_the_event_id_is_sealed_and_the_event_written_with_the_outcome() -> None:
    log = Log()
    pool = pool_value(add_ons=UserPoolAddOns(advanced_security_mode="AUDIT"))
    sealed: list[SignIn] = []

    async def challenge(sign_in: SignIn) -> AuthOutcome:
        sealed.append(sign_in)
        return AuthOutcome(session="sealed")  # a challenge follows

    await events(log).first_factor(pool, SignIn("sub", "pat"), None, challenge)
    assert sealed[0].event == "ev-1"
    (written,) = log.written
    assert written.response is EventResponse.IN_PROGRESS
    assert [(s.name, s.result) for s in written.steps] == [(StepName.PASSWORD, StepResult.SUCCESS)]
    await events(log).step(pool, sealed[0], None, AuthOutcome(session="next"))
    assert log.calls[-1][0] == "add"  # a step Cognito doesn't list, still in progress: no write
    await events(log).step(pool, sealed[0], MFA_OK, AuthOutcome(result=object()))  # type: ignore[arg-type]
    assert log.calls[-1] == ("update", ("ev-1", MFA_OK, EventResponse.PASS))
