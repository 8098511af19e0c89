"""services/security/breached.py: what threat protection makes of a breached password: OFF looks
nothing up, AUDIT detects and never blocks, ENFORCED blocks only with BLOCK and the event in the
EventFilter; no configuration detects on every event; the local corpus before the online one."""

from __future__ import annotations

import logging

import pytest

from mamori.domain.errors import InvalidPasswordException
from mamori.domain.security.risk_config import (
    EffectiveRisk,
    RiskConfiguration,
    RiskEvent,
    SecurityMode,
    compromised_credentials,
)
from mamori.services.security.breached import (
    COMPROMISED_PASSWORD,
    CompromisedCredentialsCheck,
    Corpora,
    Verdict,
)

pytestmark = pytest.mark.anyio

BREACHED = "Summer2024!"


class ListCorpus:
    def __init__(self, *passwords: str) -> None:
        self.passwords = set(passwords)
        self.asked = 0

    async def is_breached(self, password: str) -> bool:
        self.asked += 1
        return password in self.passwords


class Pool:
    """The one thing the check reads of a pool itself: its id (the settings read the rest)."""

    def __init__(self, pool_id: str) -> None:
        self.id = pool_id


P = Pool("p")


class Settings:
    def __init__(self, mode: SecurityMode, configuration: RiskConfiguration) -> None:
        self.risk = EffectiveRisk(mode, configuration)
        self.asked: list[tuple[str, str | None]] = []

    async def effective_for(self, pool: Pool, client_id: str | None) -> EffectiveRisk:
        self.asked.append((pool.id, client_id))
        return self.risk


def check(
    mode: SecurityMode, events: list[str] | None = None, action: str = "BLOCK", configured=True
) -> tuple[CompromisedCredentialsCheck, ListCorpus]:
    configuration = (
        RiskConfiguration(compromised=compromised_credentials(events, action))
        if configured
        else RiskConfiguration()
    )
    corpus = ListCorpus(BREACHED)
    return CompromisedCredentialsCheck(corpus, Settings(mode, configuration)), corpus


@pytest.mark.parametrize("event", list(RiskEvent))
async def test_enforced_block_blocks_each_event_in_the_filter(event: RiskEvent) -> None:
    checker, _ = check(SecurityMode.ENFORCED)
    assert await checker.check(P, "c", event, BREACHED) == Verdict(True, True)
    assert await checker.check(P, "c", event, "Correct-Horse-9") == Verdict(False, False)


async def test_a_new_password_blocked_is_cognitos_invalid_password() -> None:
    checker, _ = check(SecurityMode.ENFORCED)
    with pytest.raises(InvalidPasswordException) as raised:
        await checker.new_password(P, None, RiskEvent.SIGN_UP, BREACHED)
    assert raised.value.message == COMPROMISED_PASSWORD


async def test_audit_detects_and_never_blocks() -> None:
    checker, _ = check(SecurityMode.AUDIT)
    verdict = await checker.new_password(P, None, RiskEvent.PASSWORD_CHANGE, BREACHED)
    assert verdict == Verdict(compromised=True, blocked=False)


async def test_no_action_detects_and_does_not_block() -> None:
    checker, _ = check(SecurityMode.ENFORCED, action="NO_ACTION")
    assert await checker.check(P, None, RiskEvent.SIGN_IN, BREACHED) == Verdict(True, False)


async def test_an_event_outside_the_filter_is_not_looked_up() -> None:
    checker, corpus = check(SecurityMode.ENFORCED, events=["SIGN_IN"])
    assert await checker.new_password(P, None, RiskEvent.SIGN_UP, BREACHED) == Verdict(False, False)
    assert corpus.asked == 0
    assert await checker.check(P, None, RiskEvent.SIGN_IN, BREACHED) == Verdict(True, True)


async def test_off_looks_nothing_up() -> None:
    checker, corpus = check(SecurityMode.OFF)
    assert await checker.check(P, None, RiskEvent.SIGN_IN, BREACHED) == Verdict(False, False)
    assert corpus.asked == 0


async def test_threat_protection_without_a_configuration_detects_on_every_event() -> None:
    checker, _ = check(SecurityMode.ENFORCED, configured=False)
    for event in RiskEvent:
        assert await checker.check(P, None, event, BREACHED) == Verdict(True, False)


async def test_the_client_is_asked_for() -> None:
    settings = Settings(SecurityMode.AUDIT, RiskConfiguration())
    checker = CompromisedCredentialsCheck(ListCorpus(), settings)
    await checker.check(Pool("pool"), "client", RiskEvent.SIGN_IN, "x")
    assert settings.asked == [("pool", "client")]


async def test_the_online_corpus_is_asked_only_when_the_local_one_misses() -> None:
    local, online = ListCorpus("local-hit"), ListCorpus("online-hit")
    corpora = Corpora(local, online)
    assert await corpora.is_breached("local-hit") and online.asked == 0
    assert await corpora.is_breached("online-hit") and online.asked == 1
    assert not await corpora.is_breached("neither")
    assert not await Corpora(local).is_breached("online-hit")


async def test_the_password_never_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    checker, _ = check(SecurityMode.ENFORCED)
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(InvalidPasswordException) as refused:
            await checker.new_password(P, "c", RiskEvent.SIGN_UP, BREACHED)
        await checker.check(P, "c", RiskEvent.SIGN_IN, BREACHED)
    assert "compromised password at SIGN_UP in pool p (blocked)" in caplog.text
    assert BREACHED not in caplog.text and BREACHED not in str(refused.value)
    assert BREACHED not in repr(refused.value)
