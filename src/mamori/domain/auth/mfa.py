"""Multi-factor authentication: each user's factors and TOTP token (SetUserMFAPreference,
AssociateSoftwareToken), and the pure rules that decide which factors a sign-in may challenge
with (the pool's own settings are `domain/userpools/mfa_settings.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from mamori.domain.errors import InvalidParameterException
from mamori.domain.ids import PoolId, UserSub
from mamori.domain.userpools.mfa_settings import (
    FACTOR_ORDER,
    MfaConfiguration,
    MfaFactor,
    PoolMfaConfig,
    pool_factors,
)
from mamori.domain.users.user import User


@dataclass(frozen=True)
class UserMfa:
    """One user's factors, preference and TOTP token. Secrets are plaintext here only: the
    store seals them, and they are never in a repr."""

    pool_id: PoolId
    sub: UserSub
    sms_enabled: bool = False
    software_token_enabled: bool = False
    email_enabled: bool = False
    preferred: MfaFactor | None = None
    # The verified TOTP secret, its FriendlyDeviceName and the last time step a code was
    # accepted for (each code works once).
    totp_secret: str | None = field(default=None, repr=False)
    totp_name: str | None = None
    totp_last_step: int | None = None
    # AssociateSoftwareToken's secret until VerifySoftwareToken proves it; the verified one
    # keeps working until then (Cognito replaces the token only once the new one is verified).
    pending_secret: str | None = field(default=None, repr=False)
    # Wrong TOTP codes in a row, and when the last one came (the attempt limit).
    totp_failures: int = 0
    totp_failed_at: datetime | None = None

    @property
    def enabled(self) -> tuple[MfaFactor, ...]:
        """UserMFASettingList: the factors the user turned on, in Cognito's order."""
        on = {
            MfaFactor.SMS_MFA: self.sms_enabled,
            MfaFactor.SOFTWARE_TOKEN_MFA: self.software_token_enabled,
            MfaFactor.EMAIL_OTP: self.email_enabled,
        }
        return tuple(f for f in FACTOR_ORDER if on[f])


@dataclass(frozen=True)
class FactorSetting:
    """One of SetUserMFAPreference's SMSMfaSettings, SoftwareTokenMfaSettings, EmailMfaSettings."""

    enabled: bool
    preferred: bool


def has_delivery(factor: MfaFactor, user: User, mfa: UserMfa | None) -> bool:
    """Whether `user` can receive `factor`'s codes: a phone number, a verified token, an email."""
    if factor is MfaFactor.SMS_MFA:
        return bool(user.attributes.get("phone_number"))
    if factor is MfaFactor.EMAIL_OTP:
        return bool(user.attributes.get("email"))
    return mfa is not None and mfa.totp_secret is not None


def apply_preferences(
    current: UserMfa, user: User, changes: Mapping[MfaFactor, FactorSetting]
) -> UserMfa:
    """SetUserMFAPreference: factors left out keep their setting; InvalidParameterException
    for a factor the user cannot receive, a disabled factor preferred, or two preferred."""
    preferred = [f for f, s in changes.items() if s.preferred]
    if len(preferred) > 1:
        raise InvalidParameterException("Only one MFA type can be set as preferred.")
    for factor, setting in changes.items():
        if setting.preferred and not setting.enabled:
            raise InvalidParameterException(
                f"{factor.value} can't be set as preferred without being enabled."
            )
        if setting.enabled and not has_delivery(factor, user, current):
            # Cognito's wording (it names the factor it can't turn on).
            raise InvalidParameterException(
                f"User does not have delivery config set to turn on {factor.value}"
            )
    enabled = {f: f in current.enabled for f in FACTOR_ORDER}
    enabled.update({f: s.enabled for f, s in changes.items()})
    choice = current.preferred
    if preferred:
        choice = preferred[0]
    elif choice is not None and choice in changes:
        # The preferred factor's new setting no longer prefers it (or turns it off).
        choice = None
    return UserMfa(
        pool_id=current.pool_id,
        sub=current.sub,
        sms_enabled=enabled[MfaFactor.SMS_MFA],
        software_token_enabled=enabled[MfaFactor.SOFTWARE_TOKEN_MFA],
        email_enabled=enabled[MfaFactor.EMAIL_OTP],
        preferred=choice,
        totp_secret=current.totp_secret,
        totp_name=current.totp_name,
        totp_last_step=current.totp_last_step,
        pending_secret=current.pending_secret,
        totp_failures=current.totp_failures,
        totp_failed_at=current.totp_failed_at,
    )


@dataclass(frozen=True)
class MfaState:
    """What MFA asks of one user's sign-in, given the pool's configuration.

    `factors`: what the sign-in may challenge with, empty when there is no MFA step.
    `can_set_up`: the pool's factors an MFA_SETUP challenge may offer (MFAS_CAN_SETUP).
    """

    mode: MfaConfiguration
    factors: tuple[MfaFactor, ...]
    preferred: MfaFactor | None
    can_set_up: tuple[MfaFactor, ...]

    @property
    def required(self) -> bool:
        return self.mode is MfaConfiguration.ON

    @property
    def setup_needed(self) -> bool:
        """MFA is required and the user has no factor to answer with: MFA_SETUP."""
        return self.required and not self.factors

    @property
    def challenge(self) -> MfaFactor | None:
        """The factor to challenge with: the preferred one, or the only one; None when there
        is none or the user must choose (`needs_selection`)."""
        if self.preferred is not None:
            return self.preferred
        return self.factors[0] if len(self.factors) == 1 else None

    @property
    def needs_selection(self) -> bool:
        """Several factors and none preferred: SELECT_MFA_TYPE."""
        return self.challenge is None and len(self.factors) > 1


def mfa_state(
    mode: MfaConfiguration, config: PoolMfaConfig, user: User, mfa: UserMfa | None
) -> MfaState:
    allowed = pool_factors(mode, config)
    if not allowed:
        return MfaState(mode, (), None, ())
    chosen = mfa.enabled if mfa is not None else ()
    factors = tuple(f for f in chosen if f in allowed and has_delivery(f, user, mfa))
    if mode is MfaConfiguration.ON and not factors:
        # Cognito: where MFA is required, a user who chose no factor but has a phone number
        # (or, with email MFA on, an email address) gets its codes anyway; SMS comes first.
        implicit = [
            f
            for f in (MfaFactor.SMS_MFA, MfaFactor.EMAIL_OTP)
            if f in allowed and has_delivery(f, user, mfa)
        ]
        factors = tuple(implicit[:1])
    preferred = mfa.preferred if mfa is not None and mfa.preferred in factors else None
    return MfaState(mode, factors, preferred, allowed)


def risk_mfa_state(
    mode: MfaConfiguration, config: PoolMfaConfig, user: User, mfa: UserMfa | None
) -> MfaState:
    """The MFA threat protection asks for (MFA_IF_CONFIGURED / MFA_REQUIRED): the user's own
    factors when it turned some on, else every factor of the pool it can receive.

    Cognito: "MFA is possible if the user pool has active MFA methods that the user can set
    up" (an email address or phone number attribute, or a registered TOTP factor); without
    one, MFA_IF_CONFIGURED lets the sign-in through and MFA_REQUIRED blocks it (no factors).
    """
    own = mfa_state(mode, config, user, mfa)
    if own.factors:
        return own
    allowed = pool_factors(mode, config)
    factors = tuple(f for f in allowed if has_delivery(f, user, mfa))
    preferred = mfa.preferred if mfa is not None and mfa.preferred in factors else None
    return MfaState(mode, factors, preferred, allowed)
