"""Recovery and verification: ForgotPassword, ConfirmForgotPassword,
GetUserAttributeVerificationCode and VerifyUserAttribute."""

from __future__ import annotations

from mamori.api.aws.cognito_idp.user_context import public_context
from mamori.api.aws.cognito_idp.wire.users import client_metadata, delivery_out
from mamori.api.aws.operations import Call, Params, Result, operation


def _secret_hash(p: Params) -> str | None:
    value = p.get("SecretHash")
    return str(value) if value is not None else None


@operation("ForgotPassword")
async def forgot_password(call: Call, p: Params) -> Result:
    delivery = await call.services.recovery.forgot_password(
        p["ClientId"], p["Username"], _secret_hash(p), public_context(call, p), client_metadata(p)
    )
    return {"CodeDeliveryDetails": delivery_out(delivery)}


@operation("ConfirmForgotPassword")
async def confirm_forgot_password(call: Call, p: Params) -> Result:
    await call.services.recovery.confirm_forgot_password(
        p["ClientId"],
        p["Username"],
        p["ConfirmationCode"],
        p["Password"],
        _secret_hash(p),
        public_context(call, p),
        client_metadata(p),
    )
    return {}


@operation("GetUserAttributeVerificationCode")
async def get_user_attribute_verification_code(call: Call, p: Params) -> Result:
    delivery = await call.services.recovery.get_user_attribute_verification_code(
        p["AccessToken"], p["AttributeName"], client_metadata(p)
    )
    return {"CodeDeliveryDetails": delivery_out(delivery)}


@operation("VerifyUserAttribute")
async def verify_user_attribute(call: Call, p: Params) -> Result:
    await call.services.recovery.verify_user_attribute(
        p["AccessToken"], p["AttributeName"], p["Code"]
    )
    return {}
