"""The user pool aggregate: schema, sign-in identifiers, policies and messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from mamori.domain.ids import PoolId
from mamori.domain.userpools.mfa_settings import MfaConfiguration as MfaConfiguration  # re-exported
from mamori.domain.userpools.mfa_settings import PoolMfaConfig
from mamori.domain.userpools.password_policy import PasswordPolicy
from mamori.domain.userpools.schema import STANDARD_SCHEMA, SchemaAttribute
from mamori.domain.userpools.settings import (
    DeviceConfiguration,
    EmailConfiguration,
    LambdaConfig,
    SmsConfiguration,
    UserPoolAddOns,
)


@dataclass(frozen=True)
class RecoveryOption:
    name: str  # verified_email | verified_phone_number | admin_only
    priority: int


@dataclass(frozen=True)
class MessageTemplate:
    sms_message: str | None = None
    email_message: str | None = None
    email_subject: str | None = None
    email_message_by_link: str | None = None
    email_subject_by_link: str | None = None
    default_email_option: str = "CONFIRM_WITH_CODE"


@dataclass(frozen=True)
class UserPool:
    id: PoolId
    name: str
    created: datetime
    modified: datetime
    schema: tuple[SchemaAttribute, ...] = STANDARD_SCHEMA
    username_attributes: tuple[str, ...] = ()
    alias_attributes: tuple[str, ...] = ()
    case_sensitive: bool = False
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    auto_verified_attributes: tuple[str, ...] = ()
    attributes_require_verification_before_update: tuple[str, ...] = ()
    mfa_configuration: MfaConfiguration = MfaConfiguration.OFF
    deletion_protection: bool = False
    allow_admin_create_user_only: bool = False
    invite_message: MessageTemplate = field(default_factory=MessageTemplate)
    verification_message: MessageTemplate = field(default_factory=MessageTemplate)
    sms_authentication_message: str | None = None
    account_recovery: tuple[RecoveryOption, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    # Settings as given, None when left out (domain/userpools/settings.py).
    lambda_config: LambdaConfig | None = None
    device_configuration: DeviceConfiguration | None = None  # None: no device tracking
    email_configuration: EmailConfiguration | None = None
    sms_configuration: SmsConfiguration | None = None
    add_ons: UserPoolAddOns | None = None
    tier: str | None = None  # UserPoolTier: LITE | ESSENTIALS | PLUS
    # The factors SetUserPoolMfaConfig turns on (domain/auth/mfa.py); mfa_configuration above says
    # whether MFA is OFF, ON or OPTIONAL.
    mfa: PoolMfaConfig = field(default_factory=PoolMfaConfig)
    # Policies.SignInPolicy.AllowedFirstAuthFactors: what USER_AUTH sign-ins may start with
    # (PASSWORD covers PASSWORD and PASSWORD_SRP; EMAIL_OTP, SMS_OTP, WEB_AUTHN).
    allowed_first_auth_factors: tuple[str, ...] = ("PASSWORD",)

    def attribute(self, name: str) -> SchemaAttribute | None:
        for attr in self.schema:
            if attr.name == name:
                return attr
        return None

    @property
    def arn_suffix(self) -> str:
        return f"userpool/{self.id}"

    def username_key(self, username: str) -> str:
        """The form a username is looked up by: case-folded unless the pool is case sensitive."""
        return username if self.case_sensitive else username.lower()

    def sign_in_aliases(self) -> tuple[str, ...]:
        """Attributes that sign a user in besides the username."""
        return self.username_attributes or self.alias_attributes
