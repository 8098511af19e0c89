"""MFA rules: the pool's factors, users' preferences and what a sign-in challenges with;
and DeviceConfiguration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from tests.support.entities import pool_value, user_value

from mamori.domain.auth.device import new_device_key
from mamori.domain.auth.mfa import (
    FactorSetting,
    UserMfa,
    apply_preferences,
    mfa_state,
    risk_mfa_state,
)
from mamori.domain.errors import InvalidParameterException
from mamori.domain.userpools.mfa_settings import (
    MfaConfiguration,
    MfaFactor,
    PoolMfaConfig,
    check_pool_mfa,
    pool_factors,
)
from mamori.domain.userpools.settings import DeviceConfiguration
from mamori.domain.users.user import User
from mamori.protocols.cognito_settings import pool_settings_in

OFF, ON, OPTIONAL = MfaConfiguration.OFF, MfaConfiguration.ON, MfaConfiguration.OPTIONAL
SMS, TOTP, EMAIL = MfaFactor.SMS_MFA, MfaFactor.SOFTWARE_TOKEN_MFA, MfaFactor.EMAIL_OTP
ALL = PoolMfaConfig(sms_enabled=True, software_token_enabled=True, email_enabled=True)
POOL = pool_value()


def user(**attributes: str) -> User:
    return user_value(POOL, **attributes)


def mfa_of(u: User, **fields: Any) -> UserMfa:
    return UserMfa(u.pool_id, u.sub, **fields)


def test_pool_factors() -> None:
    assert pool_factors(OFF, ALL) == ()
    assert pool_factors(ON, ALL) == (SMS, TOTP, EMAIL)
    assert pool_factors(OPTIONAL, PoolMfaConfig(sms_enabled=False, email_enabled=True)) == (EMAIL,)
    # Never configured by SetUserPoolMfaConfig: a pool with MFA on offers SMS.
    assert pool_factors(ON, PoolMfaConfig()) == (SMS,)


def test_check_pool_mfa() -> None:
    check_pool_mfa(OFF, PoolMfaConfig(sms_enabled=False))
    check_pool_mfa(ON, PoolMfaConfig(software_token_enabled=True))
    for mode, config in (
        (OFF, PoolMfaConfig(email_enabled=True)),
        (OFF, PoolMfaConfig(sms_enabled=True)),
        (ON, PoolMfaConfig(sms_enabled=False)),
        (OPTIONAL, PoolMfaConfig(sms_enabled=False)),
    ):
        with pytest.raises(InvalidParameterException):
            check_pool_mfa(mode, config)


def test_preferences_need_delivery_and_one_preferred() -> None:
    u = user(phone_number="+15550100000", email="a@example.com")
    current = mfa_of(u)
    updated = apply_preferences(current, u, {SMS: FactorSetting(True, True)})
    assert updated.enabled == (SMS,) and updated.preferred is SMS
    with pytest.raises(InvalidParameterException, match="SOFTWARE_TOKEN_MFA"):
        apply_preferences(current, u, {TOTP: FactorSetting(True, False)})
    with pytest.raises(InvalidParameterException):
        apply_preferences(current, u, {SMS: FactorSetting(False, True)})
    with pytest.raises(InvalidParameterException):
        apply_preferences(
            current, u, {SMS: FactorSetting(True, True), EMAIL: FactorSetting(True, True)}
        )
    nothing = user()
    with pytest.raises(InvalidParameterException, match="SMS_MFA"):
        apply_preferences(mfa_of(nothing), nothing, {SMS: FactorSetting(True, False)})
    with pytest.raises(InvalidParameterException, match="EMAIL_OTP"):
        apply_preferences(mfa_of(nothing), nothing, {EMAIL: FactorSetting(True, False)})


def test_preferences_keep_what_the_request_leaves_out() -> None:
    u = user(phone_number="+15550100000", email="a@example.com")
    current = mfa_of(u, sms_enabled=True, email_enabled=True, preferred=SMS, totp_secret="S" * 32)
    updated = apply_preferences(current, u, {EMAIL: FactorSetting(False, False)})
    assert updated.enabled == (SMS,) and updated.preferred is SMS
    assert updated.totp_secret == "S" * 32
    updated = apply_preferences(current, u, {SMS: FactorSetting(True, False)})
    assert updated.preferred is None
    updated = apply_preferences(current, u, {TOTP: FactorSetting(True, True)})
    assert updated.enabled == (SMS, TOTP, EMAIL) and updated.preferred is TOTP
    assert "S" * 32 not in repr(updated)


def test_mfa_state_off_and_optional() -> None:
    u = user(phone_number="+15550100000")
    chosen = mfa_of(u, sms_enabled=True)
    assert mfa_state(OFF, ALL, u, chosen).factors == ()
    assert mfa_state(OPTIONAL, ALL, u, None).factors == ()
    state = mfa_state(OPTIONAL, ALL, u, chosen)
    assert state.factors == (SMS,) and state.challenge is SMS and not state.required


def test_mfa_state_drops_factors_the_pool_or_the_user_cannot_use() -> None:
    u = user(email="a@example.com")  # the phone number was removed after SMS was turned on
    chosen = mfa_of(u, sms_enabled=True, software_token_enabled=True, email_enabled=True)
    state = mfa_state(OPTIONAL, ALL, u, chosen)
    assert state.factors == (EMAIL,)  # no phone, no verified token
    only_totp = PoolMfaConfig(sms_enabled=False, software_token_enabled=True)
    assert mfa_state(OPTIONAL, only_totp, u, chosen).factors == ()


def test_mfa_state_required() -> None:
    config = PoolMfaConfig(sms_enabled=True, software_token_enabled=True)
    bare = user()
    state = mfa_state(ON, config, bare, None)
    assert state.required and state.setup_needed
    assert state.can_set_up == (SMS, TOTP)
    # Cognito: with MFA required, a phone number is enough for SMS codes.
    phone = user(phone_number="+15550100000", email="a@example.com")
    state = mfa_state(ON, ALL, phone, None)
    assert state.factors == (SMS,) and state.challenge is SMS and not state.setup_needed


def test_mfa_state_selection_and_preference() -> None:
    u = user(phone_number="+15550100000", email="a@example.com")
    both = mfa_of(u, sms_enabled=True, email_enabled=True, totp_secret="S" * 32)
    state = mfa_state(ON, ALL, u, both)
    assert state.needs_selection and state.challenge is None
    preferred = mfa_of(u, sms_enabled=True, email_enabled=True, preferred=EMAIL)
    state = mfa_state(ON, ALL, u, preferred)
    assert state.challenge is EMAIL and not state.needs_selection
    # A preference the pool no longer offers does not count.
    no_email = PoolMfaConfig(sms_enabled=True)
    state = mfa_state(ON, no_email, u, preferred)
    assert state.preferred is None and state.challenge is SMS


def device_configuration(settings: Mapping[str, Any]) -> DeviceConfiguration | None:
    """The DeviceConfiguration a pool's settings JSON gives, None when device tracking is off."""
    found: DeviceConfiguration | None = pool_settings_in(settings).get("device_configuration")
    return found


