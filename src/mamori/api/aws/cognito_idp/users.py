"""User operations: sign-up, admin user management, self-service with an access token."""

from __future__ import annotations

from mamori.api.aws.cognito_idp.mfa import mfa_settings_out
from mamori.api.aws.cognito_idp.user_context import public_context
from mamori.api.aws.cognito_idp.wire.users import (
    attributes_in,
    attributes_out,
    client_metadata,
    delivery_out,
    user_out,
)
from mamori.api.aws.operations import Call, Params, Result, operation
from mamori.domain.errors import InvalidParameterException
from mamori.domain.users.user import UserStatus


def _secret_hash(p: Params) -> str | None:
    value = p.get("SecretHash")
    return str(value) if value is not None else None


@operation("SignUp")
async def sign_up(call: Call, p: Params) -> Result:
    user, delivery = await call.services.sign_up.sign_up(
        p["ClientId"],
        p["Username"],
        p.get("Password") or "",
        attributes_in(p.get("UserAttributes")),
        _secret_hash(p),
        public_context(call, p),
        validation_data=attributes_in(p.get("ValidationData")),
        client_metadata=client_metadata(p),
    )
    confirmed = user.status is UserStatus.CONFIRMED  # a PreSignUp function confirmed it
    out: Result = {"UserConfirmed": confirmed, "UserSub": user.sub}
    if delivery:
        out["CodeDeliveryDetails"] = delivery_out(delivery)
    return out


@operation("ConfirmSignUp")
async def confirm_sign_up(call: Call, p: Params) -> Result:
    await call.services.sign_up.confirm_sign_up(
        p["ClientId"],
        p["Username"],
        p["ConfirmationCode"],
        _secret_hash(p),
        bool(p.get("ForceAliasCreation", False)),
        client_metadata(p),
    )
    return {}


@operation("ResendConfirmationCode")
async def resend_confirmation_code(call: Call, p: Params) -> Result:
    delivery = await call.services.sign_up.resend_confirmation_code(
        p["ClientId"], p["Username"], _secret_hash(p), public_context(call, p), client_metadata(p)
    )
    return {"CodeDeliveryDetails": delivery_out(delivery)}


@operation("AdminCreateUser")
async def admin_create_user(call: Call, p: Params) -> Result:
    user = await call.services.admin_users.admin_create_user(
        p["UserPoolId"],
        p["Username"],
        attributes_in(p.get("UserAttributes")),
        p.get("TemporaryPassword"),
        p.get("MessageAction"),
        tuple(p.get("DesiredDeliveryMediums") or ()),
        bool(p.get("ForceAliasCreation", False)),
        validation_data=attributes_in(p.get("ValidationData")),
        client_metadata=client_metadata(p),
    )
    return {"User": user_out(user)}


@operation("AdminGetUser")
async def admin_get_user(call: Call, p: Params) -> Result:
    user = await call.services.admin_users.admin_get_user(p["UserPoolId"], p["Username"])
    out = user_out(user, "UserAttributes")
    out["MFAOptions"] = []
    out.update(mfa_settings_out(await call.services.mfa.settings_of(user)))
    return out


@operation("AdminDeleteUser")
async def admin_delete_user(call: Call, p: Params) -> Result:
    await call.services.admin_users.admin_delete_user(p["UserPoolId"], p["Username"])
    return {}


@operation("AdminEnableUser")
async def admin_enable_user(call: Call, p: Params) -> Result:
    await call.services.admin_users.admin_set_enabled(p["UserPoolId"], p["Username"], True)
    return {}


@operation("AdminDisableUser")
async def admin_disable_user(call: Call, p: Params) -> Result:
    await call.services.admin_users.admin_set_enabled(p["UserPoolId"], p["Username"], False)
    return {}


@operation("AdminUpdateUserAttributes")
async def admin_update_user_attributes(call: Call, p: Params) -> Result:
    await call.services.admin_users.admin_update_user_attributes(
        p["UserPoolId"], p["Username"], attributes_in(p["UserAttributes"]), client_metadata(p)
    )
    return {}


@operation("AdminDeleteUserAttributes")
async def admin_delete_user_attributes(call: Call, p: Params) -> Result:
    await call.services.admin_users.admin_delete_user_attributes(
        p["UserPoolId"], p["Username"], list(p["UserAttributeNames"])
    )
    return {}


@operation("AdminSetUserPassword")
async def admin_set_user_password(call: Call, p: Params) -> Result:
    await call.services.admin_users.admin_set_user_password(
        p["UserPoolId"], p["Username"], p["Password"], bool(p.get("Permanent", False))
    )
    return {}


@operation("AdminResetUserPassword")
async def admin_reset_user_password(call: Call, p: Params) -> Result:
    await call.services.admin_users.admin_reset_user_password(
        p["UserPoolId"], p["Username"], client_metadata(p)
    )
    return {}


@operation("AdminConfirmSignUp")
async def admin_confirm_sign_up(call: Call, p: Params) -> Result:
    await call.services.admin_users.admin_confirm_sign_up(
        p["UserPoolId"], p["Username"], client_metadata(p)
    )
    return {}


@operation("ListUsers")
async def list_users(call: Call, p: Params) -> Result:
    # An empty AttributesToGet, like none, returns every attribute.
    only = p.get("AttributesToGet") or None
    page = await call.services.admin_users.list_users(
        p["UserPoolId"], p.get("Filter") or "", p.get("Limit", 0), p.get("PaginationToken")
    )
    out: Result = {"Users": [user_out(u, only=only) for u in page.items]}
    if page.next_token:
        out["PaginationToken"] = page.next_token
    return out


@operation("GetUser")
async def get_user(call: Call, p: Params) -> Result:
    user, client = await call.services.self_service.get_user(p["AccessToken"])
    readable = [k for k in user.attributes if client is None or client.can_read(k)]
    return {
        "Username": user.username,
        "UserAttributes": attributes_out(user.attributes, readable),
        "MFAOptions": [],
        **mfa_settings_out(await call.services.mfa.settings_of(user)),
    }


@operation("UpdateUserAttributes")
async def update_user_attributes(call: Call, p: Params) -> Result:
    deliveries = await call.services.self_service.update_user_attributes(
        p["AccessToken"], attributes_in(p["UserAttributes"]), client_metadata(p)
    )
    return {"CodeDeliveryDetailsList": [delivery_out(d) for d in deliveries]}


@operation("DeleteUserAttributes")
async def delete_user_attributes(call: Call, p: Params) -> Result:
    await call.services.self_service.delete_user_attributes(
        p["AccessToken"], list(p["UserAttributeNames"])
    )
    return {}


@operation("DeleteUser")
async def delete_user(call: Call, p: Params) -> Result:
    await call.services.self_service.delete_user(p["AccessToken"])
    return {}


@operation("ChangePassword")
async def change_password(call: Call, p: Params) -> Result:
    if not p.get("ProposedPassword"):
        raise InvalidParameterException("Missing required parameter ProposedPassword")
    await call.services.self_service.change_password(
        p["AccessToken"],
        p.get("PreviousPassword"),
        p["ProposedPassword"],
        call.source_ip,
        public_context(call, p),
    )
    return {}
