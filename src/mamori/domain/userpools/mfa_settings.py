"""The pool's multi-factor settings (SetUserPoolMfaConfig, MfaConfiguration): which factors a
pool offers, and Cognito's rule on how MfaConfiguration and the factors go together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from mamori.domain.errors import InvalidParameterException


class MfaConfiguration(StrEnum):
    """The pool's MfaConfiguration; `UserPool.mfa_configuration` holds it."""

    OFF = "OFF"
    ON = "ON"
    OPTIONAL = "OPTIONAL"


class MfaFactor(StrEnum):
    """The names Cognito uses for factors, in UserMFASettingList and as challenge names."""

    SMS_MFA = "SMS_MFA"
    SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"
    EMAIL_OTP = "EMAIL_OTP"


FACTOR_ORDER = (MfaFactor.SMS_MFA, MfaFactor.SOFTWARE_TOKEN_MFA, MfaFactor.EMAIL_OTP)
# Cognito: the wording of SetUserPoolMfaConfig's two consistency errors.
OFF_WITH_FACTOR = (
    "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."
)
ON_WITHOUT_FACTOR = (
    "Invalid MFA configuration given, can't disable all MFAs with a required or optional "
    "configuration."
)


@dataclass(frozen=True)
class PoolMfaConfig:
    """The factors a pool offers besides its MfaConfiguration (`UserPool.mfa`).

    The SMS template is `UserPool.sms_authentication_message` and the SMS sending settings
    are the pool's SmsConfiguration, both shared with Create/UpdateUserPool.
    """

    # None until SetUserPoolMfaConfig says: a pool given MfaConfiguration ON or OPTIONAL by
    # CreateUserPool / UpdateUserPool offers SMS (the only factor those operations configure).
    sms_enabled: bool | None = None
    software_token_enabled: bool = False
    email_enabled: bool = False
    email_message: str | None = None
    email_subject: str | None = None
    # WebAuthnConfiguration, kept and returned as given (passkeys are not a factor here).
    web_authn: Mapping[str, str] = field(default_factory=dict)


def pool_factors(mode: MfaConfiguration, config: PoolMfaConfig) -> tuple[MfaFactor, ...]:
    """The factors a pool's sign-ins may use: none while MFA is OFF."""
    if mode is MfaConfiguration.OFF:
        return ()
    sms = config.sms_enabled if config.sms_enabled is not None else True
    on = {
        MfaFactor.SMS_MFA: sms,
        MfaFactor.SOFTWARE_TOKEN_MFA: config.software_token_enabled,
        MfaFactor.EMAIL_OTP: config.email_enabled,
    }
    return tuple(f for f in FACTOR_ORDER if on[f])


def check_pool_mfa(mode: MfaConfiguration, config: PoolMfaConfig) -> None:
    """SetUserPoolMfaConfig's rule: OFF configures no factor, ON and OPTIONAL at least one."""
    any_factor = bool(config.sms_enabled) or config.software_token_enabled or config.email_enabled
    if mode is MfaConfiguration.OFF and any_factor:
        raise InvalidParameterException(OFF_WITH_FACTOR)
    if mode is not MfaConfiguration.OFF and not any_factor:
        raise InvalidParameterException(ON_WITHOUT_FACTOR)
