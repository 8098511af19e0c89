"""A user pool's settings for triggers, message delivery and add-ons, as typed values.

Each `None` is a setting the pool was not given (Describe* then leaves it out); the AWS JSON for
them is read and written only by protocols/cognito_settings.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VersionedLambda:
    """A trigger named with the version of its event (PreTokenGenerationConfig, CustomSMSSender,
    CustomEmailSender, InboundFederation)."""

    lambda_version: str | None = None  # V1_0, V2_0, V3_0 (pre token generation)
    lambda_arn: str | None = None


@dataclass(frozen=True)
class LambdaConfig:
    """The pool's triggers: one Lambda ARN each (LambdaConfig)."""

    pre_sign_up: str | None = None
    custom_message: str | None = None
    post_confirmation: str | None = None
    pre_authentication: str | None = None
    post_authentication: str | None = None
    define_auth_challenge: str | None = None
    create_auth_challenge: str | None = None
    verify_auth_challenge_response: str | None = None
    pre_token_generation: str | None = None
    user_migration: str | None = None
    pre_token_generation_config: VersionedLambda | None = None
    custom_sms_sender: VersionedLambda | None = None
    custom_email_sender: VersionedLambda | None = None
    kms_key_id: str | None = None  # encrypts the codes custom senders get
    inbound_federation: VersionedLambda | None = None


@dataclass(frozen=True)
class EmailConfiguration:
    """Where the pool's email would come from on AWS (SES); mamori's senders are its own."""

    source_arn: str | None = None
    reply_to_email_address: str | None = None
    email_sending_account: str | None = None  # COGNITO_DEFAULT | DEVELOPER
    from_address: str | None = None  # From
    configuration_set: str | None = None


@dataclass(frozen=True)
class EumsSmsConfiguration:
    """SMS through AWS End User Messaging (SmsConfiguration.EumsSms)."""

    caller_arn: str | None = None
    external_id: str | None = None
    origination_identity: str | None = None
    configuration_set_name: str | None = None
    in_entity_id: str | None = None
    in_template_id: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class SmsConfiguration:
    """How the pool's SMS would be sent on AWS (SNS); mamori's senders are its own."""

    sns_caller_arn: str | None = None
    external_id: str | None = None
    sns_region: str | None = None
    eums_sms: EumsSmsConfiguration | None = None


@dataclass(frozen=True)
class AdditionalFlows:
    """UserPoolAddOns.AdvancedSecurityAdditionalFlows."""

    custom_auth_mode: str | None = None  # AUDIT | ENFORCED


@dataclass(frozen=True)
class UserPoolAddOns:
    """Threat protection (UserPoolAddOns): kept and reported, not enforced."""

    advanced_security_mode: str | None = None  # OFF | AUDIT | ENFORCED
    additional_flows: AdditionalFlows | None = None


@dataclass(frozen=True)
class DeviceConfiguration:
    """The pool's DeviceConfiguration. Device tracking is on when the pool has one at all.

    Cognito: "When you provide a value for any DeviceConfiguration field, you activate the
    Amazon Cognito device-remembering feature"; a pool without one tracks no devices. Each
    member is kept as given (None: left out, which is off), so DescribeUserPool echoes it.
    """

    # ChallengeRequiredOnNewDevice
    on_new_device: bool | None = None
    # DeviceOnlyRememberedOnUserPrompt
    on_user_prompt: bool | None = None

    @property
    def challenge_required_on_new_device(self) -> bool:
        """A remembered device may sign in with DEVICE_SRP_AUTH instead of an MFA code."""
        return self.on_new_device is True

    @property
    def device_only_remembered_on_user_prompt(self) -> bool:
        """ConfirmDevice leaves the device not_remembered until UpdateDeviceStatus remembers it."""
        return self.on_user_prompt is True