def test_device_configuration() -> None:
    assert device_configuration({}) is None
    assert device_configuration({"DeviceConfiguration": "junk"}) is None
    assert device_configuration({"DeviceConfiguration": {}}) == DeviceConfiguration()
    assert device_configuration(
        {
            "DeviceConfiguration": {
                "ChallengeRequiredOnNewDevice": True,
                "DeviceOnlyRememberedOnUserPrompt": True,
            }
        }
    ) == DeviceConfiguration(True, True)
    key = new_device_key("eu-west-1_abcDEF123")
    region, _, rest = key.partition("_")
    assert region == "eu-west-1" and len(rest) == 36


def test_threat_protections_mfa_takes_any_factor_the_user_can_receive() -> None:
    totp_only = PoolMfaConfig(sms_enabled=False, software_token_enabled=True)
    u = user(phone_number="+15555550100", email="pat@example.com")
    registered = mfa_of(u, totp_secret="JBSWY3DPEHPK3PXP")  # verified, not turned on
    assert mfa_state(OPTIONAL, totp_only, u, registered).factors == ()
    state = risk_mfa_state(OPTIONAL, totp_only, u, registered)
    assert (state.factors, state.challenge) == ((TOTP,), TOTP)
    # Nothing registered, SMS off in the pool: no MFA is possible; MFA OFF: none either.
    assert risk_mfa_state(OPTIONAL, totp_only, u, None).factors == ()
    assert risk_mfa_state(OFF, PoolMfaConfig(), u, registered).factors == ()
    # SMS on: the phone number is enough (Cognito: it need not be verified).
    assert risk_mfa_state(OPTIONAL, ALL, u, None).factors == (SMS, EMAIL)
    # Factors the user turned on are the ones asked for.
    chosen = mfa_of(u, software_token_enabled=True, totp_secret="JBSWY3DPEHPK3PXP")
    assert risk_mfa_state(OPTIONAL, ALL, u, chosen).factors == (TOTP,)
