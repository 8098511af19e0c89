"""MFA: the pool's configuration, users' factors and TOTP tokens, and the checks sign-in uses.

For the sign-in state machine (services/auth/service.py):

- `factors_for(pool, user) -> MfaState`: the factors a sign-in may challenge with, the
  preferred one, whether MFA_SETUP is due (`setup_needed`) and what it may offer
  (`can_set_up`, MFAS_CAN_SETUP); `challenge` / `needs_selection` pick SMS_MFA,
  SOFTWARE_TOKEN_MFA, EMAIL_OTP or SELECT_MFA_TYPE.
- `check_totp(pool, user, code) -> bool`: a SOFTWARE_TOKEN_MFA answer; each code works once
  (the last used time step is kept per user), one step of clock drift either way; raises
  TooManyRequestsException after repeated wrong codes.
- `send_code(pool, user, factor) -> Delivery` / `check_code(pool, user, factor, code)`:
  SMS_MFA and EMAIL_OTP codes through CodeService (purposes "mfa:sms" / "mfa:email", the
  pool's SmsAuthenticationMessage / EmailMfaConfiguration templates, single use, attempt-limited:
  CodeMismatchException, ExpiredCodeException, LimitExceededException).
- `associate_for_session(pool, user) -> secret` / `verify_for_session(pool, user, code, name)`:
  AssociateSoftwareToken / VerifySoftwareToken answered with an MFA_SETUP Session; verifying
  there also turns SOFTWARE_TOKEN_MFA on (and preferred, unless another factor is).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from mamori.crypto import totp
from mamori.domain.auth.mfa import (
    FactorSetting,
    MfaState,
    UserMfa,
    apply_preferences,
    mfa_state,
    risk_mfa_state,
)
from mamori.domain.errors import (
    EnableSoftwareTokenMFAException,
    InvalidParameterException,
    SoftwareTokenMFANotFoundException,
    TooManyRequestsException,
)
from mamori.domain.ids import PoolId
from mamori.domain.userpools.mfa_settings import (
    MfaConfiguration,
    MfaFactor,
    PoolMfaConfig,
    check_pool_mfa,
)
from mamori.domain.userpools.settings import SmsConfiguration
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.auth.ports import MfaStore
from mamori.services.ports import Clock
from mamori.services.tokens.pool_tokens import TokenService
from mamori.services.userpools.pools import PoolService
from mamori.services.userpools.ports import PoolStore
from mamori.services.users.accounts import UserAccounts
from mamori.services.users.codes import CodeService, Delivery

# Cognito: VerifySoftwareToken's answer to a wrong code.
CODE_MISMATCH = "Code mismatch and fail enable Software Token MFA"
NOT_ASSOCIATED = "User has not associated a software token."
TOO_MANY = "Too many invalid codes, please try again later."
# Wrong TOTP codes in a row before the next must wait; the wait doubles from one minute with
# every further wrong code, up to MAX_TOTP_WAIT. A right code starts the count again.
MAX_TOTP_FAILURES = 5
MAX_TOTP_WAIT = timedelta(minutes=15)
# Cognito's default message templates for MFA codes.
DEFAULT_SMS_MFA_MESSAGE = "Your authentication code is {####}. "
DEFAULT_EMAIL_MFA_MESSAGE = "Your authentication code is {####}. "
DEFAULT_EMAIL_MFA_SUBJECT = "Your authentication code"
CODE_PURPOSES = {MfaFactor.SMS_MFA: "mfa:sms", MfaFactor.EMAIL_OTP: "mfa:email"}
_CODE_ATTRIBUTES = {MfaFactor.SMS_MFA: "phone_number", MfaFactor.EMAIL_OTP: "email"}


@dataclass(frozen=True)
class PoolMfaChange:
    """A SetUserPoolMfaConfig request: each factor block given or not."""

    mode: MfaConfiguration
    sms: bool = False
    sms_message: str | None = None
    sms_configuration: SmsConfiguration | None = None
    software_token: bool = False
    email: bool = False
    email_message: str | None = None
    email_subject: str | None = None
    web_authn: Mapping[str, str] | None = None


def attempt_cutoffs(now: datetime) -> tuple[datetime, ...]:
    """For MfaStore.count_attempt: after MAX_TOTP_FAILURES + k wrong codes in a row, the latest
    time of the last one that lets a code be checked at `now` (one minute's wait, doubling
    with each further wrong code up to MAX_TOTP_WAIT; the last entry for every count beyond)."""
    cutoffs = []
    wait = timedelta(minutes=1)
    while wait < MAX_TOTP_WAIT:
        cutoffs.append(now - wait)
        wait *= 2
    cutoffs.append(now - MAX_TOTP_WAIT)
    return tuple(cutoffs)


class MfaService:
    def __init__(
        self,
        store: MfaStore,
        pool_store: PoolStore,
        pools: PoolService,
        users: UserAccounts,
        tokens: TokenService,
        codes: CodeService,
        clock: Clock,
    ) -> None:
        self._store = store
        self._pool_store = pool_store
        self._pools = pools
        self._users = users
        self._tokens = tokens
        self._codes = codes
        self._clock = clock

    # --- the pool's configuration
    async def get_user_pool_mfa_config(self, pool_id: str) -> UserPool:
        return await self._pools.require(pool_id)

    async def set_user_pool_mfa_config(self, pool_id: str, change: PoolMfaChange) -> UserPool:
        """Each factor block given turns its factor on, one left out turns it off.

        Self-hosted: SMS and email codes go through the server's configured senders, so
        SMS MFA needs no SmsConfiguration and email MFA no EmailConfiguration with a
        DEVELOPER sending account (Cognito requires both); either is kept when given.
        """
        pool = await self._pools.require(pool_id)
        config = PoolMfaConfig(
            sms_enabled=change.sms,
            software_token_enabled=change.software_token,
            email_enabled=change.email,
            email_message=change.email_message if change.email else None,
            email_subject=change.email_subject if change.email else None,
            web_authn=pool.mfa.web_authn if change.web_authn is None else dict(change.web_authn),
        )
        check_pool_mfa(change.mode, config)
        updated = dataclasses.replace(
            pool,
            mfa_configuration=change.mode,
            mfa=config,
            sms_authentication_message=change.sms_message or pool.sms_authentication_message,
            sms_configuration=pool.sms_configuration
            if change.sms_configuration is None
            else change.sms_configuration,
            modified=self._clock.now(),
        )
        await self._pool_store.save_pool(updated)
        return updated

    # --- a user's factors
    async def settings_of(self, user: User) -> UserMfa:
        """The user's MFA settings (all off when it never had any)."""
        found = await self._store.get_mfa(user.pool_id, user.sub)
        return found if found is not None else UserMfa(user.pool_id, user.sub)

    async def _set_preference(self, user: User, changes: Mapping[MfaFactor, FactorSetting]) -> None:
        current = await self.settings_of(user)
        updated = apply_preferences(current, user, changes)
        await self._store.save_preferences(updated, self._clock.now())

    async def set_user_mfa_preference(
        self, access_token: str, changes: Mapping[MfaFactor, FactorSetting]
    ) -> None:
        ctx = await self._tokens.check_access_token(access_token)
        await self._set_preference(ctx.user, changes)

    async def admin_set_user_mfa_preference(
        self, pool_id: str, username: str, changes: Mapping[MfaFactor, FactorSetting]
    ) -> None:
        pool = await self._pools.require(pool_id)
        user = await self._users.require(pool, username)
        await self._set_preference(user, changes)

    async def factors_for(self, pool: UserPool, user: User) -> MfaState:
        """What MFA asks of this user's sign-in (see the module docstring)."""
        mfa = await self._store.get_mfa(user.pool_id, user.sub)
        return mfa_state(pool.mfa_configuration, pool.mfa, user, mfa)

    async def factors_for_risk(self, pool: UserPool, user: User) -> MfaState:
        """What MFA threat protection's MFA_IF_CONFIGURED / MFA_REQUIRED asks of this user's
        sign-in (domain/auth/mfa.py `risk_mfa_state`): no factors, no MFA possible."""
        mfa = await self._store.get_mfa(user.pool_id, user.sub)
        return risk_mfa_state(pool.mfa_configuration, pool.mfa, user, mfa)

    # --- software tokens (TOTP)
    async def associate_software_token(self, access_token: str) -> str:
        """AssociateSoftwareToken with an access token: a new secret, pending until verified."""
        ctx = await self._tokens.check_access_token(access_token)
        return await self._associate(ctx.pool_id, ctx.user)

    async def verify_software_token(
        self, access_token: str, code: str, friendly_name: str | None
    ) -> None:
        """VerifySoftwareToken with an access token; SOFTWARE_TOKEN_MFA stays as the user set
        it (SetUserMFAPreference turns it on). EnableSoftwareTokenMFAException on a wrong code."""
        ctx = await self._tokens.check_access_token(access_token)
        await self._verify(ctx.user, code, friendly_name, enable=False)

    async def associate_for_session(self, pool: UserPool, user: User) -> str:
        """AssociateSoftwareToken during MFA_SETUP (the caller has opened the Session)."""
        return await self._associate(pool.id, user)

    async def verify_for_session(
        self, pool: UserPool, user: User, code: str, friendly_name: str | None
    ) -> None:
        """VerifySoftwareToken during MFA_SETUP: the token is verified and SOFTWARE_TOKEN_MFA
        turned on (preferred unless another factor is). EnableSoftwareTokenMFAException on a
        wrong code; TooManyRequestsException after repeated ones."""
        await self._verify(user, code, friendly_name, enable=True)

    async def _associate(self, pool_id: PoolId, user: User) -> str:
        secret = totp.new_secret()
        await self._store.set_pending_secret(pool_id, user.sub, secret, self._clock.now())
        return secret

    async def _count_attempt(self, mfa: UserMfa, now: datetime) -> None:
        """Counts the code as a wrong one before it is compared (a right one resets the count):
        of any number of concurrent codes, at most the limit are ever checked."""
        counted = await self._store.count_attempt(
            mfa.pool_id, mfa.sub, now, MAX_TOTP_FAILURES, attempt_cutoffs(now)
        )
        if not counted:
            raise TooManyRequestsException(TOO_MANY)

    async def _verify(self, user: User, code: str, name: str | None, enable: bool) -> None:
        now = self._clock.now()
        mfa = await self._store.get_mfa(user.pool_id, user.sub)
        if mfa is None:
            raise SoftwareTokenMFANotFoundException(NOT_ASSOCIATED)
        pending, active = mfa.pending_secret, mfa.totp_secret
        if pending is None:
            if active is None:
                raise SoftwareTokenMFANotFoundException(NOT_ASSOCIATED)
            # No new token pending: the verified one is checked again, each code still once.
            await self._count_attempt(mfa, now)
            if not await self._use_code(mfa, active, code, now):
                raise EnableSoftwareTokenMFAException(CODE_MISMATCH)
            if enable and not mfa.software_token_enabled:
                preferred = mfa.preferred or MfaFactor.SOFTWARE_TOKEN_MFA
                await self._store.save_preferences(
                    dataclasses.replace(mfa, software_token_enabled=True, preferred=preferred),
                    now,
                )
            return
        await self._count_attempt(mfa, now)
        step = totp.matching_step(pending, code, now)
        if step is None:
            raise EnableSoftwareTokenMFAException(CODE_MISMATCH)
        activated = await self._store.activate_secret(
            user.pool_id, user.sub, pending, name, step, now, enable
        )
        if not activated:  # a concurrent request verified it with this very code
            raise EnableSoftwareTokenMFAException(CODE_MISMATCH)

    async def _use_code(self, mfa: UserMfa, secret: str, code: str, now: datetime) -> bool:
        step = totp.matching_step(secret, code, now, after=mfa.totp_last_step)
        if step is None:
            return False  # counted as a failure already
        # False here: another request used this code (or a later one) a moment ago.
        return await self._store.use_step(mfa.pool_id, mfa.sub, step, now)

    async def check_totp(self, pool: UserPool, user: User, code: str) -> bool:
        """A SOFTWARE_TOKEN_MFA answer: True once per code of the user's verified token.
        TooManyRequestsException while the user must wait after repeated wrong codes."""
        mfa = await self._store.get_mfa(pool.id, user.sub)
        if mfa is None or mfa.totp_secret is None:
            return False
        now = self._clock.now()
        await self._count_attempt(mfa, now)
        return await self._use_code(mfa, mfa.totp_secret, code, now)

    # --- SMS and email codes
    async def send_code(
        self, pool: UserPool, user: User, factor: MfaFactor, purpose: str | None = None
    ) -> Delivery:
        """An SMS_MFA or EMAIL_OTP code to the user's phone or email, in the pool's template.
        `purpose` defaults to "mfa:sms" / "mfa:email" (USER_AUTH's SMS_OTP / EMAIL_OTP may use
        their own); check it with the same one."""
        attribute = _CODE_ATTRIBUTES.get(factor)
        if attribute is None or not user.attributes.get(attribute):
            raise InvalidParameterException(f"User has no {attribute or 'delivery'} for {factor}.")
        if factor is MfaFactor.SMS_MFA:
            message = pool.sms_authentication_message or DEFAULT_SMS_MFA_MESSAGE
            subject = None
        else:
            message = pool.mfa.email_message or DEFAULT_EMAIL_MFA_MESSAGE
            subject = pool.mfa.email_subject or DEFAULT_EMAIL_MFA_SUBJECT
        return await self._codes.send_code(
            pool,
            user,
            purpose or CODE_PURPOSES[factor],
            attribute,
            "mfa",
            message=message,
            subject=subject,
        )

    async def check_code(
        self, pool: UserPool, user: User, factor: MfaFactor, code: str, purpose: str | None = None
    ) -> None:
        """Consumes the code `send_code` sent, or raises CodeMismatchException /
        ExpiredCodeException / LimitExceededException (five wrong tries)."""
        purpose = purpose or CODE_PURPOSES.get(factor)
        if purpose is None:
            raise InvalidParameterException(f"{factor} is not answered with a sent code.")
        await self._codes.check_code(pool, user, purpose, code)
