"""Compromised-credentials detection: whether a password is in a breached-password corpus (the
`BreachedPasswords` port), and what the pool's threat protection makes of it at sign-up, sign-in
and password change (`CompromisedCredentialsCheck`). The password is hashed for the lookup and
dropped with the call: never stored, logged or kept (docs/threat-protection.md)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final, Protocol

from mamori.domain.errors import BlockReason, InvalidPasswordException
from mamori.domain.security.risk_config import (
    ALL_EVENTS,
    CompromisedAction,
    CompromisedCredentials,
    EffectiveRisk,
    RiskEvent,
)
from mamori.domain.userpools.user_pool import UserPool

log = logging.getLogger("mamori.breached")

# Cognito: InvalidPasswordException's message for a commonly used or compromised password at
# sign-up and password change (seen by Cognito's users; the docs don't print it).
COMPROMISED_PASSWORD: Final = "Provided password cannot be used for security reasons."
# Cognito: NotAuthorizedException's message when threat protection blocks a sign-in.
BLOCKED_SIGN_IN: Final = "Unable to login because of security reasons."
# A pool with threat protection on but no CompromisedCredentialsRiskConfiguration: every event
# is checked (EventFilter's default) and nothing is done but the flag its events record.
_DETECT_ONLY: Final = CompromisedCredentials(ALL_EVENTS, CompromisedAction.NO_ACTION)


class BreachedPasswords(Protocol):
    """A corpus of passwords known from breaches. Implementations hash the password at once and
    keep nothing of it; an online one that gets no answer says False (the local corpus decided)."""

    async def is_breached(self, password: str) -> bool: ...


class RiskSettings(Protocol):
    """The threat-protection settings that apply to a request (RiskConfigService): for a pool
    already read, so a pool whose mode is OFF costs no read at all."""

    async def effective_for(self, pool: UserPool, client_id: str | None) -> EffectiveRisk: ...


class Corpora:
    """The local corpus first (microseconds, offline), then an online one if configured."""

    def __init__(self, local: BreachedPasswords, online: BreachedPasswords | None = None) -> None:
        self._local = local
        self._online = online

    async def is_breached(self, password: str) -> bool:
        if await self._local.is_breached(password):
            return True
        return self._online is not None and await self._online.is_breached(password)


@dataclass(frozen=True)
class Verdict:
    """What the check found: `compromised` the password is in the corpus (False as well where the
    configuration asks for no check), `blocked` the caller must refuse (ENFORCED and BLOCK)."""

    compromised: bool
    blocked: bool


NOT_CHECKED: Final = Verdict(compromised=False, blocked=False)


class CompromisedCredentialsCheck:
    """CompromisedCredentialsRiskConfiguration at work. OFF: nothing is looked up. AUDIT: looked
    up, never blocked. ENFORCED: blocked when the action is BLOCK and the event is in its
    EventFilter. Callers record `Verdict.compromised` in the auth event (docs/threat-protection.md
    lists which operations are which event)."""

    def __init__(self, corpus: BreachedPasswords, risk: RiskSettings) -> None:
        self._corpus = corpus
        self._risk = risk

    async def check(
        self, pool: UserPool, client_id: str | None, event: RiskEvent, password: str
    ) -> Verdict:
        effective = await self._risk.effective_for(pool, client_id)
        if not effective.active:
            return NOT_CHECKED
        configuration = effective.configuration.compromised or _DETECT_ONLY
        if not configuration.applies_to(event):
            return NOT_CHECKED
        if not await self._corpus.is_breached(password):
            return NOT_CHECKED
        blocked = effective.enforced and configuration.action is CompromisedAction.BLOCK
        log.info(
            "compromised password at %s in pool %s (%s)",
            event.value,
            pool.id,
            "blocked" if blocked else "not blocked",
        )
        return Verdict(compromised=True, blocked=blocked)

    async def new_password(
        self, pool: UserPool, client_id: str | None, event: RiskEvent, password: str
    ) -> Verdict:
        """A password being set (SIGN_UP or PASSWORD_CHANGE): InvalidPasswordException when
        blocked, else the verdict."""
        verdict = await self.check(pool, client_id, event, password)
        if verdict.blocked:
            raise InvalidPasswordException(
                COMPROMISED_PASSWORD, reason=BlockReason.COMPROMISED_CREDENTIALS
            )
        return verdict
