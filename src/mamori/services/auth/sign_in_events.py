"""A sign-in's auth event (services/security/auth_events.py): one per sign-in, written at its
first factor with that factor's result, then rewritten at each MFA step (its id rides in the
sealed Session), InProgress until tokens are issued or a step fails. Nothing is read or written
for a pool whose threat protection is OFF: the mode is on the pool the sign-in already holds.

The event is its own short write, not part of a statement the sign-in runs anyway: the sign-in's
writes (guard counters, the refresh session) are single autocommit statements on the hot path
(store/sql/connection/direct.py), in another table and often another store (Redis)."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

from mamori.domain.security.auth_events import (
    NO_RISK,
    AuthEvent,
    ChallengeStep,
    EventResponse,
    EventRisk,
    EventType,
    RequestContext,
    RiskDecision,
    StepName,
    StepResult,
)
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.auth.sign_in_state import AuthOutcome, SignIn
from mamori.services.security.auth_events import AuthEventLog, logs_events

PASSWORD_OK = ChallengeStep(StepName.PASSWORD, StepResult.SUCCESS)
PASSWORD_FAILED = ChallengeStep(StepName.PASSWORD, StepResult.FAILURE)
MFA_OK = ChallengeStep(StepName.MFA, StepResult.SUCCESS)
MFA_FAILED = ChallengeStep(StepName.MFA, StepResult.FAILURE)


def response_of(outcome: AuthOutcome) -> EventResponse:
    done = outcome.result is not None or outcome.signed_in is not None
    return EventResponse.PASS if done else EventResponse.IN_PROGRESS


class SignInEvents:
    def __init__(self, log: AuthEventLog | None = None) -> None:
        """`log`: None records nothing (tests that build the sign-in without the log)."""
        self._log = log

    async def first_factor(
        self,
        pool: UserPool,
        sign_in: SignIn,
        context: RequestContext | None,
        advance: Callable[[SignIn], Awaitable[AuthOutcome]],
        risk: EventRisk = NO_RISK,
    ) -> tuple[AuthOutcome, AuthEvent | None]:
        """`advance` (the machine's next step) with the sign-in's event: its id sealed into
        the Session a challenge returns, the event written once the outcome is known (and
        returned: the takeover notification names it). `risk`: threat protection's decision
        and level (services/auth/sign_in_risk.py) and the compromised-credentials finding."""
        log = self._log
        if log is None or not logs_events(pool):
            return await advance(sign_in), None
        event = log.new_event(
            pool,
            sign_in.sub,
            EventType.SIGN_IN,
            EventResponse.IN_PROGRESS,
            context,
            (PASSWORD_OK,),
            risk,
        )
        outcome = await advance(dataclasses.replace(sign_in, event=event.id))
        written = dataclasses.replace(event, response=response_of(outcome))
        await log.add(written)
        return outcome, written

    async def failed_first_factor(
        self, pool: UserPool, sub: str, context: RequestContext | None
    ) -> None:
        """A wrong password (or SRP claim) of a known user: an event of its own, Fail."""
        if self._log is not None:
            await self._log.record(
                pool, sub, EventType.SIGN_IN, EventResponse.FAIL, context, (PASSWORD_FAILED,)
            )

    async def refused_after_password(
        self, pool: UserPool, sub: str, context: RequestContext | None
    ) -> None:
        """A right password of a user the sign-in refuses even so (disabled, unconfirmed, reset
        required, an expired temporary password): Fail, after Password Success."""
        if self._log is not None:
            await self._log.record(
                pool, sub, EventType.SIGN_IN, EventResponse.FAIL, context, (PASSWORD_OK,)
            )

    async def blocked_compromised(
        self, pool: UserPool, sub: str, context: RequestContext | None
    ) -> None:
        """A right password refused as breached (ENFORCED, BLOCK): Fail, decision Block."""
        if self._log is not None:
            await self._log.record(
                pool,
                sub,
                EventType.SIGN_IN,
                EventResponse.FAIL,
                context,
                (PASSWORD_OK,),
                EventRisk(RiskDecision.BLOCK, None, True),
            )

    async def refused_by_risk(
        self,
        pool: UserPool,
        sub: str,
        context: RequestContext | None,
        risk: EventRisk,
        proven: bool = True,
    ) -> AuthEvent | None:
        """A sign-in threat protection refuses (ENFORCED): Fail, decided Block, at its level;
        after Password Success (`proven`), or with no step for an address in a blocked range,
        refused before its password is looked at."""
        if self._log is None:
            return None
        steps = (PASSWORD_OK,) if proven else ()
        return await self._log.record(
            pool, sub, EventType.SIGN_IN, EventResponse.FAIL, context, steps, risk
        )

    async def step(
        self, pool: UserPool, sign_in: SignIn, step: ChallengeStep | None, outcome: AuthOutcome
    ) -> None:
        """A later step answered: the MFA step appended (None: a step Cognito doesn't list,
        such as a new password), the response from where the sign-in now stands."""
        if self._log is None or sign_in.event is None:
            return
        if step is None and response_of(outcome) is EventResponse.IN_PROGRESS:
            return
        await self._log.update(pool, sign_in.event, step, response_of(outcome))

    async def step_failed(self, pool: UserPool, sign_in: SignIn, step: ChallengeStep) -> None:
        if self._log is None or sign_in.event is None:
            return
        await self._log.update(pool, sign_in.event, step, EventResponse.FAIL)
