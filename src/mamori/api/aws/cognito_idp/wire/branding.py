"""Branding: ImageFile, Settings and Assets in; UICustomization and ManagedLoginBranding out."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from mamori.api.aws.cognito_idp.wire.timestamps import ts
from mamori.domain.userpools.branding import (
    BrandingAsset,
    ManagedLoginBranding,
    UICustomization,
    image_type,
)
from mamori.services.userpools.branding import BrandingDraft


def image_in(p: Mapping[str, Any]) -> bytes | None:
    data = p.get("ImageFile")
    return base64.b64decode(data) if data else None  # the model checked it is base64


def ui_customization_out(
    ui: UICustomization | None, pool_id: str, client_id: str | None
) -> dict[str, Any]:
    if ui is None:  # nothing set for the client nor the pool
        return {"UserPoolId": pool_id, "ClientId": client_id or "ALL"}
    out: dict[str, Any] = {
        "UserPoolId": ui.pool_id,
        "ClientId": ui.client_id,
        "CSSVersion": ui.css_version,
        "LastModifiedDate": ts(ui.modified),
        "CreationDate": ts(ui.created),
    }
    if ui.css:
        out["CSS"] = ui.css
    if ui.image:
        # Cognito's ImageUrl is a CDN address; mamori has no CDN and answers the image itself.
        encoded = base64.b64encode(ui.image).decode()
        out["ImageUrl"] = f"data:{image_type(ui.image)};base64,{encoded}"
    return out


def _asset_in(a: Mapping[str, Any]) -> BrandingAsset:
    data = a.get("Bytes")
    return BrandingAsset(
        category=a["Category"],
        color_mode=a["ColorMode"],
        extension=a["Extension"],
        data=base64.b64decode(data) if data is not None else None,
        resource_id=a.get("ResourceId"),
    )


def branding_draft_in(p: Mapping[str, Any]) -> BrandingDraft:
    settings = p.get("Settings")
    assets = p.get("Assets")
    return BrandingDraft(
        use_cognito_provided_values=p.get("UseCognitoProvidedValues"),
        settings=json.dumps(settings, separators=(",", ":")) if settings is not None else None,
        assets=tuple(_asset_in(a) for a in assets) if assets is not None else None,
    )


def _asset_out(asset: BrandingAsset) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Category": asset.category,
        "ColorMode": asset.color_mode,
        "Extension": asset.extension,
    }
    if asset.data is not None:
        out["Bytes"] = base64.b64encode(asset.data).decode()
    if asset.resource_id is not None:
        out["ResourceId"] = asset.resource_id
    return out


def managed_branding_out(branding: ManagedLoginBranding) -> dict[str, Any]:
    return {
        "ManagedLoginBrandingId": branding.id,
        "UserPoolId": branding.pool_id,
        "UseCognitoProvidedValues": branding.use_cognito_provided_values,
        "Settings": json.loads(branding.settings) if branding.settings else {},
        "Assets": [_asset_out(a) for a in branding.assets],
        "CreationDate": ts(branding.created),
        "LastModifiedDate": ts(branding.modified),
    }
