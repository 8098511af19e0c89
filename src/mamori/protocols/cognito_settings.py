"""Cognito's JSON for user pool and app client settings, to and from typed domain values.

LambdaConfig, DeviceConfiguration, EmailConfiguration, SmsConfiguration, UserPoolAddOns,
UserPoolTier; the OAuth members, AnalyticsConfiguration and
EnablePropagateAdditionalUserContextData. Each is kept as given: a member left out is None and
is left out again on the way back, so Describe* echoes what Create*/Update* got. Used by the
wire (api/aws/cognito_idp/) and by the storage codec, whose `extra` column key holds this JSON.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from mamori.domain.userpools.app_client import (
    AnalyticsConfiguration,
    AppClient,
    OAuthFlow,
    OAuthSettings,
)
from mamori.domain.userpools.settings import (
    AdditionalFlows,
    DeviceConfiguration,
    EmailConfiguration,
    EumsSmsConfiguration,
    LambdaConfig,
    SmsConfiguration,
    UserPoolAddOns,
    VersionedLambda,
)
from mamori.domain.userpools.user_pool import UserPool

T = TypeVar("T")

# (field, AWS member, the member's structure if it is one) per settings class.
_Members = tuple[tuple[str, str, type | None], ...]
_VERSIONED: _Members = (
    ("lambda_version", "LambdaVersion", None),
    ("lambda_arn", "LambdaArn", None),
)
_MEMBERS: dict[type, _Members] = {
    VersionedLambda: _VERSIONED,
    LambdaConfig: (
        ("pre_sign_up", "PreSignUp", None),
        ("custom_message", "CustomMessage", None),
        ("post_confirmation", "PostConfirmation", None),
        ("pre_authentication", "PreAuthentication", None),
        ("post_authentication", "PostAuthentication", None),
        ("define_auth_challenge", "DefineAuthChallenge", None),
        ("create_auth_challenge", "CreateAuthChallenge", None),
        ("verify_auth_challenge_response", "VerifyAuthChallengeResponse", None),
        ("pre_token_generation", "PreTokenGeneration", None),
        ("user_migration", "UserMigration", None),
        ("pre_token_generation_config", "PreTokenGenerationConfig", VersionedLambda),
        ("custom_sms_sender", "CustomSMSSender", VersionedLambda),
        ("custom_email_sender", "CustomEmailSender", VersionedLambda),
        ("kms_key_id", "KMSKeyID", None),
        ("inbound_federation", "InboundFederation", VersionedLambda),
    ),
    DeviceConfiguration: (
        ("on_new_device", "ChallengeRequiredOnNewDevice", None),
        ("on_user_prompt", "DeviceOnlyRememberedOnUserPrompt", None),
    ),
    EmailConfiguration: (
        ("source_arn", "SourceArn", None),
        ("reply_to_email_address", "ReplyToEmailAddress", None),
        ("email_sending_account", "EmailSendingAccount", None),
        ("from_address", "From", None),
        ("configuration_set", "ConfigurationSet", None),
    ),
    EumsSmsConfiguration: (
        ("caller_arn", "CallerArn", None),
        ("external_id", "ExternalId", None),
        ("origination_identity", "OriginationIdentity", None),
        ("configuration_set_name", "ConfigurationSetName", None),
        ("in_entity_id", "InEntityId", None),
        ("in_template_id", "InTemplateId", None),
        ("region", "Region", None),
    ),
    SmsConfiguration: (
        ("sns_caller_arn", "SnsCallerArn", None),
        ("external_id", "ExternalId", None),
        ("sns_region", "SnsRegion", None),
        ("eums_sms", "EumsSms", EumsSmsConfiguration),
    ),
    AdditionalFlows: (("custom_auth_mode", "CustomAuthMode", None),),
    UserPoolAddOns: (
        ("advanced_security_mode", "AdvancedSecurityMode", None),
        ("additional_flows", "AdvancedSecurityAdditionalFlows", AdditionalFlows),
    ),
    AnalyticsConfiguration: (
        ("application_id", "ApplicationId", None),
        ("application_arn", "ApplicationArn", None),
        ("role_arn", "RoleArn", None),
        ("external_id", "ExternalId", None),
        ("user_data_shared", "UserDataShared", None),
    ),
    # Members of the client request itself, not of a structure of their own.
    OAuthSettings: (
        ("identity_providers", "SupportedIdentityProviders", None),
        ("callback_urls", "CallbackURLs", None),
        ("logout_urls", "LogoutURLs", None),
        ("default_redirect_uri", "DefaultRedirectURI", None),
        ("flows", "AllowedOAuthFlows", None),
        ("scopes", "AllowedOAuthScopes", None),
        ("enabled", "AllowedOAuthFlowsUserPoolClient", None),
    ),
}
# The settings members of a pool, by UserPool field.
_POOL: _Members = (
    ("lambda_config", "LambdaConfig", LambdaConfig),
    ("device_configuration", "DeviceConfiguration", DeviceConfiguration),
    ("email_configuration", "EmailConfiguration", EmailConfiguration),
    ("sms_configuration", "SmsConfiguration", SmsConfiguration),
    ("add_ons", "UserPoolAddOns", UserPoolAddOns),
    ("tier", "UserPoolTier", None),
)
# The settings members of an app client besides OAuthSettings', by AppClient field.
_CLIENT: _Members = (
    ("analytics", "AnalyticsConfiguration", AnalyticsConfiguration),
    ("propagate_user_context_data", "EnablePropagateAdditionalUserContextData", None),
)
POOL_SETTINGS_FIELDS = tuple(f for f, _, _ in _POOL)
CLIENT_SETTINGS_FIELDS = ("oauth", *(f for f, _, _ in _CLIENT))


def _value_in(raw: Any, kind: type | None) -> Any:
    if kind is not None:
        return settings_in(kind, raw)
    if isinstance(raw, list):
        return tuple(raw)
    return raw


def _value_out(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return settings_out(value)
    if isinstance(value, tuple):
        return [_value_out(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


def _fields_in(members: _Members, raw: Mapping[str, Any]) -> dict[str, Any]:
    return {f: _value_in(raw[m], kind) for f, m, kind in members if raw.get(m) is not None}


def _fields_out(members: _Members, value: Any) -> dict[str, Any]:
    return {m: _value_out(v) for f, m, _ in members if (v := getattr(value, f)) is not None}


def settings_in(cls: type[T], raw: Any) -> T | None:
    """One settings structure from its JSON; None unless `raw` is a JSON object."""
    if not isinstance(raw, Mapping):
        return None
    return cls(**_fields_in(_MEMBERS[cls], raw))


def settings_out(value: Any) -> dict[str, Any]:
    """One settings structure's JSON: the members it was given."""
    return _fields_out(_MEMBERS[type(value)], value)


def pool_settings_in(p: Mapping[str, Any]) -> dict[str, Any]:
    """The UserPool fields that CreateUserPool / UpdateUserPool parameters (or a stored pool's
    `extra`) give as settings."""
    return _fields_in(_POOL, p)


def pool_settings_out(pool: UserPool) -> dict[str, Any]:
    """A pool's settings members, as DescribeUserPool returns them (left out when not given)."""
    return _fields_out(_POOL, pool)


def client_settings_in(p: Mapping[str, Any]) -> dict[str, Any]:
    """The AppClient fields that CreateUserPoolClient / UpdateUserPoolClient parameters (or a
    stored client's `extra`) give as settings."""
    oauth = settings_in(OAuthSettings, p) or OAuthSettings()
    if oauth.flows is not None:
        oauth = dataclasses.replace(oauth, flows=tuple(OAuthFlow(f) for f in oauth.flows))
    return {"oauth": oauth, **_fields_in(_CLIENT, p)}


def client_settings_out(client: AppClient) -> dict[str, Any]:
    """A client's settings members, as DescribeUserPoolClient returns them."""
    return {**settings_out(client.oauth), **_fields_out(_CLIENT, client)}
