"""MFA operations: the pool's MFA configuration, users' factor preferences, software tokens."""

from __future__ import annotations

from typing import Any

from mamori.api.aws.operations import Call, Params, Result, operation
from mamori.domain.auth.mfa import FactorSetting, UserMfa
from mamori.domain.errors import InvalidParameterException
from mamori.domain.userpools.mfa_settings import MfaConfiguration, MfaFactor
from mamori.domain.userpools.settings import SmsConfiguration
from mamori.domain.userpools.user_pool import UserPool
from mamori.protocols.cognito_settings import settings_in, settings_out
from mamori.services.auth.mfa import PoolMfaChange

# SetUserMFAPreference's members and the factor each sets.
_SETTINGS = {
    "SMSMfaSettings": MfaFactor.SMS_MFA,
    "SoftwareTokenMfaSettings": MfaFactor.SOFTWARE_TOKEN_MFA,
    "EmailMfaSettings": MfaFactor.EMAIL_OTP,
}


def _change_in(p: Params) -> PoolMfaChange:
    sms = p.get("SmsMfaConfiguration")
    software = p.get("SoftwareTokenMfaConfiguration") or {}
    email = p.get("EmailMfaConfiguration")
    web_authn = p.get("WebAuthnConfiguration")
    return PoolMfaChange(
        # Without MfaConfiguration the pool is OFF, the default of the model's UserPoolMfaType.
        mode=MfaConfiguration(p.get("MfaConfiguration") or "OFF"),
        sms=sms is not None,
        sms_message=(sms or {}).get("SmsAuthenticationMessage"),
        sms_configuration=settings_in(SmsConfiguration, (sms or {}).get("SmsConfiguration")),
        software_token=bool(software.get("Enabled", False)),
        email=email is not None,
        email_message=(email or {}).get("Message"),
        email_subject=(email or {}).get("Subject"),
        web_authn=None if web_authn is None else {k: str(v) for k, v in web_authn.items()},
    )


def mfa_config_out(pool: UserPool) -> Result:
    config = pool.mfa
    sms = (
        config.sms_enabled
        if config.sms_enabled is not None
        else pool.mfa_configuration is not MfaConfiguration.OFF
    )
    out: Result = {
        "MfaConfiguration": pool.mfa_configuration.value,
        "SoftwareTokenMfaConfiguration": {"Enabled": config.software_token_enabled},
    }
    if sms:
        block: dict[str, Any] = {}
        if pool.sms_authentication_message:
            block["SmsAuthenticationMessage"] = pool.sms_authentication_message
        if pool.sms_configuration is not None:
            block["SmsConfiguration"] = settings_out(pool.sms_configuration)
        out["SmsMfaConfiguration"] = block
    if config.email_enabled:
        email: dict[str, str] = {}
        if config.email_message:
            email["Message"] = config.email_message
        if config.email_subject:
            email["Subject"] = config.email_subject
        out["EmailMfaConfiguration"] = email
    if config.web_authn:
        out["WebAuthnConfiguration"] = dict(config.web_authn)
    return out


def _preferences_in(p: Params) -> dict[MfaFactor, FactorSetting]:
    # WebAuthnMfaSettings is accepted and ignored: passkeys are not a factor in mamori.
    changes: dict[MfaFactor, FactorSetting] = {}
    for member, factor in _SETTINGS.items():
        setting = p.get(member)
        if setting is not None:
            changes[factor] = FactorSetting(
                enabled=bool(setting.get("Enabled", False)),
                preferred=bool(setting.get("PreferredMfa", False)),
            )
    return changes


@operation("SetUserPoolMfaConfig")
async def set_user_pool_mfa_config(call: Call, p: Params) -> Result:
    pool = await call.services.mfa.set_user_pool_mfa_config(p["UserPoolId"], _change_in(p))
    return mfa_config_out(pool)


@operation("GetUserPoolMfaConfig")
async def get_user_pool_mfa_config(call: Call, p: Params) -> Result:
    return mfa_config_out(await call.services.mfa.get_user_pool_mfa_config(p["UserPoolId"]))


def _one_credential(p: Params) -> None:
    if p.get("AccessToken") and p.get("Session"):
        raise InvalidParameterException("Only one of AccessToken or Session can be given.")
    if not p.get("AccessToken") and not p.get("Session"):
        raise InvalidParameterException("Either AccessToken or Session must be given.")


# The Session variants belong to the sign-in flow (MFA_SETUP): AuthService opens the
# challenge's Session and calls MfaService.associate_for_session / verify_for_session.
@operation("AssociateSoftwareToken")
async def associate_software_token(call: Call, p: Params) -> Result:
    _one_credential(p)
    if not p.get("AccessToken"):
        secret, session = await call.services.auth.associate_software_token_for_session(
            p["Session"]
        )
        return {"SecretCode": secret, "Session": session}
    secret = await call.services.mfa.associate_software_token(p["AccessToken"])
    return {"SecretCode": secret}


@operation("VerifySoftwareToken")
async def verify_software_token(call: Call, p: Params) -> Result:
    _one_credential(p)
    if not p.get("AccessToken"):
        session = await call.services.auth.verify_software_token_for_session(
            p["Session"], p["UserCode"], p.get("FriendlyDeviceName")
        )
        return {"Status": "SUCCESS", "Session": session}
    await call.services.mfa.verify_software_token(
        p["AccessToken"], p["UserCode"], p.get("FriendlyDeviceName")
    )
    return {"Status": "SUCCESS"}


@operation("SetUserMFAPreference")
async def set_user_mfa_preference(call: Call, p: Params) -> Result:
    await call.services.mfa.set_user_mfa_preference(p["AccessToken"], _preferences_in(p))
    return {}


@operation("AdminSetUserMFAPreference")
async def admin_set_user_mfa_preference(call: Call, p: Params) -> Result:
    await call.services.mfa.admin_set_user_mfa_preference(
        p["UserPoolId"], p["Username"], _preferences_in(p)
    )
    return {}


def mfa_settings_out(settings: UserMfa) -> Result:
    """GetUser / AdminGetUser's UserMFASettingList and PreferredMfaSetting."""
    out: Result = {"UserMFASettingList": [f.value for f in settings.enabled]}
    if settings.preferred is not None:
        out["PreferredMfaSetting"] = settings.preferred.value
    return out
