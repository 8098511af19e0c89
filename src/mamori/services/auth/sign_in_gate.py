"""The sign-in machine's threat-protection steps: the gate before a first factor (a blocked
address refused, failures counted per address) and, once it is proven, ENFORCED's action for the
assessed level (BLOCK, MFA_IF_CONFIGURED, MFA_REQUIRED) with its notification. The assessment
itself is services/auth/sign_in_risk.py's."""

from __future__ import annotations

import dataclasses
import logging
from typing import NoReturn

from mamori.domain.auth.auth_flow import Proof
from mamori.domain.errors import BlockReason, NotAuthorizedException
from mamori.domain.security.auth_events import AuthEvent, RequestContext
from mamori.domain.security.risk_config import TakeoverEventAction
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.auth.code_steps import CodeSteps
from mamori.services.auth.sign_in_events import SignInEvents
from mamori.services.auth.sign_in_risk import RiskGate, RiskVerdict, SignInRisk
from mamori.services.auth.sign_in_state import SignIn
from mamori.services.security.breached import BLOCKED_SIGN_IN

log = logging.getLogger("mamori.risk")


class RiskSteps:
    """SignInMachine's threat-protection steps (services/auth/sign_in.py builds it with these)."""

    events: SignInEvents
    risk: SignInRisk | None
    _codes: CodeSteps

    async def risk_gate(
        self,
        pool: UserPool,
        client: AppClient,
        username: str,
        user: User | None,
        context: RequestContext | None,
        custom: bool = False,
        count: bool = True,
    ) -> RiskGate | None:
        """Threat protection before a password (or SRP claim) is looked at: an address in a
        blocked range is refused here (ENFORCED), before the lockout counts the attempt; the
        attempt is counted per address. OFF: None, nothing read. `custom`: a CUSTOM_AUTH
        sign-in, under CustomAuthMode (None when it is not set). `count` False: a later gate of
        one sign-in (a code or challenge answered), whose attempt was counted at its start."""
        if self.risk is None:
            return None
        gate = await self.risk.gate(pool, client.id, username, user, context, custom, count)
        if gate is not None and gate.refuses:
            await self._refuse(pool, user, context, self.risk.blocked_range(gate), False, False)
        return gate

    async def risk_failed(self, gate: RiskGate | None) -> None:
        """A wrong password or SRP claim, known user or not: counted against the address."""
        if self.risk is not None:
            await self.risk.failed(gate)

    async def _carry_out(
        self,
        pool: UserPool,
        user: User,
        sign_in: SignIn,
        context: RequestContext | None,
        verdict: RiskVerdict,
        compromised: bool,
    ) -> SignIn:
        """ENFORCED's action for the level (AUDIT's verdict is always NO_ACTION)."""
        action = verdict.action
        if action is TakeoverEventAction.BLOCK:
            await self._refuse(pool, user, context, verdict, compromised, True)
        if action in (TakeoverEventAction.MFA_IF_CONFIGURED, TakeoverEventAction.MFA_REQUIRED):
            # A one-time code as the first factor (USER_AUTH's EMAIL_OTP, SMS_OTP) is taken as
            # a user who can answer no MFA: Cognito never pairs passwordless sign-in with MFA,
            # and the code was the proof email or SMS MFA would ask for again.
            if Proof.OTP not in sign_in.proven:
                mfa = await self._codes.state(pool, user, risk_mfa=True)
                if mfa.factors or mfa.setup_needed:
                    return dataclasses.replace(sign_in, risk_mfa=True)
            if action is TakeoverEventAction.MFA_REQUIRED:
                # Cognito: "Block the request if a user hasn't set up MFA."
                await self._refuse(pool, user, context, verdict, compromised, True)
        return sign_in

    async def _refuse(
        self,
        pool: UserPool,
        user: User | None,
        context: RequestContext | None,
        verdict: RiskVerdict,
        compromised: bool,
        proven: bool,
    ) -> NoReturn:
        """Threat protection refuses the sign-in: a Fail event decided Block (a known user's),
        the notification when configured, and Cognito's answer to a blocked sign-in (its
        `reason` RISK, for the hosted pages' wording; the message is the compromised one's)."""
        if user is not None:
            event = await self.events.refused_by_risk(
                pool, user.sub, context, verdict.event_risk(compromised, refused=True), proven
            )
            await self._notify(pool, user, event, verdict, TakeoverEventAction.BLOCK)
        raise NotAuthorizedException(BLOCKED_SIGN_IN, reason=BlockReason.RISK)

    async def _notify(
        self,
        pool: UserPool,
        user: User,
        event: AuthEvent | None,
        verdict: RiskVerdict,
        taken: TakeoverEventAction,
    ) -> None:
        """The assessment's log line, then AccountTakeover's Notify for the level, in ENFORCED
        mode (AUDIT sends nothing); `taken`: the action carried out (its email: BlockEmail,
        MfaEmail or NoActionEmail)."""
        if event is not None:
            _log_assessment(pool, event, verdict, taken)
        risk = self.risk
        level = verdict.assessment.level.configured_level
        if (
            risk is None
            or risk.notifier is None
            or event is None
            or level is None
            or verdict.takeover is None
            or not verdict.configured.notify
            or not verdict.enforced
        ):
            return
        await risk.notifier.notify(pool, user, event, level, verdict.takeover, taken)


def _log_assessment(
    pool: UserPool, event: AuthEvent, verdict: RiskVerdict, taken: TakeoverEventAction
) -> None:
    """One line per assessed sign-in, under its event's id: every reason with its points (no
    address or username), what was done and what is configured; what an operator reads to
    tune the weights (docs/threat-protection.md, Tuning)."""
    if not log.isEnabledFor(logging.INFO):
        return
    configured = verdict.configured.action.value
    done = taken.value if verdict.enforced else f"{taken.value} (AUDIT)"
    log.info(
        "risk: pool %s event %s: %s; action %s, configured %s",
        pool.id,
        event.id,
        verdict.assessment.explain(),
        done,
        configured,
    )
