"""The code steps of a sign-in: MFA (SMS_MFA, EMAIL_OTP, SOFTWARE_TOKEN_MFA, SELECT_MFA_TYPE,
MFA_SETUP) and USER_AUTH's one-time codes (EMAIL_OTP, SMS_OTP), on top of services/auth/mfa.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import timedelta

from mamori.domain.auth.answers import CODE_MEMBER
from mamori.domain.auth.auth_flow import Challenge, Proof
from mamori.domain.auth.mfa import MfaState
from mamori.domain.auth.prompts import ChallengePrompt
from mamori.domain.errors import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    MFAMethodNotFoundException,
    NotAuthorizedException,
)
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.mfa_settings import MfaConfiguration, MfaFactor
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.auth.challenge_session import INVALID_SESSION
from mamori.services.auth.mfa import MfaService
from mamori.services.auth.sign_in_state import VERIFIED, ChallengeSessions, SignIn

# Cognito: the message of a wrong code answering a sign-in challenge.
WRONG_CODE = "Invalid code or auth state for the user."
# USER_AUTH's passwordless codes: kept apart from MFA codes (one live code per purpose).
OTP_PURPOSES = {MfaFactor.EMAIL_OTP: "otp:email", MfaFactor.SMS_MFA: "otp:sms"}
_FACTOR_OF = {
    Challenge.SMS_MFA: MfaFactor.SMS_MFA,
    Challenge.SOFTWARE_TOKEN_MFA: MfaFactor.SOFTWARE_TOKEN_MFA,
    Challenge.EMAIL_OTP: MfaFactor.EMAIL_OTP,
    Challenge.SMS_OTP: MfaFactor.SMS_MFA,
}
_NO_MFA = MfaState(MfaConfiguration.OFF, (), None, ())


def settable(factors: Sequence[MfaFactor]) -> tuple[MfaFactor, ...]:
    """What MFA_SETUP offers (MFAS_CAN_SETUP): the factors a user can set up from the
    challenge. An email address can't be given there in mamori, so EMAIL_OTP is left out."""
    return tuple(f for f in factors if f is not MfaFactor.EMAIL_OTP)


class CodeSteps:
    def __init__(self, mfa: MfaService, sessions: ChallengeSessions) -> None:
        self._mfa = mfa
        self._sessions = sessions

    async def state(self, pool: UserPool, user: User, risk_mfa: bool = False) -> MfaState:
        """`risk_mfa`: threat protection asked for MFA (services/auth/sign_in_risk.py), so
        the factors the user can receive count, turned on or not."""
        if pool.mfa_configuration is MfaConfiguration.OFF:
            return _NO_MFA  # nothing to read: no factor applies
        if risk_mfa:
            return await self._mfa.factors_for_risk(pool, user)
        return await self._mfa.factors_for(pool, user)

    async def prompt(
        self,
        pool: UserPool,
        user: User,
        challenge: Challenge,
        factors: Sequence[MfaFactor],
        first_factor: bool = False,
    ) -> ChallengePrompt:
        """What the challenge tells the client; for a code sent by message, sends it."""
        if challenge is Challenge.SELECT_MFA_TYPE:
            return ChallengePrompt(mfas_can_choose=tuple(factors))
        if challenge is Challenge.MFA_SETUP:
            return ChallengePrompt(mfas_can_setup=settable(factors))
        if challenge is Challenge.SOFTWARE_TOKEN_MFA:
            name = (await self._mfa.settings_of(user)).totp_name
            return ChallengePrompt(friendly_device_name=name or None)
        factor = _FACTOR_OF.get(challenge)
        if factor is None:
            return ChallengePrompt()
        purpose = OTP_PURPOSES[factor] if first_factor else None
        delivery = await self._mfa.send_code(pool, user, factor, purpose)
        return ChallengePrompt(
            delivery_medium=delivery.medium, delivery_destination=delivery.destination
        )

    async def check(
        self,
        pool: UserPool,
        client: AppClient,
        user: User,
        sign_in: SignIn,
        challenge: Challenge,
        code: str | None,
        first_factor: bool = False,
    ) -> None:
        """Passes when the answer's code is right, and spends the Session. Every answer counts
        against the Session before its code is compared; a wrong one raises
        CodeMismatchException; the code's own limits raise their own errors."""
        if not code:
            raise InvalidParameterException(f"Missing required parameter {CODE_MEMBER[challenge]}")
        # Counted before the code is compared: concurrent answers can't outnumber the limit.
        lifetime = timedelta(minutes=client.auth_session_validity_minutes)
        await self._sessions.count_answer(sign_in.nonce, lifetime)
        factor = _FACTOR_OF[challenge]
        if factor is MfaFactor.SOFTWARE_TOKEN_MFA:
            right = await self._mfa.check_totp(pool, user, code)
        else:
            purpose = OTP_PURPOSES[factor] if first_factor else None
            try:
                await self._mfa.check_code(pool, user, factor, code, purpose)
                right = True
            except CodeMismatchException:
                right = False
            except ExpiredCodeException as exc:
                # Codes outlive the Session that sent them: one gone within a live Session was
                # used by it already, or replaced by a newer sign-in.
                raise NotAuthorizedException(INVALID_SESSION) from exc
        if not right:
            raise CodeMismatchException(WRONG_CODE)
        await self._sessions.answered(sign_in, client)

    @staticmethod
    def select(sign_in: SignIn, state: MfaState, answer: str | None) -> SignIn:
        """SELECT_MFA_TYPE's ANSWER: one of the factors offered."""
        if not answer:
            raise InvalidParameterException("Missing required parameter ANSWER")
        try:
            factor = MfaFactor(answer)
        except ValueError:
            factor = None
        if factor is None or factor not in state.factors:
            raise InvalidParameterException(f"Invalid MFA type: {answer}.")
        return dataclasses.replace(sign_in, selected=factor)

    @staticmethod
    def set_up(sign_in: SignIn) -> SignIn:
        """MFA_SETUP answered with the Session VerifySoftwareToken returned: MFA is proven."""
        if sign_in.setup != VERIFIED:
            raise MFAMethodNotFoundException(
                "No software token has been verified in this session: call "
                "AssociateSoftwareToken and VerifySoftwareToken with it first."
            )
        return sign_in.proving(Proof.MFA)
