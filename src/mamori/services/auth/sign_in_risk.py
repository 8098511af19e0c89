"""Threat protection at sign-in (docs/threat-protection.md, "At sign-in"): the address against
the risk exceptions before anything else, the counts of attempts and failures per address, the
assessment once the password is proven (services/security/risk_signals.py gathers,
domain/security/risk.py scores), and the AccountTakeover action its level is configured with.

Nothing runs for a pool whose threat protection is OFF: the mode is on the pool the sign-in
already holds, so such a sign-in reads, counts and computes nothing more (`gate` is None).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Protocol

from mamori.domain.ids import PoolId, UserSub
from mamori.domain.security.auth_events import (
    AuthEvent,
    EventRisk,
    RequestContext,
    RiskDecision,
    device_name,
)
from mamori.domain.security.risk import (
    DEFAULT_WEIGHTS,
    SKIPPED_ASSESSMENT,
    RiskAssessment,
    RiskSignals,
    RiskWeights,
    assess,
)
from mamori.domain.security.risk_config import (
    NO_TAKEOVER_ACTION,
    AccountTakeover,
    EffectiveRisk,
    RangeVerdict,
    RiskLevel,
    TakeoverAction,
    TakeoverEventAction,
)
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.ports import Clock
from mamori.services.security.auth_events import logs_events
from mamori.services.security.risk_signals import RiskSignalSources, SignInRequest


class EffectiveRiskReader(Protocol):
    """The configuration that applies to a sign-in (services/security/risk_config.py)."""

    async def effective_for(self, pool: UserPool, client_id: str | None) -> EffectiveRisk: ...


class TakeoverNotifier(Protocol):
    """The account-takeover notification email (AccountTakeover's Notify):
    services/security/takeover_notices.py `TakeoverNotices`. `action`: the action taken when
    it differs from the configured one. Never raises for delivery."""

    async def notify(
        self,
        pool: UserPool,
        user: User,
        event: AuthEvent,
        level: RiskLevel,
        configuration: AccountTakeover,
        action: TakeoverEventAction | None = None,
    ) -> bool: ...


@dataclass(frozen=True)
class RiskGate:
    """Threat protection's view of one sign-in before its password is checked."""

    effective: EffectiveRisk
    request: SignInRequest
    verdict: RangeVerdict | None

    @property
    def skipped(self) -> bool:
        return self.verdict is RangeVerdict.SKIPPED

    @property
    def refuses(self) -> bool:
        """A blocked range in ENFORCED mode: refused before the password is looked at."""
        return self.verdict is RangeVerdict.BLOCKED and self.effective.enforced


@dataclass(frozen=True)
class Screening:
    """A verified password's findings, for the rest of the sign-in: the compromised-credentials
    check's (the event's flag) and threat protection's gate (None: OFF)."""

    compromised: bool = False
    gate: RiskGate | None = None


@dataclass(frozen=True)
class RiskVerdict:
    """A proven first factor's assessment and what its level is configured to get.
    `action` is what ENFORCED carries out (AUDIT: NO_ACTION, recorded only); `configured` is
    the configuration's action for the level (its `notify`)."""

    assessment: RiskAssessment
    configured: TakeoverAction
    action: TakeoverEventAction
    takeover: AccountTakeover | None
    enforced: bool

    def event_risk(self, compromised: bool, refused: bool = False) -> EventRisk:
        """What the auth event records: Block when the sign-in is refused, AccountTakeover at
        any other level above NoRisk, NoRisk otherwise (and no level)."""
        level = self.assessment.level.event_level
        if refused:
            decision = RiskDecision.BLOCK
        elif level is not None:
            decision = RiskDecision.ACCOUNT_TAKEOVER
        else:
            decision = RiskDecision.NO_RISK
        return EventRisk(decision, level, compromised)


def _verdict(effective: EffectiveRisk, assessment: RiskAssessment) -> RiskVerdict:
    takeover = effective.configuration.takeover
    level = assessment.level.configured_level
    configured = NO_TAKEOVER_ACTION
    if takeover is not None and level is not None:
        configured = takeover.action_for(level)
    if assessment.blocked:
        # Cognito: the blocked list "overrides the risk decision to always block".
        configured = TakeoverAction(configured.notify, TakeoverEventAction.BLOCK)
    action = configured.action if effective.enforced else TakeoverEventAction.NO_ACTION
    return RiskVerdict(assessment, configured, action, takeover, effective.enforced)


class SignInRisk:
    def __init__(
        self,
        config: EffectiveRiskReader,
        sources: RiskSignalSources,
        clock: Clock,
        weights: RiskWeights = DEFAULT_WEIGHTS,
        notifier: TakeoverNotifier | None = None,
    ) -> None:
        self._config = config
        self._sources = sources
        self._clock = clock
        self._weights = weights
        self.notifier = notifier

    async def gate(
        self,
        pool: UserPool,
        client_id: str,
        username: str,
        user: User | None,
        context: RequestContext | None,
        custom: bool = False,
        count: bool = True,
    ) -> RiskGate | None:
        """Before the password: the configuration read, the address against the risk
        exceptions, the attempt counted (not for a skipped range: nothing is looked at
        there; nor with `count` False: a sign-in's later gate, at a code or challenge answer,
        its attempt counted at the first). None for a pool with threat protection OFF, with
        no read. `custom`: a
        CUSTOM_AUTH sign-in, covered in AdvancedSecurityAdditionalFlows.CustomAuthMode's mode
        (AUDIT or ENFORCED, whatever the pool's), not at all when that is not set."""
        if not logs_events(pool):
            return None
        effective = await self._config.effective_for(pool, client_id)
        if custom:
            if effective.custom_auth_mode is None:
                return None
            effective = dataclasses.replace(effective, mode=effective.custom_auth_mode)
        ip = context.ip if context else None
        exceptions = effective.configuration.exceptions
        verdict = exceptions.verdict(ip) if exceptions is not None else None
        request = SignInRequest(
            pool_id=PoolId(pool.id),
            username=username,
            sub=UserSub(user.sub) if user is not None else None,
            ip=ip,
            device_key=None,
            device_name=device_name(context.user_agent if context else None),
            blocked=verdict is RangeVerdict.BLOCKED,
        )
        gate = RiskGate(effective, request, verdict)
        if verdict is None and count:
            await self._sources.count_attempt(request, self._clock.now())
        return gate

    async def failed(self, gate: RiskGate | None) -> None:
        """A wrong password (known user or not): counted against the address."""
        if gate is not None and gate.verdict is None:
            await self._sources.count_failure(gate.request, self._clock.now())

    def blocked_range(self, gate: RiskGate) -> RiskVerdict:
        """The verdict a blocked range is refused with (nothing gathered: it is High)."""
        return _verdict(gate.effective, assess(RiskSignals(blocked_range=True), self._weights))

    async def assess(self, gate: RiskGate | None, device_key: str | None) -> RiskVerdict | None:
        """Once the password is proven: the assessment (a skipped range: SKIPPED_ASSESSMENT,
        nothing gathered) and the action configured for its level."""
        if gate is None:
            return None
        if gate.skipped:
            return _verdict(gate.effective, SKIPPED_ASSESSMENT)
        request = gate.request
        if device_key:
            request = dataclasses.replace(request, device_key=device_key)
        signals = await self._sources.gather(request, self._clock.now())
        return _verdict(gate.effective, assess(signals, self._weights))


__all__ = ["RiskGate", "RiskVerdict", "Screening", "SignInRisk", "TakeoverNotifier"]
