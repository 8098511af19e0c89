"""Wire shapes of user pools: CreateUserPool / UpdateUserPool in, pools, schema and ARNs out."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from mamori.api.aws.cognito_idp.wire.timestamps import EPOCH, ts
from mamori.domain.errors import InvalidParameterException, ResourceNotFoundException
from mamori.domain.ids import PoolId, region_of
from mamori.domain.userpools.password_policy import PasswordPolicy
from mamori.domain.userpools.schema import AttributeRequest, AttributeType, SchemaAttribute
from mamori.domain.userpools.user_pool import (
    MessageTemplate,
    MfaConfiguration,
    RecoveryOption,
    UserPool,
)
from mamori.protocols.cognito_settings import pool_settings_in, pool_settings_out

ACCOUNT_ID = "000000000000"


def pool_arn(pool_id: str, region: str) -> str:
    return f"arn:aws:cognito-idp:{region}:{ACCOUNT_ID}:userpool/{pool_id}"


def pool_id_from_arn(arn: str) -> str:
    """The pool an ARN names; ResourceNotFoundException unless it is one of our pool ARNs."""
    pool_id = arn.rsplit("/", 1)[-1]
    if arn != pool_arn(pool_id, region_of(pool_id)):
        raise ResourceNotFoundException(f"Resource {arn} does not exist.")
    return pool_id


# --- schema
# The model allows constraint values up to 2^1023, written as decimal strings.
_CONSTRAINT_LIMIT = 2**1023


def _constraint(item: Mapping[str, Any], group: str, key: str) -> int | None:
    raw = (item.get(group) or {}).get(key)
    if raw is None:
        return None
    text = str(raw).strip()
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 310):
        raise InvalidParameterException(
            f"{group}.{key} of attribute {item.get('Name')} must be an integer, not '{raw}'."
        )
    value = int(text)
    if abs(value) > _CONSTRAINT_LIMIT:
        raise InvalidParameterException(
            f"{group}.{key} of attribute {item.get('Name')} must not exceed 2^1023."
        )
    return value


def schema_in(item: Mapping[str, Any]) -> AttributeRequest:
    text, num = "StringAttributeConstraints", "NumberAttributeConstraints"
    data_type = item.get("AttributeDataType")
    mutable, required = item.get("Mutable"), item.get("Required")
    return AttributeRequest(
        name=str(item.get("Name", "")),
        type=None if data_type is None else AttributeType(data_type),
        developer_only=bool(item.get("DeveloperOnlyAttribute", False)),
        mutable=None if mutable is None else bool(mutable),
        required=None if required is None else bool(required),
        min_length=_constraint(item, text, "MinLength"),
        max_length=_constraint(item, text, "MaxLength"),
        min_value=_constraint(item, num, "MinValue"),
        max_value=_constraint(item, num, "MaxValue"),
    )


def schema_out(attr: SchemaAttribute) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Name": attr.name,
        "AttributeDataType": attr.type.value,
        "DeveloperOnlyAttribute": attr.developer_only,
        "Mutable": attr.mutable,
        "Required": attr.required,
    }
    if attr.type is AttributeType.STRING:
        text: dict[str, str] = {}
        if attr.min_length is not None:
            text["MinLength"] = str(attr.min_length)
        if attr.max_length is not None:
            text["MaxLength"] = str(attr.max_length)
        out["StringAttributeConstraints"] = text
    if attr.type is AttributeType.NUMBER:
        num: dict[str, str] = {}
        if attr.min_value is not None:
            num["MinValue"] = str(attr.min_value)
        if attr.max_value is not None:
            num["MaxValue"] = str(attr.max_value)
        out["NumberAttributeConstraints"] = num
    return out


# --- pools
def pool_in(p: Mapping[str, Any], name: str) -> UserPool:
    """A draft pool from CreateUserPool / UpdateUserPool parameters (id and dates unset)."""
    given = (p.get("Policies") or {}).get("PasswordPolicy")
    pp = given or {}
    # Cognito: without a PasswordPolicy the default policy requires every character class;
    # in a given policy, a requirement left out is off.
    require = given is None
    policy = PasswordPolicy(
        minimum_length=int(pp.get("MinimumLength") or 8),
        require_uppercase=bool(pp.get("RequireUppercase", require)),
        require_lowercase=bool(pp.get("RequireLowercase", require)),
        require_numbers=bool(pp.get("RequireNumbers", require)),
        require_symbols=bool(pp.get("RequireSymbols", require)),
        temporary_password_validity_days=int(pp.get("TemporaryPasswordValidityDays") or 7),
        password_history_size=pp.get("PasswordHistorySize"),
    )
    vmt = p.get("VerificationMessageTemplate") or {}
    verification = MessageTemplate(
        sms_message=vmt.get("SmsMessage") or p.get("SmsVerificationMessage"),
        email_message=vmt.get("EmailMessage") or p.get("EmailVerificationMessage"),
        email_subject=vmt.get("EmailSubject") or p.get("EmailVerificationSubject"),
        email_message_by_link=vmt.get("EmailMessageByLink"),
        email_subject_by_link=vmt.get("EmailSubjectByLink"),
        default_email_option=vmt.get("DefaultEmailOption", "CONFIRM_WITH_CODE"),
    )
    acu = p.get("AdminCreateUserConfig") or {}
    imt = acu.get("InviteMessageTemplate") or {}
    if acu.get("UnusedAccountValidityDays") is not None:
        if pp.get("TemporaryPasswordValidityDays") is not None:
            # Cognito's own wording when both are given.
            raise InvalidParameterException(
                "Please use TemporaryPasswordValidityDays in PasswordPolicy instead of "
                "UnusedAccountValidityDays"
            )
        policy = dataclasses.replace(
            policy, temporary_password_validity_days=int(acu["UnusedAccountValidityDays"])
        )
    recovery = tuple(
        RecoveryOption(str(m["Name"]), int(m["Priority"]))
        for m in (p.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms", [])
    )
    # Cognito: a pool created through the API without UsernameConfiguration is case sensitive.
    case_sensitive = bool((p.get("UsernameConfiguration") or {}).get("CaseSensitive", True))
    return UserPool(
        id=PoolId(""),
        name=name,
        created=EPOCH,
        modified=EPOCH,
        username_attributes=tuple(p.get("UsernameAttributes") or ()),
        alias_attributes=tuple(p.get("AliasAttributes") or ()),
        case_sensitive=case_sensitive,
        password_policy=policy,
        auto_verified_attributes=tuple(p.get("AutoVerifiedAttributes") or ()),
        attributes_require_verification_before_update=tuple(
            (p.get("UserAttributeUpdateSettings") or {}).get(
                "AttributesRequireVerificationBeforeUpdate"
            )
            or ()
        ),
        mfa_configuration=MfaConfiguration(p.get("MfaConfiguration", "OFF")),
        deletion_protection=p.get("DeletionProtection") == "ACTIVE",
        allow_admin_create_user_only=bool(acu.get("AllowAdminCreateUserOnly", False)),
        invite_message=MessageTemplate(
            sms_message=imt.get("SMSMessage"),
            email_message=imt.get("EmailMessage"),
            email_subject=imt.get("EmailSubject"),
        ),
        verification_message=verification,
        sms_authentication_message=p.get("SmsAuthenticationMessage"),
        account_recovery=recovery,
        tags=dict(p.get("UserPoolTags") or {}),
        **pool_settings_in(p),
        allowed_first_auth_factors=tuple(
            ((p.get("Policies") or {}).get("SignInPolicy") or {}).get("AllowedFirstAuthFactors")
            or ("PASSWORD",)
        ),
    )


def pool_out(pool: UserPool, users: int, region: str) -> dict[str, Any]:
    policy = pool.password_policy
    password_policy: dict[str, Any] = {
        "MinimumLength": policy.minimum_length,
        "RequireUppercase": policy.require_uppercase,
        "RequireLowercase": policy.require_lowercase,
        "RequireNumbers": policy.require_numbers,
        "RequireSymbols": policy.require_symbols,
        "TemporaryPasswordValidityDays": policy.temporary_password_validity_days,
    }
    if policy.password_history_size is not None:
        password_policy["PasswordHistorySize"] = policy.password_history_size
    vm = pool.verification_message
    template = {
        k: v
        for k, v in {
            "SmsMessage": vm.sms_message,
            "EmailMessage": vm.email_message,
            "EmailSubject": vm.email_subject,
            "EmailMessageByLink": vm.email_message_by_link,
            "EmailSubjectByLink": vm.email_subject_by_link,
            "DefaultEmailOption": vm.default_email_option,
        }.items()
        if v is not None
    }
    invite = {
        k: v
        for k, v in {
            "SMSMessage": pool.invite_message.sms_message,
            "EmailMessage": pool.invite_message.email_message,
            "EmailSubject": pool.invite_message.email_subject,
        }.items()
        if v is not None
    }
    out: dict[str, Any] = {
        "Id": pool.id,
        "Name": pool.name,
        "Arn": pool_arn(pool.id, region),
        "Policies": {
            "PasswordPolicy": password_policy,
            "SignInPolicy": {"AllowedFirstAuthFactors": list(pool.allowed_first_auth_factors)},
        },
        "DeletionProtection": "ACTIVE" if pool.deletion_protection else "INACTIVE",
        "LambdaConfig": {},
        "LastModifiedDate": ts(pool.modified),
        "CreationDate": ts(pool.created),
        "SchemaAttributes": [schema_out(a) for a in pool.schema],
        "AutoVerifiedAttributes": list(pool.auto_verified_attributes),
        "VerificationMessageTemplate": template,
        "MfaConfiguration": pool.mfa_configuration.value,
        "EstimatedNumberOfUsers": users,
        "UserPoolTags": dict(pool.tags),
        "AdminCreateUserConfig": {
            "AllowAdminCreateUserOnly": pool.allow_admin_create_user_only,
            "UnusedAccountValidityDays": policy.temporary_password_validity_days,
            **({"InviteMessageTemplate": invite} if invite else {}),
        },
        "UsernameConfiguration": {"CaseSensitive": pool.case_sensitive},
        # Cognito's defaults for settings the pool was not given (overridden below).
        "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
        "UserPoolTier": "ESSENTIALS",
        "UserAttributeUpdateSettings": {
            "AttributesRequireVerificationBeforeUpdate": list(
                pool.attributes_require_verification_before_update
            )
        },
    }
    if pool.alias_attributes:
        out["AliasAttributes"] = list(pool.alias_attributes)
    if pool.username_attributes:
        out["UsernameAttributes"] = list(pool.username_attributes)
    if vm.sms_message:
        out["SmsVerificationMessage"] = vm.sms_message
    if vm.email_message:
        out["EmailVerificationMessage"] = vm.email_message
    if vm.email_subject:
        out["EmailVerificationSubject"] = vm.email_subject
    if pool.sms_authentication_message:
        out["SmsAuthenticationMessage"] = pool.sms_authentication_message
    if pool.account_recovery:
        out["AccountRecoverySetting"] = {
            "RecoveryMechanisms": [
                {"Priority": r.priority, "Name": r.name} for r in pool.account_recovery
            ]
        }
    out.update(pool_settings_out(pool))
    return out


def pool_summary(pool: UserPool) -> dict[str, Any]:
    return {
        "Id": pool.id,
        "Name": pool.name,
        "LambdaConfig": {},
        "LastModifiedDate": ts(pool.modified),
        "CreationDate": ts(pool.created),
    }
