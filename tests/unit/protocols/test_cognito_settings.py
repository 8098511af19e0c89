"""protocols/cognito_settings.py: Cognito's JSON for pool and client settings, typed and back."""

from __future__ import annotations

from typing import Any

from tests.support.entities import client_value, pool_value

from mamori.domain.ids import PoolId
from mamori.domain.userpools.app_client import OAuthFlow
from mamori.domain.userpools.settings import DeviceConfiguration, VersionedLambda
from mamori.protocols.cognito_settings import (
    client_settings_in,
    client_settings_out,
    pool_settings_in,
    pool_settings_out,
)

POOL_SETTINGS: dict[str, Any] = {
    "LambdaConfig": {
        "PreSignUp": "arn:aws:lambda:eu-west-1:000000000000:function:pre",
        "PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": "arn:t"},
        "CustomSMSSender": {"LambdaVersion": "V1_0", "LambdaArn": "arn:s"},
        "KMSKeyID": "arn:aws:kms:k",
    },
    "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": False},
    "EmailConfiguration": {"EmailSendingAccount": "DEVELOPER", "From": "a <a@example.com>"},
    "SmsConfiguration": {"SnsCallerArn": "arn:r", "EumsSms": {"Region": "eu-west-1"}},
    "UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT", "AdvancedSecurityAdditionalFlows": {}},
    "UserPoolTier": "PLUS",
}
CLIENT_SETTINGS: dict[str, Any] = {
    "SupportedIdentityProviders": ["COGNITO"],
    "CallbackURLs": ["https://app.example/cb"],
    "LogoutURLs": [],
    "DefaultRedirectURI": "https://app.example/cb",
    "AllowedOAuthFlows": ["code", "implicit"],
    "AllowedOAuthScopes": ["openid"],
    "AllowedOAuthFlowsUserPoolClient": False,
    "AnalyticsConfiguration": {"ApplicationId": "ab12", "UserDataShared": False},
    "EnablePropagateAdditionalUserContextData": False,
}


def test_pool_settings_come_back_as_given() -> None:
    fields = pool_settings_in(POOL_SETTINGS)
    pool = pool_value(**fields)
    assert pool.device_configuration == DeviceConfiguration(on_new_device=False)
    assert not pool.device_configuration.challenge_required_on_new_device
    assert pool.lambda_config is not None
    assert pool.lambda_config.pre_token_generation_config == VersionedLambda("V2_0", "arn:t")
    assert pool_settings_out(pool) == POOL_SETTINGS


def test_settings_left_out_stay_out() -> None:
    assert pool_settings_in({}) == {}
    assert pool_settings_out(pool_value()) == {}
    assert client_settings_out(client_value(PoolId("eu-west-1_x"))) == {}
    pool = pool_value(**pool_settings_in({"LambdaConfig": {}, "DeviceConfiguration": {}}))
    assert pool_settings_out(pool) == {"LambdaConfig": {}, "DeviceConfiguration": {}}


def test_client_settings_come_back_as_given() -> None:
    client = client_value(PoolId("eu-west-1_x"), **client_settings_in(CLIENT_SETTINGS))
    assert client.oauth.flows == (OAuthFlow.CODE, OAuthFlow.IMPLICIT)
    assert client.oauth.enabled is False
    assert client_settings_out(client) == CLIENT_SETTINGS
