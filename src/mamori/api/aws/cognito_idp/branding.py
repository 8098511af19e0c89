"""Branding operations: the classic hosted UI's customization (SetUICustomization,
GetUICustomization) and managed login's branding styles, with bodies up to 2 MB."""

from __future__ import annotations

from mamori.api.aws.cognito_idp.wire.branding import (
    branding_draft_in,
    image_in,
    managed_branding_out,
    ui_customization_out,
)
from mamori.api.aws.operations import Call, Params, Result, operation
from mamori.domain.errors import InvalidParameterException

# Logos, backgrounds and favicons travel base64-encoded in the JSON body: these operations take
# bodies up to 2 MB, every other one keeps the server's max_body_bytes.
BRANDING_MAX_BODY = 2 * 1024 * 1024


@operation("SetUICustomization", max_body=BRANDING_MAX_BODY)
async def set_ui_customization(call: Call, p: Params) -> Result:
    ui = await call.services.branding.set_ui_customization(
        p["UserPoolId"], p.get("ClientId"), p.get("CSS"), image_in(p)
    )
    return {"UICustomization": ui_customization_out(ui, p["UserPoolId"], p.get("ClientId"))}


@operation("GetUICustomization")
async def get_ui_customization(call: Call, p: Params) -> Result:
    ui = await call.services.branding.get_ui_customization(p["UserPoolId"], p.get("ClientId"))
    return {"UICustomization": ui_customization_out(ui, p["UserPoolId"], p.get("ClientId"))}


@operation("CreateManagedLoginBranding", max_body=BRANDING_MAX_BODY)
async def create_managed_login_branding(call: Call, p: Params) -> Result:
    branding = await call.services.branding.create_managed_login_branding(
        p["UserPoolId"], p["ClientId"], branding_draft_in(p)
    )
    return {"ManagedLoginBranding": managed_branding_out(branding)}


@operation("DescribeManagedLoginBranding")
async def describe_managed_login_branding(call: Call, p: Params) -> Result:
    branding = await call.services.branding.describe_managed_login_branding(
        p["UserPoolId"], p["ManagedLoginBrandingId"]
    )
    return {"ManagedLoginBranding": managed_branding_out(branding)}


@operation("DescribeManagedLoginBrandingByClient")
async def describe_managed_login_branding_by_client(call: Call, p: Params) -> Result:
    branding = await call.services.branding.describe_managed_login_branding_by_client(
        p["UserPoolId"], p["ClientId"]
    )
    return {"ManagedLoginBranding": managed_branding_out(branding)}


@operation("UpdateManagedLoginBranding", max_body=BRANDING_MAX_BODY)
async def update_managed_login_branding(call: Call, p: Params) -> Result:
    # The model leaves both ids optional; Cognito cannot update without them.
    for member in ("UserPoolId", "ManagedLoginBrandingId"):
        if not p.get(member):
            raise InvalidParameterException(
                f"1 validation error detected: Value null at '{member[:1].lower()}"
                f"{member[1:]}' failed to satisfy constraint: Member must not be null"
            )
    branding = await call.services.branding.update_managed_login_branding(
        p["UserPoolId"], p["ManagedLoginBrandingId"], branding_draft_in(p)
    )
    return {"ManagedLoginBranding": managed_branding_out(branding)}


@operation("DeleteManagedLoginBranding")
async def delete_managed_login_branding(call: Call, p: Params) -> Result:
    await call.services.branding.delete_managed_login_branding(
        p["UserPoolId"], p["ManagedLoginBrandingId"]
    )
    return {}
