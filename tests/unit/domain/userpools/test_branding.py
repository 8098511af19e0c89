"""What a page renders: the UI customization's CSS and logo, managed login's colours,
background and logo."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from mamori.domain.ids import ClientId, PoolId
from mamori.domain.userpools.branding import (
    BrandingAsset,
    ManagedLoginBranding,
    UICustomization,
    image_type,
    managed_colours,
    page_branding,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"rest"
JPEG = b"\xff\xd8\xff\xe0rest"
POOL, CLIENT = PoolId("us-east-1_a"), ClientId("c1")
SETTINGS = {
    "components": {
        "primaryButton": {"lightMode": {"defaults": {"backgroundColor": "0972D3FF"}}},
        "pageBackground": {"lightMode": {"color": "ffffff"}},
        "pageText": {"lightMode": {"bodyColor": "not-a-colour"}},
    }
}


def managed(*assets: BrandingAsset, **overrides: object) -> ManagedLoginBranding:
    fields: dict[str, object] = {"settings": json.dumps(SETTINGS), "assets": assets}
    fields.update(overrides)
    return ManagedLoginBranding("id", POOL, CLIENT, NOW, NOW, **fields)  # type: ignore[arg-type]


def test_image_type() -> None:
    assert image_type(PNG) == "image/png"
    assert image_type(JPEG) == "image/jpeg"
    assert image_type(b"<svg/>") is None


def test_colours_from_the_settings_document() -> None:
    assert managed_colours(json.dumps(SETTINGS)) == {
        "primary": "#0972d3ff",
        "background": "#ffffff",
    }
    assert managed_colours(None) == {}
    assert managed_colours("not json") == {}
    assert managed_colours('{"components": []}') == {}


def test_classic_customization_only() -> None:
    ui = UICustomization(POOL, "ALL", NOW, NOW, ".x{}", PNG)
    page = page_branding(ui, None, ".x {  }")
    assert page.css == ".x {  }" and page.logo == PNG and page.logo_type == "image/png"
    assert dict(page.colors) == {} and page.background_image is None


def test_managed_login_adds_colours_background_and_its_logo() -> None:
    ui = UICustomization(POOL, "ALL", NOW, NOW, None, PNG)
    page = page_branding(
        ui,
        managed(
            BrandingAsset("PAGE_BACKGROUND", "DARK", "PNG", b"dark"),  # dark mode: not used
            BrandingAsset("PAGE_BACKGROUND", "LIGHT", "JPEG", JPEG),
            BrandingAsset("FORM_LOGO", "LIGHT", "SVG", b"<svg/>"),  # never an SVG
            BrandingAsset("PAGE_HEADER_LOGO", "DYNAMIC", "PNG", b"header"),
        ),
        None,
    )
    assert page.colors["primary"] == "#0972d3ff"
    assert page.background_image == JPEG and page.background_type == "image/jpeg"
    assert page.logo == b"header" and page.logo_type == "image/png"


def test_cognito_provided_values_map_nothing() -> None:
    page = page_branding(None, managed(use_cognito_provided_values=True), None)
    assert page.css is None and page.logo is None and dict(page.colors) == {}
