"""Branding of the hosted pages: the classic UI customization (CSS and logo, per pool or per
client), managed-login branding (a settings document and assets, per client), and what a page
renders from them (`PageBranding`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from mamori.domain.ids import ClientId, PoolId

# UI customizations for every client of the pool are kept under this client id, as Cognito
# names them (ClientId "ALL" or left out).
ALL_CLIENTS: Final = "ALL"

_IMAGE_TYPES: Final = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
# Managed-login assets a page may show as images: raster formats only (an SVG is a document
# that can run script when opened on its own).
_ASSET_TYPES: Final = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


def image_type(data: bytes) -> str | None:
    """The media type of a logo Cognito accepts (PNG or JPEG), by its first bytes."""
    for magic, media_type in _IMAGE_TYPES:
        if data.startswith(magic):
            return media_type
    return None


@dataclass(frozen=True)
class UICustomization:
    pool_id: PoolId
    client_id: str  # a client id, or ALL_CLIENTS
    created: datetime
    modified: datetime
    css: str | None = None  # as given (it passed protocols/css.py's checks)
    image: bytes | None = field(default=None, repr=False)

    @property
    def css_version(self) -> str:
        """CSSVersion: changes whenever the customization does."""
        return str(int(self.modified.timestamp() * 1000))


class AssetCategory(StrEnum):
    FORM_LOGO = "FORM_LOGO"
    PAGE_HEADER_LOGO = "PAGE_HEADER_LOGO"
    PAGE_BACKGROUND = "PAGE_BACKGROUND"


@dataclass(frozen=True)
class BrandingAsset:
    category: str  # AssetCategoryType
    color_mode: str  # LIGHT | DARK | DYNAMIC
    extension: str  # ICO | JPEG | PNG | SVG | WEBP
    data: bytes | None = field(default=None, repr=False)  # Bytes
    resource_id: str | None = None


@dataclass(frozen=True)
class ManagedLoginBranding:
    id: str  # ManagedLoginBrandingId, a UUID
    pool_id: PoolId
    client_id: ClientId
    created: datetime
    modified: datetime
    use_cognito_provided_values: bool = False
    settings: str | None = None  # the Settings document as JSON text, as given
    assets: tuple[BrandingAsset, ...] = ()


@dataclass(frozen=True)
class PageBranding:
    """What a hosted page renders for a client: sanitised CSS, a logo, and managed login's
    colours ("primary", "background", "text" as #rrggbb or #rrggbbaa) and background image."""

    css: str | None = None
    logo: bytes | None = field(default=None, repr=False)
    logo_type: str | None = None
    colors: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    background_image: bytes | None = field(default=None, repr=False)
    background_type: str | None = None


# Where managed login's settings document keeps the colours a page uses (light mode).
_COLOUR_PATHS: Final = {
    "primary": ("components", "primaryButton", "lightMode", "defaults", "backgroundColor"),
    "background": ("components", "pageBackground", "lightMode", "color"),
    "text": ("components", "pageText", "lightMode", "bodyColor"),
}
_HEX = frozenset("0123456789abcdefABCDEF")


def _at(document: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def _colour(value: Any) -> str | None:
    # Managed login writes colours as 6 or 8 hex digits (RRGGBB[AA]) without a '#'.
    if not isinstance(value, str):
        return None
    text = value.removeprefix("#")
    if len(text) not in (6, 8) or not set(text) <= _HEX:
        return None
    return "#" + text.lower()


def managed_colours(settings: str | None) -> dict[str, str]:
    """The colours of a managed-login settings document that a page can use."""
    try:
        document = json.loads(settings) if settings else None
    except ValueError:
        return {}
    found = {key: _colour(_at(document, path)) for key, path in _COLOUR_PATHS.items()}
    return {key: value for key, value in found.items() if value is not None}


def _asset(branding: ManagedLoginBranding, *categories: AssetCategory) -> tuple[bytes, str] | None:
    for category in categories:
        for asset in branding.assets:
            media_type = _ASSET_TYPES.get(asset.extension)
            usable = asset.data and media_type and asset.color_mode in ("LIGHT", "DYNAMIC")
            if asset.category == category and usable:
                assert asset.data is not None and media_type is not None
                return asset.data, media_type
    return None


def page_branding(
    ui: UICustomization | None, managed: ManagedLoginBranding | None, css: str | None
) -> PageBranding:
    """A page's branding: the UI customization's (sanitised) `css` and logo; managed login's
    colours and background, and its form or header logo in place of the classic one."""
    logo = ui.image if ui else None
    logo_type = image_type(logo) if logo else None
    colours: dict[str, str] = {}
    background: tuple[bytes, str] | None = None
    if managed is not None and not managed.use_cognito_provided_values:
        colours = managed_colours(managed.settings)
        background = _asset(managed, AssetCategory.PAGE_BACKGROUND)
        managed_logo = _asset(managed, AssetCategory.FORM_LOGO, AssetCategory.PAGE_HEADER_LOGO)
        if managed_logo is not None:
            logo, logo_type = managed_logo
    return PageBranding(
        css=css,
        logo=logo if logo_type else None,
        logo_type=logo_type,
        colors=MappingProxyType(colours),
        background_image=background[0] if background else None,
        background_type=background[1] if background else None,
    )
