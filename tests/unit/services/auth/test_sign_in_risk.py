"""SignInRisk: a pool with threat protection OFF costs the sign-in nothing (no configuration
read, no count, no gathering); a skipped range is neither counted nor gathered and records
NoRisk; a blocked range is refused in ENFORCED only; the verdict maps the level to the
configured action (AUDIT: none carried out) and to the event's decision."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.support.entities import pool_value

from mamori.domain.security.auth_events import RequestContext, RiskDecision, RiskLevel
from mamori.domain.security.risk import RiskSignals
from mamori.domain.security.risk_config import (
    AccountTakeover,
    EffectiveRisk,
    RiskConfiguration,
    RiskExceptions,
    SecurityMode,
    TakeoverAction,
    TakeoverEventAction,
)
from mamori.domain.userpools.settings import UserPoolAddOns
from mamori.services.auth.sign_in_risk import SignInRisk

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 1, 1, tzinfo=UTC)
BLOCK_ALL = AccountTakeover(
    low=TakeoverAction(False, TakeoverEventAction.NO_ACTION),
    medium=TakeoverAction(False, TakeoverEventAction.MFA_IF_CONFIGURED),
    high=TakeoverAction(True, TakeoverEventAction.BLOCK),
)


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    def now(self) -> datetime:
        return NOW


class Config:
    def __init__(self, effective: EffectiveRisk) -> None:
        self.effective = effective
        self.reads = 0

    async def effective_for(self, pool: Any, client_id: str | None) -> EffectiveRisk:
        self.reads += 1
        return self.effective


class Sources:
    """Stands in for RiskSignalSources: records what is counted and gathered."""

    def __init__(self, signals: RiskSignals | None = None) -> None:
        self.signals = signals or RiskSignals()
        self.calls: list[str] = []

    async def count_attempt(self, request: Any, now: datetime) -> None:
        self.calls.append("attempt")

    async def count_failure(self, request: Any, now: datetime) -> None:
        self.calls.append("failure")

    async def gather(self, request: Any, now: datetime) -> RiskSignals:
        self.calls.append("gather")
        # As RiskSignalSources: the gate's blocked range is a signal.
        return dataclasses.replace(self.signals, blocked_range=request.blocked)


def risk(mode: SecurityMode, sources: Sources, **config: Any) -> tuple[SignInRisk, Config]:
    reader = Config(EffectiveRisk(mode, RiskConfiguration(**config)))
    return SignInRisk(reader, sources, Clock()), reader  # type: ignore[arg-type]


def pool(mode: str | None) -> Any:
    return pool_value(add_ons=UserPoolAddOns(advanced_security_mode=mode) if mode else None)


AT = RequestContext(ip="192.0.2.1", user_agent="curl/8")


async def test_threat_protection_off_reads_and_counts_nothing() -> None:
    sources = Sources()
    sign_in_risk, reader = risk(SecurityMode.OFF, sources)
    for off in (pool(None), pool("OFF")):
        gate = await sign_in_risk.gate(off, "client", "pat", None, AT)
        assert gate is None
        await sign_in_risk.failed(gate)
        assert await sign_in_risk.assess(gate, None) is None
    assert (reader.reads, sources.calls) == (0, [])


async def test_a_skipped_range_is_neither_counted_nor_gathered() -> None:
    sources = Sources(RiskSignals(device_seen=False, ip_seen=False, network_seen=False))
    exceptions = RiskExceptions(skipped=("192.0.2.0/24",))
    sign_in_risk, _ = risk(
        SecurityMode.ENFORCED, sources, exceptions=exceptions, takeover=BLOCK_ALL
    )
    gate = await sign_in_risk.gate(pool("ENFORCED"), "client", "pat", None, AT)
    assert gate is not None and gate.skipped and not gate.refuses
    await sign_in_risk.failed(gate)
    verdict = await sign_in_risk.assess(gate, None)
    assert verdict is not None
    assert verdict.action is TakeoverEventAction.NO_ACTION
    assert verdict.event_risk(False).decision is RiskDecision.NO_RISK
    assert sources.calls == []


async def test_a_blocked_range_refuses_in_enforced_only() -> None:
    exceptions = RiskExceptions(blocked=("192.0.2.0/24",), skipped=("192.0.2.0/24",))
    enforced, _ = risk(SecurityMode.ENFORCED, Sources(), exceptions=exceptions)
    gate = await enforced.gate(pool("ENFORCED"), "client", "pat", None, AT)
    assert gate is not None and gate.refuses
    verdict = enforced.blocked_range(gate)
    assert verdict.action is TakeoverEventAction.BLOCK
    assert verdict.event_risk(False, refused=True).level is RiskLevel.HIGH
    audit, _ = risk(SecurityMode.AUDIT, Sources(), exceptions=exceptions)
    gate = await audit.gate(pool("AUDIT"), "client", "pat", None, AT)
    assert gate is not None and not gate.refuses
    assessed = await audit.assess(gate, None)
    assert assessed is not None and assessed.assessment.blocked
    assert assessed.action is TakeoverEventAction.NO_ACTION  # AUDIT: recorded only
    assert assessed.event_risk(False).decision is RiskDecision.ACCOUNT_TAKEOVER


@pytest.mark.parametrize(
    ("signals", "level", "action"),
    [
        (RiskSignals(), None, TakeoverEventAction.NO_ACTION),
        (RiskSignals(device_seen=False), RiskLevel.LOW, TakeoverEventAction.NO_ACTION),
        (
            RiskSignals(device_seen=False, country_seen=False),
            RiskLevel.MEDIUM,
            TakeoverEventAction.MFA_IF_CONFIGURED,
        ),
        (RiskSignals(device_seen=False, ip_users=13), RiskLevel.HIGH, TakeoverEventAction.BLOCK),
    ],
)
async def test_the_level_picks_the_configured_action(
    signals: RiskSignals, level: RiskLevel | None, action: TakeoverEventAction
) -> None:
    sources = Sources(signals)
    sign_in_risk, _ = risk(SecurityMode.ENFORCED, sources, takeover=BLOCK_ALL)
    gate = await sign_in_risk.gate(pool("ENFORCED"), "client", "pat", None, AT)
    await sign_in_risk.failed(gate)
    verdict = await sign_in_risk.assess(gate, None)
    assert verdict is not None
    assert (verdict.event_risk(False).level, verdict.action) == (level, action)
    assert sources.calls == ["attempt", "failure", "gather"]
